import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";
import { multipartBucketPolicy } from "../../src/iam/manual.js";
import type { RunSummary } from "../../src/engine/events.js";
import { flexcopyEnv } from "../../scripts/emulator-env.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.join(root, "bin/flexcopy");

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as NDJSON (lines that are not JSON are dropped). */
  events: Record<string, unknown>[];
}

/**
 * A destination set up as `flexcopy policy --allow-multipart` says (its bucket policy plus Object Ownership
 * BucketOwnerEnforced): the role may finish multipart copies. The default is the manual's policy, which denies parts.
 */
export const MULTIPART_SETUP: EmulatorOptions = {
  bucketPolicy: multipartBucketPolicy("${roleArn}", "${bucket}"),
  objectOwnership: "BucketOwnerEnforced",
};

export async function emulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ seed: "demo", ...options });
}

/** Environment for the CLI: the emulator's base user as the AWS credentials, nothing from this machine. */
export function cliEnv(emu: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(path.join(tmpdir(), "flexcopy-home-"));
  return { PATH: process.env.PATH ?? "", ...flexcopyEnv(emu, home), ...extra };
}

export interface RunOptions {
  env: Record<string, string>;
  cwd?: string;
  /** Called once the process has started (to send signals). */
  onSpawn?: (pid: number) => void;
  /** Called with each stdout chunk as it arrives. */
  onStdout?: (chunk: string) => void;
  timeoutMs?: number;
  /** Written to the process's stdin, which is then closed (default: no stdin). */
  input?: string;
}

/** Runs bin/flexcopy as a subprocess and collects its output. */
export function runCli(args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: opts.env,
      cwd: opts.cwd ?? mkdtempSync(path.join(tmpdir(), "flexcopy-cwd-")),
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      opts.onStdout?.(d);
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    if (child.pid) opts.onSpawn?.(child.pid);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const events = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        });
      resolve({ code, signal, stdout, stderr, events });
    });
  });
}

export function eventsOf(r: RunResult, kind: string): Record<string, unknown>[] {
  return r.events.filter((e) => e.kind === kind);
}

export function summaryOf(r: RunResult): RunSummary {
  const s = eventsOf(r, "summary")[0];
  if (!s) throw new Error(`no summary event; exit ${r.code}; stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`);
  return s.summary as RunSummary;
}

/** The emulator's objects of a bucket under a prefix, in key order. */
export function under(e: Emulator, bucket: string, prefix: string) {
  return e.objects(bucket).filter((o) => o.key.startsWith(prefix));
}

/** A port nothing listens on (bound, then closed): an endpoint that refuses connections. */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
