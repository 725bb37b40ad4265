import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf, under } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2024/03/04/";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** An emulator whose source holds `n` small objects in one day folder; every request waits `latencyMs`. */
async function withObjects(n: number, latencyMs: number, maxInflight = 0): Promise<Emulator> {
  const e = await emulator({ seed: "none", faults: { latencyMs, maxInflight }, requestLogLimit: 50_000 });
  for (let i = 0; i < n; i++) e.putObject(SRC, `${DAY}f${String(i).padStart(5, "0")}.bin`, 1024 + i);
  return e;
}

type ConcurrencyEvent = { kind: "concurrency"; limit: number; reason: string; code?: string };

describe("--concurrency", () => {
  it("auto (the default) raises the copy requests in flight while the emulator has room", async () => {
    emu = await withObjects(1500, 40);
    const r = await runCli(["fetch", DAY.slice(0, -1), "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const events = eventsOf(r, "concurrency") as ConcurrencyEvent[];
    expect(events[0]).toMatchObject({ reason: "start", limit: 8 }); // low: S3 asks clients to ramp up gradually
    // one controller per run: the bucket owner's few requests (policy read, aborts) have a fixed lane
    expect(events.filter((e) => e.reason === "start")).toHaveLength(1);
    expect(events.some((e) => e.reason === "increase" && e.limit > 8)).toBe(true); // reported at most once a second
    expect(events.some((e) => e.reason === "backoff")).toBe(false);
    const s = summaryOf(r);
    expect(s.copied).toBe(1500);
    expect(s.concurrency).toMatchObject({ mode: "auto", backoffs: 0 });
    // slow start doubles at most once a second: 8 → 16 → 32 → … over the run's seconds
    expect(s.concurrency!.peak).toBeGreaterThanOrEqual(32);
    expect(s.concurrency!.peak).toBeLessThanOrEqual(384);
    expect(emu.inflight().max).toBeGreaterThanOrEqual(24); // the server saw it too
  });

  it("auto backs off on 503 SlowDown without failing an object, and recovers when the push-back stops", async () => {
    emu = await withObjects(2500, 30, 24);
    const e = emu;
    let lifted = false;
    const r = await runCli(["fetch", DAY.slice(0, -1), "--json"], {
      env: cliEnv(e),
      onStdout: (chunk) => {
        // S3 scaled the prefix: after the first back-offs, lift the limit mid-run.
        if (!lifted && (chunk.match(/"reason":"backoff"/g)?.length ?? 0) > 0 && e.requestLog().filter((x) => x.code === "SlowDown").length >= 3) {
          lifted = true;
          e.setFaults({ maxInflight: 0 });
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    // dozens of requests wait to retry at once: no Node warning (MaxListenersExceededWarning) reaches the user
    expect(r.stderr).not.toMatch(/Warning/);
    expect(lifted).toBe(true);
    const events = eventsOf(r, "concurrency") as ConcurrencyEvent[];
    const firstBackoff = events.findIndex((x) => x.reason === "backoff");
    expect(firstBackoff).toBeGreaterThan(0);
    expect(events[firstBackoff]!.code).toBe("SlowDown");
    expect(events[firstBackoff]!.limit).toBeLessThan(64);
    const lowest = Math.min(...events.slice(firstBackoff).map((x) => x.limit));
    const later = events.slice(firstBackoff).filter((x) => x.reason === "increase").map((x) => x.limit);
    expect(Math.max(...later)).toBeGreaterThan(lowest); // grew again once there was room
    const s = summaryOf(r);
    expect(s.failed).toBe(0);
    expect(s.copied).toBe(2500);
    expect(s.concurrency!.backoffs).toBeGreaterThanOrEqual(1);
    expect(under(e, e.destBuckets[0]!, DAY)).toHaveLength(2500);
  });

  it("a fixed --concurrency N is respected exactly (the emulator's in-flight high-water mark)", async () => {
    emu = await withObjects(300, 40);
    const r = await runCli(["fetch", DAY.slice(0, -1), "--json", "--concurrency", "7"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.inflight().max).toBe(7);
    const copies = emu.requestLog().filter((x) => x.op === "CopyObject");
    expect(copies).toHaveLength(300);
    expect(Math.max(...copies.map((x) => x.inflight ?? 0))).toBe(7);
    expect(eventsOf(r, "concurrency")).toEqual([]);
    expect(summaryOf(r).concurrency).toEqual({ mode: "fixed", limit: 7, peak: 7, backoffs: 0 });
  });

  it('rejects a --concurrency that is neither "auto" nor 1..1024 with one line, exit 2', async () => {
    emu = await withObjects(1, 0);
    const r = await runCli(["fetch", DAY.slice(0, -1), "--concurrency", "lots"], { env: cliEnv(emu) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^flexcopy: error: --concurrency must be "auto" or a whole number from 1 to 1024/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
