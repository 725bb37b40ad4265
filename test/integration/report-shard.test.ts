import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf } from "./harness.js";

const SRC = "dataservice-flex-bucket";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe("--report and --retry-failed", () => {
  it("the report lists failures with codes and hints; --retry-failed copies exactly the failed set", async () => {
    // Three copies are answered NoSuchKey (as if removed at the source after the listing): they fail for good.
    emu = await emulator({ faults: { failNext: [{ op: "CopyObject", count: 3, code: "NoSuchKey" }] } });
    const dir = mkdtempSync(path.join(tmpdir(), "flexcopy-report-"));
    const report = path.join(dir, "run.json");
    const env = cliEnv(emu);
    const first = await runCli(["fetch", "2021/05/28", "2021/05/31", "2021/06/01", "--report", report, "--json", "--concurrency", "1"], { env });
    expect(first.code).toBe(1);
    const r = JSON.parse(readFileSync(report, "utf8")) as {
      failures: { key: string; code: string; hint?: string }[];
      days: Record<string, { copied: number; failed: number }>;
      plan: { objects: number };
      summary: { copied: number; failed: number };
      refreshes: unknown[];
    };
    // With one copy at a time, the first three keys in order are the ones answered NoSuchKey.
    const failed = emu.objects(SRC).filter((o) => o.key.startsWith("2021/05/28/")).map((o) => o.key).slice(0, 3);
    expect(r.failures.map((f) => f.key).sort()).toEqual(failed);
    expect(r.failures.every((f) => f.code === "NoSuchKey" && /removed or renamed/.test(f.hint ?? ""))).toBe(true);
    expect(r.days["2021/05/28/"]).toMatchObject({ failed: 3 });
    expect(r.days["2021/05/31/"]?.copied).toBeGreaterThan(0);
    expect(r.summary.failed).toBe(3);
    expect(r.refreshes.length).toBe(1);

    // A fresh provider bucket; the retry touches only the failed keys.
    await emu.stop();
    emu = await emulator();
    for (const o of emu.objects(SRC).filter((x) => x.key.startsWith("2021/05/31/"))) emu.deleteObject(SRC, o.key); // would be copied if touched
    emu.clearLog();
    const retry = await runCli(["fetch", "--retry-failed", report, "--json"], { env: cliEnv(emu) });
    expect(retry.code, retry.stderr).toBe(0);
    expect(eventsOf(retry, "copied").map((e) => e.key).sort()).toEqual(failed);
    expect(emu.requestLog().filter((l) => l.op === "CopyObject").map((l) => l.key).sort()).toEqual(failed);
  });

  it("--retry-failed with a file that is not a report is a usage error", async () => {
    emu = await emulator();
    const dir = mkdtempSync(path.join(tmpdir(), "flexcopy-report-"));
    const r = await runCli(["fetch", "--retry-failed", path.join(dir, "nope.json")], { env: cliEnv(emu) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")[0]).toMatch(/--retry-failed/);
  });
});

describe("--shard", () => {
  it("n machines cover every day exactly once, for n = 1..5", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    const all = (await runCli(["fetch", "2021/05", "--dry-run", "--json"], { env })).events.filter((e) => e.kind === "day").map((e) => e.day as string);
    expect(all.length).toBeGreaterThan(10);
    for (let n = 1; n <= 5; n++) {
      const seen: string[] = [];
      for (let i = 1; i <= n; i++) {
        const r = await runCli(["fetch", "2021/05", "--dry-run", "--json", "--shard", `${i}/${n}`], { env });
        expect(r.code, r.stderr).toBe(0);
        seen.push(...eventsOf(r, "day").map((e) => e.day as string));
      }
      expect(seen.sort()).toEqual([...all].sort());
    }
  }, 120_000);

  it("rejects a malformed shard", async () => {
    emu = await emulator();
    for (const bad of ["0/3", "4/3", "x", "1/0"]) {
      const r = await runCli(["fetch", "2021/05", "--shard", bad], { env: cliEnv(emu) });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--shard/);
    }
  });
});

describe("fetch --verify", () => {
  it("verifies after copying, and a re-run with a tampered destination fails verification", async () => {
    emu = await emulator();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: mkdtempSync(path.join(tmpdir(), "flexcopy-state-")) });
    const ok = await runCli(["fetch", "2021/05/31", "--verify", "--json"], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(eventsOf(ok, "verify-summary")[0]).toMatchObject({ missing: 0, sizeMismatch: 0, etagMismatch: 0, extra: 0 });
    emu.putObject(emu.destBuckets[0]!, "2021/05/31/stray.pcap.gz", 10);
    const bad = await runCli(["fetch", "2021/05/31", "--verify", "--json"], { env });
    expect(bad.code).toBe(1);
    expect(summaryOf(bad).copied).toBe(0);
    expect(eventsOf(bad, "verify").map((e) => [e.key, e.status])).toEqual([["2021/05/31/stray.pcap.gz", "extra"]]);
  });
});
