import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli, type RunResult } from "./harness.js";
import { expectAgreement, SRC } from "./agree.js";

const DAY = "2021/05/31/";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** Three multipart objects copied slowly: a fetch that is in the middle of its uploads for a few seconds. */
async function slowEmulator(): Promise<Emulator> {
  const e = await emulator(MULTIPART_SETUP);
  for (let i = 1; i <= 3; i++) e.putObject(SRC, `${DAY}20210531_8_00${i}.pcap.gz`, 80 * 2 ** 20 + i * 777, { contentType: "application/gzip" });
  e.setFaults({ latencyMs: 20, copyRateBytesPerSec: 8 * 2 ** 20 });
  return e;
}

const FETCH = ["fetch", "2021/05/31", "--json", "--multipart-threshold", "64MiB", "--part-size", "16MiB", "--concurrency", "4"];

/** Resolves once the emulator has served `n` UploadPartCopy requests. */
function partsServed(e: Emulator, n: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (e.requestLog().filter((l) => l.op === "UploadPartCopy" && l.status === 200).length >= n) {
        clearInterval(t);
        resolve();
      }
    }, 10);
  });
}

describe("one run never undoes another", () => {
  it("cleanup beside a running fetch of the same state directory refuses (exit 2, naming the lock); --dry-run keeps the fetch's uploads; the fetch finishes", async () => {
    emu = await slowEmulator();
    const state = mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: state });
    const report = path.join(mkdtempSync(path.join(tmpdir(), "flexcopy-report-")), "run.json");
    const fetching = runCli([...FETCH, "--report", report], { env });
    await partsServed(emu, 2);
    const lock = path.join(state, `${emu.destBuckets[0]}.journal.ndjson.lock`);

    for (const args of [["cleanup"], ["cleanup", "--all"]]) {
      const r = await runCli(args, { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(`(lock ${lock})`);
    }
    const dry = await runCli(["cleanup", "--dry-run", "--all", "--json"], { env });
    expect(dry.code, dry.stderr).toBe(0);
    const items = eventsOf(dry, "cleanup");
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) expect([i.action, i.reason]).toEqual(["kept", "a running fetch is copying it (its journal is locked)"]);
    // A dry run of fetch writes nothing, so it needs no lock either.
    const plan = await runCli(["fetch", "2021/05/31", "--dry-run"], { env });
    expect(plan.code, plan.stderr).toBe(0);

    const done: RunResult = await fetching;
    expect(done.code, done.stderr).toBe(0);
    expect(emu.requestLog().filter((l) => l.op === "AbortMultipartUpload")).toEqual([]);
    await expectAgreement(emu, done, DAY, report);
    // Afterwards cleanup runs again (the lock is gone) and finds nothing.
    const after = await runCli(["cleanup"], { env });
    expect(after.code, after.stderr).toBe(0);
  }, 120_000);
});
