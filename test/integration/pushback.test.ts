// S3's push-back over real HTTP: the state a run leaves for the next (where `auto` settled), and the
// emulator's request-rate limit (`--max-rate`), read back from its request log.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf, under } from "./harness.js";

const SRC = "dataservice-flex-bucket";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

type ConcurrencyEvent = { kind: "concurrency"; limit: number; reason: string; code?: string };

function fill(e: Emulator, day: string, n: number): void {
  for (let i = 0; i < n; i++) e.putObject(SRC, `${day}f${String(i).padStart(5, "0")}.bin`, 1024 + i);
}

describe("push-back", () => {
  it("a second run against the same destination starts where the first settled (the state file), and --concurrency-start overrides it", async () => {
    emu = await emulator({ seed: "none", faults: { latencyMs: 60, maxInflight: 20 }, requestLogLimit: 50_000 });
    fill(emu, "2024/03/04/", 1200);
    fill(emu, "2024/03/05/", 600);
    fill(emu, "2024/03/06/", 50);
    const state = mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: state });
    const first = await runCli(["fetch", "2024/03/04", "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(summaryOf(first)).toMatchObject({ copied: 1200, failed: 0 });
    expect((eventsOf(first, "concurrency")[0] as ConcurrencyEvent).limit).toBe(8); // nothing known: start low
    const file = path.join(state, `${emu.destBuckets[0]}.concurrency.json`);
    const settled = JSON.parse(readFileSync(file, "utf8")) as { limit: number; ceiling?: number; at: string };
    // it found the capacity of 20: pushed back near there, and settled at or below it. The window grows
    // by one per answer while the first refusal is still on its way back, so the ceiling it records can
    // pass the capacity by a few (the unit simulation allows n + 2 at exact timing; 2 shared cores add
    // scheduling noise), and a stalled client can read a slow second as a rate limit and settle lower.
    expect(settled.ceiling).toBeGreaterThanOrEqual(8);
    expect(settled.ceiling).toBeLessThanOrEqual(25);
    expect(settled.limit).toBeGreaterThanOrEqual(7);
    expect(settled.limit).toBeLessThanOrEqual(22);
    expect(summaryOf(first).concurrency!.limit).toBe(settled.limit); // the same as the run's summary says

    emu.clearLog();
    const second = await runCli(["fetch", "2024/03/05", "--json"], { env });
    expect(second.code, second.stderr).toBe(0);
    const start = eventsOf(second, "concurrency")[0] as ConcurrencyEvent;
    expect(start).toMatchObject({ reason: "start", limit: settled.limit });
    expect(summaryOf(second)).toMatchObject({ copied: 600, failed: 0 });
    // starting near the capacity, not above it: few refusals
    const copies = emu.requestLog().filter((x) => x.op === "CopyObject");
    expect(copies.filter((x) => x.code === "SlowDown").length / copies.length).toBeLessThanOrEqual(0.05);
    expect(under(emu, emu.destBuckets[0]!, "2024/03/05/")).toHaveLength(600);

    const forced = await runCli(["fetch", "2024/03/06", "--json", "--concurrency-start", "5"], { env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(eventsOf(forced, "concurrency")[0]).toMatchObject({ reason: "start", limit: 5 });
  });

  it("--concurrency-start outside 1..1024 is one line, exit 2", async () => {
    emu = await emulator({ seed: "none" });
    const r = await runCli(["fetch", "2024/03/04", "--concurrency-start", "0"], { env: cliEnv(emu) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^flexcopy: error: --concurrency-start must be a whole number from 1 to 1024/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("--max-rate: the emulator admits at most N writes per second per day prefix (request log), and auto copies everything under it", async () => {
    const rate = 150;
    emu = await emulator({ seed: "none", faults: { latencyMs: 15, maxRate: rate }, requestLogLimit: 50_000 });
    fill(emu, "2024/03/04/", 700);
    fill(emu, "2024/03/05/", 700);
    const r = await runCli(["fetch", "2024/03/04..2024/03/05", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r)).toMatchObject({ copied: 1400, failed: 0 });
    const writes = emu.requestLog().filter((x) => x.op === "CopyObject");
    const byPrefix = new Map<string, number[]>();
    for (const w of writes) {
      if (w.status !== 200) continue;
      const prefix = w.key!.slice(0, w.key!.lastIndexOf("/") + 1);
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), w.admittedAt!]);
    }
    expect([...byPrefix.keys()].sort()).toEqual(["2024/03/04/", "2024/03/05/"]);
    for (const [prefix, times] of byPrefix) {
      times.sort((a, b) => a - b);
      // in any window of one second, at most `rate` admitted: the (rate+1)-th is a second or more later
      for (let i = 0; i + rate < times.length; i++) expect(times[i + rate]! - times[i]!, prefix).toBeGreaterThanOrEqual(1000);
    }
    // the limit was in force (the copies would have gone faster); the SlowDown share of longer runs is
    // the bench's business (npm run bench, the push-back table): this run is seconds long
    const refused = writes.filter((x) => x.code === "SlowDown").length;
    expect(refused).toBeGreaterThan(0);
  });
});
