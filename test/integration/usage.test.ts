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
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const r = await runCli(args, { env: cliEnv(emu) });
      expect(r.code, r.stderr).toBe(2);
      expect(oneLineError(r.stderr) + r.stderr).toMatch(pattern);
    });
  }

  it("a bad FLEXCOPY_ environment value names the setting", async () => {
    const r = await runCli(["fetch", "2021/05"], { env: cliEnv(emu, { FLEXCOPY_MAX_ATTEMPTS: "-1" }) });
    expect(r.code).toBe(2);
    expect(oneLineError(r.stderr)).toMatch(/--max-attempts/);
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
