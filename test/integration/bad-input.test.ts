// Bad input of every kind (issue 12 items 2-4): exit 2, one line `flexcopy: error: ...` on stderr,
// nothing on stdout, nothing copied, nothing written, and no hang.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf } from "./harness.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(async () => {
  await emu.stop();
});

const tmp = (name: string) => mkdtempSync(path.join(tmpdir(), `flexcopy-bad-${name}-`));

/** A plain file, to be given where a directory is expected. */
function aFile(): string {
  const f = path.join(tmp("file"), "plain");
  writeFileSync(f, "not a directory");
  return f;
}

function report(keys: string[]): string {
  const f = path.join(tmp("report"), "run.json");
  writeFileSync(f, JSON.stringify({ version: 1, sourceBucket: "dataservice-flex-bucket", destBucket: "flex-dest", failures: keys.map((key) => ({ key })) }));
  return f;
}

function configFile(values: Record<string, unknown>): string {
  const f = path.join(tmp("config"), "c.json");
  writeFileSync(f, JSON.stringify(values));
  return f;
}

function badJson(): string {
  const f = path.join(tmp("config"), "c.json");
  writeFileSync(f, '{"accountId": "123456789012",');
  return f;
}

/** A state dir whose journal path is a directory. */
function journalIsDir(): string {
  const d = tmp("state");
  mkdirSync(path.join(d, "flex-dest.journal.ndjson"));
  return d;
}

interface Case {
  name: string;
  args: () => string[];
  env?: () => Record<string, string>;
  /** What the one line must say. */
  says: RegExp;
  /** Paths that must not exist afterwards (nothing written). */
  absent?: string[];
  /** AssumeRole is needed before this error can be known (e.g. listing the spec versions). */
  afterAssume?: boolean;
}

const rootEntries = () => readdirSync("/").filter((f) => f.includes(".tmp-"));

const CASES: Case[] = [
  // 2. every output checked before the first copy
  { name: "--report in a missing directory", args: () => ["fetch", "2021/05/31", "--report", "/nonexistent/dir/r.json"], says: /--report \/nonexistent\/dir\/r\.json: the directory \/nonexistent\/dir does not exist/ },
  { name: "--report a directory", args: () => ["fetch", "2021/05/31", "--report", "/tmp"], says: /--report \/tmp: is a directory/ },
  { name: "--report under /proc", args: () => ["fetch", "2021/05/31", "--report", "/proc/nope/r.json"], says: /--report/ },
  { name: "--report in /sys", args: () => ["fetch", "2021/05/31", "--report", "/sys/r.json"], says: /--report \/sys\/r\.json: \/sys is not writable/ },
  { name: "--state-dir a file", args: () => ["fetch", "2021/05/31", "--state-dir", aFile()], says: /resume journal .*is a file, not a directory/ },
  { name: "--state-dir under a file", args: () => ["fetch", "2021/05/31", "--state-dir", path.join(aFile(), "sub")], says: /plain is a file, not a directory/ },
  { name: "--state-dir under /proc (no hang)", args: () => ["fetch", "2021/05/31", "--state-dir", "/proc/nope"], says: /\/proc is not writable/, absent: ["/proc/nope"] },
  { name: "FLEXCOPY_STATE_DIR under /proc (no hang)", args: () => ["fetch", "2021/05/31"], env: () => ({ FLEXCOPY_STATE_DIR: "/proc/x" }), says: /\/proc\/x/ },
  { name: "FLEXCOPY_STATE_DIR in /sys", args: () => ["fetch", "2021/05/31"], env: () => ({ FLEXCOPY_STATE_DIR: "/sys/flexcopy" }), says: /\/sys is not writable/ },
  { name: "XDG_STATE_HOME a file", args: () => ["fetch", "2021/05/31"], env: () => ({ XDG_STATE_HOME: aFile() }), says: /is a file, not a directory/ },
  { name: "init --path under /proc (no hang)", args: () => ["init", "--account-id", "123456789012", "--dest-bucket", "flex-dest", "--path", "/proc/nope/c.json"], says: /\/proc/ },
  { name: "policy --out-dir under /proc (no hang)", args: () => ["policy", "--out-dir", "/proc/nope"], says: /--out-dir \/proc\/nope: \/proc is not writable/ },
  { name: "policy --out-dir a file", args: () => ["policy", "--out-dir", aFile()], says: /is a file, not a directory/ },
  // 3. a journal that cannot be opened
  { name: "fetch: the journal is a directory", args: () => ["fetch", "2021/05/31", "--state-dir", journalIsDir()], says: /cannot open the resume journal .*flex-dest\.journal\.ndjson: it is a directory/ },
  { name: "verify: the journal is a directory", args: () => ["verify", "2021/05/31", "--state-dir", journalIsDir()], says: /flex-dest\.journal\.ndjson: it is a directory/, afterAssume: true },
  { name: "cleanup: the journal is a directory", args: () => ["cleanup", "--state-dir", journalIsDir()], says: /flex-dest\.journal\.ndjson: it is a directory/ },
  // 4. usage errors: one line, exit 2, for every command
  { name: "doctor --max-attempts abc", args: () => ["doctor", "--max-attempts", "abc"], says: /--max-attempts must be a whole number from 1 to 100/ },
  { name: "doctor --config with invalid JSON", args: () => ["doctor", "--config", badJson()], says: /is not valid JSON/ },
  { name: "spec with an unknown version", args: () => ["spec", "Standard", "99.9", "Japanese"], says: /no Standard version matches "99\.9"/, afterAssume: true },
  { name: "unknown command", args: () => ["frobnicate"], says: /unknown command 'frobnicate'/ },
  { name: "--sse with an unknown algorithm", args: () => ["fetch", "2021/05/31", "--sse", "aws:kms:dsse"], says: /--sse <value>' argument 'aws:kms:dsse' is invalid\. Allowed choices are AES256, aws:kms/ },
  { name: "--sse-kms-key-id without --sse aws:kms", args: () => ["fetch", "2021/05/31", "--sse", "AES256", "--sse-kms-key-id", "arn:aws:kms:ap-northeast-1:123456789012:key/abc"], says: /--sse-kms-key-id needs --sse aws:kms \(got --sse AES256\)/ },
  { name: "--sse aws:kms without a key (S3 would use aws/s3)", args: () => ["fetch", "2021/05/31", "--sse", "aws:kms"], says: /--sse aws:kms needs --sse-kms-key-id <key ARN>: without it S3 would use your AWS managed key aws\/s3/ },
  { name: "--sse-kms-key-id that is no key ARN", args: () => ["fetch", "2021/05/31", "--sse", "aws:kms", "--sse-kms-key-id", "my-key"], says: /--sse-kms-key-id must be a KMS key ARN/ },
  { name: "help for an unknown command", args: () => ["help", "frobnicate"], says: /unknown command 'frobnicate'/ },
  { name: "unknown option", args: () => ["fetch", "2021/05/31", "--frobnicate"], says: /unknown option '--frobnicate'/ },
  { name: "unknown option of ls", args: () => ["ls", "--nope"], says: /unknown option '--nope'/ },
  { name: "a 100 KB selector is cut", args: () => ["fetch", `2021/${"9".repeat(100_000)}`], says: /more characters\)$/ },
  { name: "a 100 KB unknown command is cut", args: () => ["x".repeat(100_000)], says: /more characters\)/ },
  {
    name: "a bad config value an environment variable overrides",
    args: () => ["fetch", "2021/05/31", "--config", configFile({ forcePathStyle: "maybe" })],
    says: /--force-path-style must be true or false .*"maybe" from .*c\.json/,
  },
  { name: "--retry-failed with ../../etc/passwd", args: () => ["fetch", "--retry-failed", report(["../../etc/passwd"])], says: /is not a flexcopy report: "\.\.\/\.\.\/etc\/passwd"/ },
  { name: "--retry-failed with an empty key", args: () => ["fetch", "--retry-failed", report([""])], says: /is not a flexcopy report: ""/ },
  { name: "--retry-failed with a key outside the date layout", args: () => ["fetch", "--retry-failed", report(["2021/05/31/../../x"])], says: /is not a flexcopy report/ },
];

describe("bad input: exit 2, one line, nothing copied or written", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const dest = emu.objects(emu.destBuckets[0]!).length;
      const stray = rootEntries();
      emu.clearLog();
      const r = await runCli(c.args(), { env: cliEnv(emu, c.env?.() ?? {}), timeoutMs: 20_000 });
      expect(r.signal, "it hung").toBeNull();
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      expect(lines, r.stderr.slice(0, 2000)).toHaveLength(1);
      expect(lines[0]).toMatch(/^flexcopy: error: /);
      expect(lines[0]).toMatch(c.says);
      expect(lines[0]!.length).toBeLessThan(700);
      expect(r.stdout).toBe("");
      const log = emu.requestLog();
      expect(log.filter((l) => /Copy|MultipartUpload|PutObject/.test(l.op))).toEqual([]);
      if (!c.afterAssume) expect(log.filter((l) => l.op === "AssumeRole")).toEqual([]);
      expect(emu.objects(emu.destBuckets[0]!).length).toBe(dest);
      expect(rootEntries()).toEqual(stray);
      for (const p of c.absent ?? []) expect(existsSync(p)).toBe(false);
    });
  }
});

describe("a damaged journal never crashes a run", () => {
  it("null lines, wrong types and binary are skipped with one warning naming the file; the run goes on", async () => {
    const stateDir = tmp("state");
    const file = path.join(stateDir, "flex-dest.journal.ndjson");
    writeFileSync(
      file,
      ["null", JSON.stringify({ t: "done", key: "2021/05/31/x", uploadId: "", etag: 7 }), "\u0000\u00ff\u0001", JSON.stringify({ t: "intent", key: 5 })].join("\n") + "\n",
    );
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir });
    const fetch = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(fetch.code, fetch.stderr).toBe(0);
    expect(eventsOf(fetch, "notice").filter((n) => String(n.message).includes(file))).toEqual([
      expect.objectContaining({ message: `skipped 4 damaged lines in the resume journal ${file}` }),
    ]);
    expect(summaryOf(fetch).failed).toBe(0);

    writeFileSync(file, "null\n" + JSON.stringify({ t: "done", key: "2021/05/31/x", uploadId: "", etag: 7 }) + "\n", { flag: "a" });
    const verify = await runCli(["verify", "2021/05/31"], { env });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stderr).toBe(`flexcopy: warning: skipped 2 damaged lines in the resume journal ${file}\n`);
  });
});
