// Shared by the tests of issue 17 (a run's outcome is always true): the checks every fault ends with, and
// a way to run the CLI with a file size limit (RLIMIT_FSIZE: a journal write fails half-way, as on a full disk,
// without root).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { BIN, runCli, summaryOf, under, type RunResult } from "./harness.js";

export const SRC = "dataservice-flex-bucket";

/** Incomplete uploads in the destination, as its owner lists them (ListMultipartUploads). */
export async function ownerUploads(e: Emulator): Promise<{ key: string; uploadId: string }[]> {
  const s3 = new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: e.destBuckets[0]! }));
  return (out.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
}

export function journalFile(stateDir: string, e: Emulator): string {
  return path.join(stateDir, `${e.destBuckets[0]}.journal.ndjson`);
}

/** The journal's records (valid JSON lines only). */
export function journalLines(file: string): Record<string, unknown>[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

export function reportPath(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), "flexcopy-report-")), "run.json");
}

/**
 * After every fault: the summary, --json and --report say what the destination holds; nothing is left
 * incomplete; `verify` agrees with the bucket (exit 0: everything there).
 */
export async function assertOutcome(e: Emulator, r: RunResult, opts: { day: string; report?: string; env: Record<string, string>; selector: string; complete: boolean }): Promise<void> {
  const s = summaryOf(r);
  const dest = under(e, e.destBuckets[0]!, opts.day);
  const copied = r.events.filter((x) => x.kind === "copied").map((x) => x.key as string);
  for (const k of copied) expect(dest.some((o) => o.key === k), `${k} said copied, not in the bucket`).toBe(true);
  expect(s.copied).toBe(copied.length);
  const failed = r.events.filter((x) => x.kind === "failed").map((x) => x.key as string);
  for (const k of failed) expect(dest.some((o) => o.key === k), `${k} said failed, yet in the bucket`).toBe(false);
  if (opts.report) {
    const rep = JSON.parse(readFileSync(opts.report, "utf8")) as { summary: typeof s; failures: { key: string }[] };
    expect(rep.summary).toEqual(s);
    expect(rep.failures.map((f) => f.key)).toEqual(failed);
  }
  expect(await ownerUploads(e)).toEqual([]);
  if (opts.complete) {
    const src = under(e, SRC, opts.day);
    expect(dest.map((o) => [o.key, o.size])).toEqual(src.map((o) => [o.key, o.size]));
    const v = await runCli(["verify", opts.selector, "--json"], { env: opts.env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }
}

export interface Spawned {
  child: ChildProcess;
  done: Promise<RunResult>;
}

/** bin/flexcopy as a subprocess, optionally under `sh -c 'ulimit -f <blocks>'` (512-byte blocks, POSIX sh). */
export function spawnCli(args: string[], env: Record<string, string>, opts: { fileSizeBlocks?: number } = {}): Spawned {
  const cwd = mkdtempSync(path.join(tmpdir(), "flexcopy-cwd-"));
  const child =
    opts.fileSizeBlocks === undefined
      ? spawn(process.execPath, [BIN, ...args], { env, cwd, stdio: ["ignore", "pipe", "pipe"] })
      : spawn("sh", ["-c", `ulimit -f ${opts.fileSizeBlocks} && exec "$0" "$@"`, process.execPath, BIN, ...args], { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const events = stdout.split("\n").flatMap((l) => {
        if (!l.startsWith("{")) return [];
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      resolve({ code, signal, stdout, stderr, events });
    });
  });
  return { child, done };
}

/** Bytes of a journal line as flexcopy writes it (JSON + newline). */
export const lineBytes = (o: object): number => Buffer.byteLength(JSON.stringify(o) + "\n");

/**
 * Journal text of `done` records for keys outside the FLEX layout (nothing a run looks at), `bytes` long
 * exactly (at least 200), in the form compaction rewrites them: so a file size limit can be placed at a
 * chosen byte of the lines a run appends after it.
 */
export function padding(bytes: number): string {
  const line = (key: string) => JSON.stringify({ t: "done", key, uploadId: "", etag: "x" }) + "\n";
  const base = line("pad/000000").length;
  let out = "";
  let i = 0;
  while (bytes - out.length >= 2 * base) out += line(`pad/${String(i++).padStart(6, "0")}`);
  const rest = bytes - out.length; // base <= rest < 2 * base: one line with a longer key
  out += line(`pad/${String(i).padStart(6, "0")}${"x".repeat(rest - base)}`);
  if (out.length !== bytes) throw new Error(`padding: ${out.length} != ${bytes}`);
  return out;
}
