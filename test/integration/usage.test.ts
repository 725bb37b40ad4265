import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, runCli } from "./harness.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(async () => {
  await emu.stop();
});

const oneLineError = (stderr: string) => {
  const lines = stderr.trim().split("\n");
  expect(lines[0]).toMatch(/error/i);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0]!;
};

describe("bad input gives exit 2 and one line", () => {
  const cases: [string, string[], RegExp][] = [
    ["impossible day", ["fetch", "2021/02/30"], /2021\/02\/30/],
    ["month 13", ["fetch", "2021/13"], /2021\/13/],
    ["garbage selector", ["fetch", "last-week"], /last-week/],
    ["reversed range", ["fetch", "2021/06..2021/05"], /2021\/06\.\.2021\/05/],
    ["short account id", ["fetch", "2021/05", "--account-id", "1234"], /--account-id/],
    ["bad bucket name", ["fetch", "2021/05", "--dest-bucket", "My_Bucket"], /--dest-bucket/],
    ["bad concurrency", ["fetch", "2021/05", "--concurrency", "zero"], /--concurrency/],
    ["part size too small", ["fetch", "2021/05", "--part-size", "1MiB"], /--part-size/],
    ["bad size unit", ["fetch", "2021/05", "--multipart-threshold", "12 parsecs"], /--multipart-threshold/],
    ["bad credentials mode", ["fetch", "2021/05", "--credentials", "magic"], /credentials/],
    ["unknown option", ["fetch", "2021/05", "--frobnicate"], /frobnicate/],
    ["spec without version", ["spec", "Standard"], /version/],
    ["unknown spec kind", ["spec", "Deluxe", "1.0", "Japanese"], /Deluxe/],
    // issue 10: relative selectors, filters, --shard auto
    ["unknown word", ["fetch", "tomorrow"], /invalid selector "tomorrow": expected .*today, yesterday, latest, latest:N/],
    ["latest:0", ["fetch", "latest:0"], /latest:N must be 1 to 10000 days/],
    ["latest:N not a number", ["verify", "latest:five"], /latest:N needs a whole number of days/],
    ["a range open on both sides", ["fetch", ".."], /a range needs a date on at least one side/],
    ["latest inside a range", ["fetch", "2021/05..latest"], /"latest" cannot be one end of a range/],
    ["bad glob", ["fetch", "2021/05", "--include", "[abc"], /--include "\[abc": Missing closing/],
    ["empty glob", ["verify", "2021/05", "--exclude", ""], /--exclude: the pattern is empty/],
    ["bad regex", ["fetch", "2021/05", "--match", "(unclosed"], /--match "\(unclosed": .*Unterminated group/],
    ["bad regex in ls", ["ls", "2021/05", "-r", "--match", "*"], /--match "\*": /],
    ["--shard auto without the variables", ["fetch", "2021/05", "--shard", "auto"], /--shard: auto needs AWS_BATCH_JOB_ARRAY_INDEX .* JOB_COMPLETION_INDEX/],
    ["ls --check-access with --dest", ["ls", "2021/05", "--check-access", "--dest"], /--check-access .* --dest/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const r = await runCli(args, { env: cliEnv(emu) });
      expect(r.code, r.stderr).toBe(2);
      expect(oneLineError(r.stderr) + r.stderr).toMatch(pattern);
      if (name.startsWith("unknown word") || args.includes("auto") || /glob|regex|latest|range open|check-access/.test(name)) {
        expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      }
    });
  }

  it("a bad FLEXCOPY_ environment value names the setting", async () => {
    const r = await runCli(["fetch", "2021/05"], { env: cliEnv(emu, { FLEXCOPY_MAX_ATTEMPTS: "-1" }) });
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(/--max-attempts/);
  });

  it.each([
    ["--shard auto with only a Kubernetes index", { JOB_COMPLETION_INDEX: "1" }, /FLEXCOPY_SHARD_COUNT to the Job's completions/],
    ["--shard auto with an index past the count", { AWS_BATCH_JOB_ARRAY_INDEX: "4", AWS_BATCH_JOB_ARRAY_SIZE: "4" }, /the shard index must be 1 to 4/],
    ["a bad FLEXCOPY_NOW", { FLEXCOPY_NOW: "yesterday", AWS_BATCH_JOB_ARRAY_INDEX: "0", AWS_BATCH_JOB_ARRAY_SIZE: "1" }, /FLEXCOPY_NOW must be an ISO 8601 time/],
  ])("%s", async (_name, vars, pattern) => {
    const r = await runCli(["fetch", "today", "--shard", "auto"], { env: cliEnv(emu, { FLEXCOPY_NOW: "2021-06-01T00:00:00Z", ...vars }) });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(oneLineError(r.stderr)).toMatch(pattern);
  });

  it("a missing account id says how to set it", async () => {
    const env = cliEnv(emu);
    delete env.FLEXCOPY_ACCOUNT_ID;
    const r = await runCli(["fetch", "2021/05"], { env });
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(/--account-id/);
  });
});

describe("authentication failures before any copy exit 3", () => {
  it("unknown base credentials", async () => {
    const r = await runCli(["fetch", "2021/05/31"], { env: cliEnv(emu, { AWS_SECRET_ACCESS_KEY: "wrong-secret-value-123" }) });
    expect(r.code).toBe(3);
    oneLineError(r.stderr);
    expect(r.stderr + r.stdout).not.toContain("wrong-secret-value-123");
  });

  it("an account the provider does not know", async () => {
    const r = await runCli(["fetch", "2021/05/31", "--account-id", "999999999999"], { env: cliEnv(emu) });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/sts:AssumeRole|AccessDenied/);
  });
});

describe("help teaches", () => {
  it("fetch --help shows selectors, examples and exit codes", async () => {
    const r = await runCli(["fetch", "--help"], { env: cliEnv(emu) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2021\/05\/10\.\.2021\/06\/03/);
    expect(r.stdout).toMatch(/FLEXCOPY_ACCOUNT_ID/);
    expect(r.stdout).toMatch(/130/);
  });
});
