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

const keysOf = (e: Emulator, prefix: string) => under(e, SRC, prefix).map((o) => o.key);
/** Requests the role sent that read a source object of `prefix` (HeadObject, GetObject, or a copy of it). */
const sourceReads = (e: Emulator, prefix: string) =>
  e.requestLog().filter((l) => (l.bucket === SRC && l.key?.startsWith(prefix) && l.op !== "ListObjectsV2") || l.copySource?.startsWith(`${SRC}/${prefix}`));

describe("days outside the contract", () => {
  it("a contract for May of a May..June selection: one line for June, exit 0, one source read per June day", async () => {
    emu = await emulator({ contractedPeriods: ["2021/05"] });
    const dir = mkdtempSync(path.join(tmpdir(), "flexcopy-contract-"));
    const report = path.join(dir, "run.json");
    const r = await runCli(["fetch", "2021/05..2021/06", "--report", report], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const june = [...keysOf(emu, "2021/06/01/"), ...keysOf(emu, "2021/06/02/")];
    const lines = r.stderr.split("\n").filter((l) => /outside your contract/.test(l));
    expect(lines).toEqual([`2021/06/01..2021/06/02: outside your contract, ${june.length} objects not copied (${lines[0]?.match(/\((.*)\)$/)?.[1]})`]);
    expect(r.stdout).toMatch(new RegExp(`0 failed, ${june.length} not entitled`));
    for (const day of ["2021/06/01/", "2021/06/02/"]) {
      const reads = sourceReads(emu, day);
      expect(reads.map((l) => [l.op, l.status])).toEqual([["HeadObject", 403]]);
    }
    expect(emu.objects(emu.destBuckets[0]!).map((o) => o.key)).toEqual(keysOf(emu, "2021/05/"));
    const rep = JSON.parse(readFileSync(report, "utf8")) as { notEntitled: unknown[]; failures: unknown[]; summary: { notEntitled: number; failed: number } };
    expect(rep.notEntitled).toEqual([{ from: "2021/06/01", to: "2021/06/02", days: 2, objects: june.length, bytes: expect.any(Number) }]);
    expect(rep.failures).toEqual([]);
    expect(rep.summary).toMatchObject({ notEntitled: june.length, failed: 0 });
  });

  it("--dry-run says which days lie outside the contract, with one HeadObject per day, and copies nothing", async () => {
    emu = await emulator({ contractedPeriods: ["2021/05"] });
    const r = await runCli(["fetch", "2021/05/31..2021/06", "--dry-run", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const days = Object.fromEntries(eventsOf(r, "day").map((e) => [e.day, e]));
    const june = [...keysOf(emu, "2021/06/01/"), ...keysOf(emu, "2021/06/02/")];
    expect(days["2021/06/01/"]).toMatchObject({ toCopy: 0, notEntitled: keysOf(emu, "2021/06/01/").length });
    expect(days["2021/05/31/"]).toMatchObject({ toCopy: keysOf(emu, "2021/05/31/").length, notEntitled: 0 });
    expect(eventsOf(r, "plan")).toMatchObject([{ dryRun: true, toCopy: keysOf(emu, "2021/05/31/").length, notEntitled: june.length }]);
    for (const day of ["2021/05/31/", "2021/06/01/", "2021/06/02/"]) expect(sourceReads(emu, day).map((l) => l.op)).toEqual(["HeadObject"]);
    expect(emu.objects(emu.destBuckets[0]!)).toEqual([]);
    // text: the day's line says so; --strict-contract makes it exit 1
    const text = await runCli(["fetch", "2021/06/01", "--dry-run", "--strict-contract"], { env: cliEnv(emu) });
    expect(text.code).toBe(1);
    expect(text.stdout + text.stderr).toMatch(/2021\/06\/01.*outside your contract/);
  });

  it("ranges break at entitled days; --json carries them; --strict-contract exits 1", async () => {
    emu = await emulator({ contractedPeriods: ["2021/05/10..2021/05/20", "2021/05/31"] });
    const r = await runCli(["fetch", "2021/05/06..2021/05/31", "--json", "--strict-contract"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(1);
    const ranges = eventsOf(r, "not-entitled").map((e) => [e.from, e.to, e.days]);
    expect(ranges).toEqual([
      ["2021/05/06", "2021/05/07", 2],
      ["2021/05/21", "2021/05/28", 6],
    ]);
    expect(eventsOf(r, "failed")).toEqual([]);
    const notEntitled = ["2021/05/06/", "2021/05/07/", "2021/05/21/", "2021/05/24/", "2021/05/25/", "2021/05/26/", "2021/05/27/", "2021/05/28/"];
    expect(summaryOf(r).notEntitled).toBe(notEntitled.flatMap((d) => keysOf(emu!, d)).length);
  });

  it("verify and fetch --verify count days outside the contract as not entitled, not missing", async () => {
    emu = await emulator({ contractedPeriods: ["2021/05"] });
    const r = await runCli(["fetch", "2021/05/31..2021/06", "--verify"], { env: cliEnv(emu) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/verified 3 units: .*, 0 missing, .*, 6 not entitled \(outside your contract\)/);
    const text = await runCli(["verify", "2021/05/31..2021/06"], { env: cliEnv(emu) });
    expect(text.stdout).toMatch(/2021\/06\/01\/ +outside your contract: 3 objects not entitled/);
    emu.clearLog();
    const v = await runCli(["verify", "2021/05/31..2021/06", "--json"], { env: cliEnv(emu) });
    expect(v.code).toBe(0);
    expect(eventsOf(v, "verify-summary")[0]).toMatchObject({ days: 3, missing: 0, notEntitled: 6 });
    expect(eventsOf(v, "verify").map((e) => [e.day, e.status, e.objects])).toEqual([
      ["2021/06/01/", "not-entitled", 3],
      ["2021/06/02/", "not-entitled", 3],
    ]);
    // One HeadObject per day of which nothing was copied, none for the day that is there.
    expect(emu.requestLog().filter((l) => l.op === "HeadObject").map((l) => l.key?.slice(0, 11)).sort()).toEqual(["2021/06/01/", "2021/06/02/"]);
    // A day inside the contract that was not copied is still missing.
    const missing = await runCli(["verify", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(missing.code).toBe(1);
    expect(eventsOf(missing, "verify-summary")[0]).toMatchObject({ missing: keysOf(emu, "2021/05/28/").length });
  });

  it("nothing readable at all exits 3 and says which cause is likelier", async () => {
    emu = await emulator({ contractedPeriods: ["2021/05"] });
    const r = await runCli(["fetch", "2021/06"], { env: cliEnv(emu) });
    expect(r.code).toBe(3);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("flexcopy: error:"));
    expect(errors).toEqual([`flexcopy: error: nothing could be read: all 6 objects of the selected days are outside your contract`]);
    expect(r.stderr).toMatch(/hint: .*likelier your contract does not cover these dates or is not active yet/);
  });

  it("ls --check-access marks day folders outside the contract, with one request per day", async () => {
    emu = await emulator({ contractedPeriods: ["2021/06/01"] });
    const plain = await runCli(["ls", "2021/06"], { env: cliEnv(emu) });
    expect(plain.stdout).not.toMatch(/outside/);
    emu.clearLog();
    const r = await runCli(["ls", "2021/06", "--check-access"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("DIR"));
    expect(lines.map((l) => /outside your contract/.test(l))).toEqual([false, true]);
    expect(emu.requestLog().filter((l) => l.op === "HeadObject").length).toBe(2);
    const json = await runCli(["ls", "2021/06/02", "-r", "--check-access", "--json"], { env: cliEnv(emu) });
    const rows = json.events.filter((e) => "key" in e);
    expect(rows.length).toBe(3);
    expect(rows.every((e) => e.entitled === false)).toBe(true);
  });
});

describe("archived objects", () => {
  it("GLACIER and DEEP_ARCHIVE are skipped as archived and counted; GLACIER_IR is copied; an InvalidObjectState copy gets a hint", async () => {
    emu = await emulator({ seed: "none" });
    const day = "2021/05/31/";
    emu.putObject(SRC, `${day}a.pcap.gz`, 1000);
    emu.putObject(SRC, `${day}b.pcap.gz`, 1000, { storageClass: "GLACIER" });
    emu.putObject(SRC, `${day}c.pcap.gz`, 1000, { storageClass: "DEEP_ARCHIVE" });
    emu.putObject(SRC, `${day}d.pcap.gz`, 1000, { storageClass: "GLACIER_IR" });
    const r = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "skipped").map((e) => [e.key, e.reason])).toEqual([
      [`${day}b.pcap.gz`, "archived (GLACIER)"],
      [`${day}c.pcap.gz`, "archived (DEEP_ARCHIVE)"],
    ]);
    expect(summaryOf(r)).toMatchObject({ copied: 2, archived: 2, skipped: 0, failed: 0 });
    expect(emu.requestLog().filter((l) => l.op === "CopyObject").map((l) => l.key)).toEqual([`${day}a.pcap.gz`, `${day}d.pcap.gz`].sort());
    const text = await runCli(["fetch", "2021/05/31"], { env: cliEnv(emu) });
    expect(text.stdout).toMatch(/2 archived/);

    // An object archived by Intelligent-Tiering shows no archive class in the listing: the copy meets InvalidObjectState.
    emu.putObject(SRC, `${day}e.pcap.gz`, 1000, { storageClass: "INTELLIGENT_TIERING" });
    emu.setFaults({ failNext: [{ op: "CopyObject", count: 1, code: "InvalidObjectState" }] });
    const it = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu) });
    expect(it.code).toBe(1);
    const failed = eventsOf(it, "failed");
    expect(failed.map((e) => [e.key, e.code])).toEqual([[`${day}e.pcap.gz`, "InvalidObjectState"]]);
    expect(String(failed[0]?.hint)).toMatch(/archived .* restored/);

    // verify does not call archived objects missing.
    const v = await runCli(["verify", "2021/05/31", "--json"], { env: cliEnv(emu) });
    expect(eventsOf(v, "verify-summary")[0]).toMatchObject({ ok: 2, missing: 1, archived: 2 });
    expect(eventsOf(v, "verify").map((e) => e.key)).toEqual([`${day}e.pcap.gz`]);
  });
});
