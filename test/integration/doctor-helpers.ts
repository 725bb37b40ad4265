// Helpers for the setup tests (policy, init, doctor); the shared harness is harness.ts.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { runCli, type RunResult } from "./harness.js";

/** An environment with no AWS credentials and no FLEXCOPY_* settings: for commands that need no service. */
export function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(path.join(tmpdir(), "flexcopy-home-"));
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, "none"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "none"),
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

export const tempDir = (prefix = "flexcopy-setup-"): string => mkdtempSync(path.join(tmpdir(), prefix));

/** The JSON documents of `flexcopy policy` output: blocks between "# …" header lines. */
export function jsonBlocks(stdout: string): unknown[] {
  return stdout
    .split(/^#.*$/m)
    .map((b) => b.trim())
    .filter((b) => b.startsWith("{"))
    .map((b) => JSON.parse(b) as unknown);
}

export interface DoctorLine {
  mark: string;
  name: string;
  detail: string;
  fix?: string;
}

/** Parses doctor's text output: "✓ name: detail" lines, each optionally followed by "    fix: …". */
export function doctorLines(stdout: string): DoctorLine[] {
  const out: DoctorLine[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^([✓✗!–]) ([^:]+): (.*)$/.exec(line);
    if (m) out.push({ mark: m[1]!, name: m[2]!, detail: m[3]! });
    const f = /^ {4}fix: (.*)$/.exec(line);
    if (f && out.length > 0) out[out.length - 1]!.fix = f[1]!;
  }
  return out;
}

/** The line of one check; fails the test with the whole output if it is missing. */
export function lineOf(r: RunResult, name: string): DoctorLine {
  const l = doctorLines(r.stdout).find((x) => x.name === name);
  expect(l, `no "${name}" line in:\n${r.stdout}\n${r.stderr}`).toBeDefined();
  return l!;
}

/** The first failing line, and every check after it in order. */
export function firstFailure(r: RunResult): DoctorLine | undefined {
  return doctorLines(r.stdout).find((l) => l.mark === "✗");
}

/** One record of `doctor --json` output. */
export interface DoctorRecord {
  kind: string;
  name: string;
  status: string;
  detail: string;
  fix?: string;
}

/** The records of `doctor --json` output. */
export function doctorRecords(stdout: string): DoctorRecord[] {
  return stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as DoctorRecord);
}

/** The `doctor --json` record of one check, if there is one. */
export function doctorRecord(stdout: string, name: string): DoctorRecord | undefined {
  return doctorRecords(stdout).find((l) => l.name === name);
}

/**
 * `policy --merge` is idempotent: merging its own output again (through a file in `cwd`, or on stdin without
 * one) exits 0, prints the same policy and says it added nothing.
 */
export async function expectMergeAddsNothing(mergedText: string, env: Record<string, string>, cwd?: string): Promise<void> {
  if (cwd) writeFileSync(path.join(cwd, "merged.json"), mergedText);
  const again = cwd ? await runCli(["policy", "--merge", "merged.json"], { env, cwd }) : await runCli(["policy", "--merge", "-"], { env, input: mergedText });
  expect(again.code, again.stderr).toBe(0);
  expect(JSON.parse(again.stdout)).toEqual(JSON.parse(mergedText));
  expect(again.stderr).toMatch(/^nothing to add/);
}
