import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli, summaryOf, under } from "./harness.js";

const SRC = "dataservice-flex-bucket";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe("flexcopy fetch", () => {
  it("copies a month so the destination matches the source, every write carrying the ACL", async () => {
    emu = await emulator();
    const r = await runCli(["fetch", "2021/05", "--json"], { env: cliEnv(emu) });
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(r.code, r.stderr).toBe(0);
    const src = under(emu, SRC, "2021/05/");
    const dst = under(emu, emu.destBuckets[0]!, "2021/05/");
    expect(src.length).toBeGreaterThan(10);
    expect(dst.map((o) => [o.key, o.size, o.etag])).toEqual(src.map((o) => [o.key, o.size, o.etag]));
    expect(under(emu, emu.destBuckets[0]!, "2021/06/")).toEqual([]);
    for (const o of dst) {
      expect(o.owner).toBe(emu.providerAccountId);
      expect(o.grants.some((g) => g.grantee === emu!.accountId && g.permission === "FULL_CONTROL")).toBe(true);
    }
    const s = summaryOf(r);
    expect(s.copied).toBe(src.length);
    expect(s.failed).toBe(0);
    const writes = emu.requestLog().filter((e) => ["CopyObject", "CreateMultipartUpload", "PutObject"].includes(e.op));
    expect(writes.length).toBe(src.length);
    for (const w of writes) expect(w.acl).toBe("bucket-owner-full-control");
    expect(emu.requestLog().filter((e) => e.bucket === emu!.destBuckets[0] && ["HeadObject", "GetObject"].includes(e.op))).toEqual([]);
  });

  it("skips everything on a re-run, and recopies with --force", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    expect((await runCli(["fetch", "2021/05/31", "--json"], { env })).code).toBe(0);
    emu.clearLog();
    const again = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(again.code).toBe(0);
    const s = summaryOf(again);
    expect(s.copied).toBe(0);
    expect(s.skipped).toBe(under(emu, SRC, "2021/05/31/").length);
    expect(eventsOf(again, "skipped").every((e) => e.reason === "same size and etag")).toBe(true);
    expect(emu.requestLog().filter((e) => e.op === "CopyObject")).toEqual([]);
    const forced = await runCli(["fetch", "2021/05/31", "--json", "--force"], { env });
    expect(summaryOf(forced).copied).toBe(s.skipped);
  });

  it("copies an object over 5 GiB with UploadPartCopy where the bucket allows parts, keeping content type and metadata", async () => {
    emu = await emulator(MULTIPART_SETUP);
    const key = "2021/05/31/20210531_9_999.pcap.gz";
    const size = 6 * 2 ** 30 + 12345;
    emu.putObject(SRC, key, size, { contentType: "application/gzip", metadata: { "flex-kind": "pcap" } });
    const r = await runCli(["fetch", "2021/05/31", "--json", "--part-size", "1GiB"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const copied = eventsOf(r, "copied").find((e) => e.key === key);
    expect(copied).toMatchObject({ multipart: true, parts: 7 });
    const d = emu.objects(emu.destBuckets[0]!).find((o) => o.key === key)!;
    expect(d.size).toBe(size);
    expect(d.etag).toMatch(/-7"?$/);
    expect(d.contentType).toBe("application/gzip");
    expect(d.metadata).toEqual({ "flex-kind": "pcap" });
    const log = emu.requestLog().filter((e) => e.key === key);
    expect(log.filter((e) => e.op === "UploadPartCopy").length).toBe(7);
    expect(log.find((e) => e.op === "CreateMultipartUpload")?.acl).toBe("bucket-owner-full-control");
    // A re-run decides by size for multipart copies and says so.
    const again = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu) });
    const skip = eventsOf(again, "skipped").find((e) => e.key === key);
    expect(String(skip?.reason)).toMatch(/size/);
  });

  it("counts a day outside the contract as not entitled after one HeadObject, without trying its objects", async () => {
    emu = await emulator({ contractedPeriods: ["2021/05", "testdata", "ConnectionSpec"] });
    const r = await runCli(["fetch", "2021/05/31", "2021/06/01", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "failed")).toEqual([]);
    const june = under(emu, SRC, "2021/06/01/");
    expect(eventsOf(r, "not-entitled")).toMatchObject([{ from: "2021/06/01", to: "2021/06/01", days: 1, objects: june.length }]);
    expect(summaryOf(r)).toMatchObject({ copied: under(emu, SRC, "2021/05/31/").length, notEntitled: june.length, failed: 0 });
    const juneLog = emu.requestLog().filter((e) => e.key?.startsWith("2021/06/01/") && e.op !== "ListObjectsV2");
    expect(juneLog.map((e) => e.op)).toEqual(["HeadObject"]);
  });

  it("exits 3 with a hint when the destination bucket policy is missing", async () => {
    emu = await emulator({ bucketPolicy: false });
    const r = await runCli(["fetch", "2021/05/31"], { env: cliEnv(emu) });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/bucket policy/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("rides out a SlowDown storm with retries", async () => {
    emu = await emulator();
    emu.setFaults({ slowDownRate: 0.3 });
    const r = await runCli(["fetch", "2021/05/31", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r);
    expect(s.failed).toBe(0);
    expect(s.retries).toBeGreaterThan(0);
    // A HEAD response has no body, so the contract check's HeadObject sees the status only.
    expect(eventsOf(r, "retry").every((e) => e.code === (e.op === "HeadObject" ? "HTTP 503" : "SlowDown"))).toBe(true);
  });

  it("retries 200-with-error-body copies and connection resets", async () => {
    emu = await emulator();
    emu.setFaults({ failNext: [{ op: "CopyObject", count: 2 }], copyErrorBodyRate: 0.2, resetRate: 0.05 });
    const r = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r).failed).toBe(0);
    expect(under(emu, emu.destBuckets[0]!, "2021/05/31/").length).toBe(under(emu, SRC, "2021/05/31/").length);
  });

  it("--dry-run shows the plan and copies nothing", async () => {
    emu = await emulator();
    const r = await runCli(["fetch", "2021/05", "--dry-run", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const plan = eventsOf(r, "plan")[0]!;
    const src = under(emu, SRC, "2021/05/");
    expect(plan).toMatchObject({ objects: src.length, toCopy: src.length, bytes: src.reduce((a, o) => a + o.size, 0) });
    expect(eventsOf(r, "day").length).toBe(new Set(src.map((o) => o.key.slice(0, 11))).size);
    expect(emu.objects(emu.destBuckets[0]!)).toEqual([]);
  });

  it("copies sample data with --sample and with a testdata/ selector", async () => {
    emu = await emulator();
    const r = await runCli(["fetch", "testdata/2021/05", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const src = under(emu, SRC, "testdata/2021/05/");
    expect(src.length).toBeGreaterThan(0);
    expect(under(emu, emu.destBuckets[0]!, "testdata/").map((o) => o.key)).toEqual(src.map((o) => o.key));
  });
});
