// Issue 17, "never hang" and "small lies" at the inputs: a file setting that names a FIFO or a device is
// refused at once (no hang, no memory filled), an empty --state-dir is unset (the journal never lands in the
// current directory), STS unreachable at AssumeRole is a network error (exit 1), not bad credentials (3), and
// a dry run's day lines come in date order.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, closedPort, emulator, eventsOf, runCli } from "./harness.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), p));

function fifo(): string {
  const f = path.join(tmp("flexcopy-fifo-"), "pipe");
  execFileSync("mkfifo", [f]);
  return f;
}

describe("files that are not regular files: refused at once, one line, exit 2", () => {
  const cases: { name: string; args: () => string[]; says: RegExp }[] = [
    { name: "--config naming a FIFO (no writer: it would wait forever)", args: () => ["fetch", "2021/05/31", "--config", fifo()], says: /cannot read config file .*pipe: not a regular file \(a FIFO\)/ },
    { name: "--retry-failed /dev/zero (it never ends)", args: () => ["fetch", "--retry-failed", "/dev/zero"], says: /--retry-failed: cannot read report \/dev\/zero: not a regular file \(a device\)/ },
    { name: "policy --merge naming a FIFO", args: () => ["policy", "--merge", fifo()], says: /--merge .*pipe: cannot read it \(not a regular file \(a FIFO\)\)/ },
    { name: "policy --merge /dev/zero", args: () => ["policy", "--merge", "/dev/zero"], says: /--merge \/dev\/zero: cannot read it \(not a regular file \(a device\)\)/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      emu = await emulator();
      const t0 = Date.now();
      const r = await runCli(c.args(), { env: cliEnv(emu), timeoutMs: 20_000 });
      expect(r.signal, "killed: it hung").toBeNull();
      expect(r.code, r.stderr).toBe(2);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(c.says);
    });
  }
});

describe("an empty --state-dir or FLEXCOPY_STATE_DIR means unset", () => {
  for (const how of ["flag", "env"] as const) {
    it(`${how}: the journal goes to the default place, never into the current directory`, async () => {
      emu = await emulator();
      const cwd = tmp("flexcopy-cwd-");
      const env = cliEnv(emu, how === "env" ? { FLEXCOPY_STATE_DIR: "" } : {});
      const r = await runCli(["fetch", "2021/05/31", ...(how === "flag" ? ["--state-dir", ""] : [])], { env, cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync(path.join(env.HOME!, ".local/state/flexcopy/flex-dest.journal.ndjson"))).toBe(true);
    });
  }
});

describe("STS unreachable at AssumeRole", () => {
  it("exit 1 naming the STS endpoint and the network, not 3 (your credentials are not the problem)", async () => {
    emu = await emulator();
    const port = await closedPort();
    const r = await runCli(["fetch", "2021/05/31", "--sts-endpoint-url", `http://127.0.0.1:${port}`], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^flexcopy: error: AssumeRole: ECONNREFUSED/);
    expect(r.stderr).toContain(`a network or service error, not your credentials: STS (http://127.0.0.1:${port})`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(emu.requestLog().filter((l) => l.bucket === "flex-dest")).toEqual([]);
  });
});

describe("fetch --dry-run", () => {
  it("prints its day lines in date order, whatever order the listings finish in", async () => {
    emu = await emulator();
    // the day listings run 8 at a time and finish in any order (the holding itself: run-copy.test.ts)
    emu.setFaults({ latencyMs: 5 });
    const r = await runCli(["fetch", "2021/05", "--dry-run", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const days = eventsOf(r, "day").map((e) => String(e.day));
    expect(days.length).toBeGreaterThan(3);
    expect(days).toEqual([...days].sort());
    expect(new Set(days).size).toBe(days.length);
  });
});
