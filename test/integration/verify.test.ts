import path from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli, under } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2021/05/31/";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** The emulator's base user: the owner of the destination bucket. */
function ownerClient(e: Emulator): S3Client {
  return new S3Client({
    region: e.region,
    endpoint: e.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey },
  });
}

function destReads(e: Emulator) {
  return e.requestLog().filter((l) => l.bucket === e.destBuckets[0] && ["HeadObject", "GetObject"].includes(l.op));
}

describe("flexcopy verify", () => {
  it("passes after a fetch, listing both buckets and never reading the destination", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    expect((await runCli(["fetch", "2021/05/31", "--json"], { env })).code).toBe(0);
    emu.clearLog();
    const r = await runCli(["verify", "2021/05/31", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const n = under(emu, SRC, DAY).length;
    expect(eventsOf(r, "verify")).toEqual([]);
    expect(eventsOf(r, "verify-summary")).toEqual([{ kind: "verify-summary", days: 1, ok: n, missing: 0, sizeMismatch: 0, etagMismatch: 0, extra: 0, sizeOnly: 0, storageClasses: { STANDARD: n } }]);
    expect(destReads(emu)).toEqual([]);
    expect(emu.requestLog().some((l) => l.op === "ListObjectsV2" && l.bucket === emu!.destBuckets[0] && l.principal === "role")).toBe(true);

    const text = await runCli(["verify", "2021/05/31"], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^day\s+ok\s+missing\s+mismatched\s+extra$/m);
    expect(text.stdout).toMatch(new RegExp(`^2021/05/31/\\s+${n}\\s+0\\s+0\\s+0$`, "m"));
    expect(text.stdout).toMatch(new RegExp(`verified 1 unit: ${n} objects ok, 0 missing`));
  });

  it("reports missing, truncated, changed and extra objects with exit 1", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    const dest = emu.destBuckets[0]!;
    const changed = `${DAY}zz_changed.csv`;
    emu.putObject(SRC, changed, 64);
    expect((await runCli(["fetch", "2021/05/31", "--json"], { env })).code).toBe(0);
    const src = under(emu, SRC, DAY).filter((o) => o.key !== changed);
    expect(src.length).toBeGreaterThan(2);
    const [gone, truncated] = [src[0]!, src[1]!];
    emu.deleteObject(dest, gone.key);
    emu.putObject(dest, truncated.key, Math.floor(truncated.size / 2));
    // Same size, other bytes: only the ETag tells.
    await ownerClient(emu).send(new PutObjectCommand({ Bucket: dest, Key: changed, Body: Buffer.alloc(64, 7) }));
    const extra = `${DAY}not-from-the-provider.txt`;
    emu.putObject(dest, extra, 10);
    emu.clearLog();

    const r = await runCli(["verify", "2021/05/31", "--json"], { env });
    expect(r.code, r.stderr).toBe(1);
    const byKey = Object.fromEntries(eventsOf(r, "verify").map((e) => [e.key, e]));
    expect(byKey[gone.key]).toMatchObject({ kind: "verify", day: DAY, status: "missing" });
    expect(byKey[truncated.key]).toMatchObject({ status: "size-mismatch", note: `source ${truncated.size} bytes, destination ${Math.floor(truncated.size / 2)} bytes` });
    expect(byKey[changed]).toMatchObject({ status: "etag-mismatch" });
    expect(byKey[extra]).toMatchObject({ status: "extra" });
    expect(Object.keys(byKey).length).toBe(4);
    expect(byKey[gone.key]!.note).toBe(`${gone.size} bytes in the source, not in the destination`);
    expect(eventsOf(r, "verify-summary")[0]).toMatchObject({ days: 1, ok: src.length - 2, missing: 1, sizeMismatch: 1, etagMismatch: 1, extra: 1 });
    expect(destReads(emu)).toEqual([]);

    const text = await runCli(["verify", "2021/05/31"], { env });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`^2021/05/31/\\s+${src.length - 2}\\s+1\\s+2\\s+1$`, "m"));
    expect(text.stdout).toContain(`  missing        ${gone.key}`);
    expect(text.stdout).toContain(`  extra          ${extra}`);
    expect(text.stdout).toMatch(/flexcopy fetch 2021\/05\/31/);

    // What verify reports, a re-run of fetch repairs (except the extra object, which stays).
    expect((await runCli(["fetch", "2021/05/31", "--json"], { env })).code).toBe(0);
    const after = await runCli(["verify", "2021/05/31", "--json"], { env });
    expect(eventsOf(after, "verify").map((e) => [e.key, e.status])).toEqual([[extra, "extra"]]);
    expect(after.code).toBe(1);
  });

  it("checks multipart copies against the ETag the journal recorded, else by size and says so", async () => {
    emu = await emulator(MULTIPART_SETUP);
    const env = cliEnv(emu);
    const key = `${DAY}20210531_9_999.pcap.gz`;
    emu.putObject(SRC, key, 6 * 2 ** 30 + 1);
    expect((await runCli(["fetch", "2021/05/31", "--json", "--part-size", "1GiB"], { env })).code).toBe(0);
    const withJournal = await runCli(["verify", "2021/05/31", "--json"], { env });
    expect(withJournal.code, withJournal.stderr).toBe(0);
    expect(eventsOf(withJournal, "verify")).toEqual([]);
    expect(eventsOf(withJournal, "verify-summary")[0]).toMatchObject({ sizeOnly: 0, missing: 0, sizeMismatch: 0, etagMismatch: 0, extra: 0 });
    const elsewhere = { ...env, FLEXCOPY_STATE_DIR: path.join(env.HOME!, "no-journal-here") };
    const r = await runCli(["verify", "2021/05/31", "--json"], { env: elsewhere });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "verify")).toEqual([{ kind: "verify", day: DAY, key, status: "size-only", note: "size only (multipart)" }]);
    expect(eventsOf(r, "verify-summary")[0]).toMatchObject({ sizeOnly: 1, missing: 0, sizeMismatch: 0, etagMismatch: 0, extra: 0 });
  });

  it("verifies sample data with --sample and several selectors at once", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    expect((await runCli(["fetch", "testdata/2021/05", "--json"], { env })).code).toBe(0);
    const r = await runCli(["verify", "2021/05", "--sample", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const days = new Set(under(emu, SRC, "testdata/2021/05/").map((o) => o.key.slice(0, 20)));
    expect(eventsOf(r, "verify-summary")[0]).toMatchObject({ days: days.size, missing: 0 });
    const missing = await runCli(["verify", "2021/05/31", "testdata/2021/05", "--json"], { env });
    expect(missing.code).toBe(1);
    expect(eventsOf(missing, "verify").every((e) => e.status === "missing" && e.day === DAY)).toBe(true);
  });

  it("exits 2 on a bad selector and 3 when nobody may list the destination", async () => {
    emu = await emulator();
    const bad = await runCli(["verify", "2021/02/30"], { env: cliEnv(emu) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/February 2021 has 28 days/);
    await emu.stop();
    // no bucket policy: the role may not list your bucket, your own credentials (an administrator's) may
    emu = await emulator({ bucketPolicy: false });
    const byOwner = await runCli(["verify", "2021/05/31"], { env: cliEnv(emu) });
    expect(byOwner.code, byOwner.stderr).toBe(1); // listed: everything is missing
    expect(byOwner.stdout).toMatch(/missing/);
    await emu.stop();
    // nobody may (the manual's AssumeRole-only user): exit 3, one line and its hint
    emu = await emulator({ bucketPolicy: false, userPolicy: "manual" });
    const denied = await runCli(["verify", "2021/05/31"], { env: cliEnv(emu) });
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/may list s3:\/\/flex-dest \(s3:ListBucket\)/);
    expect(denied.stderr).not.toMatch(/\n\s+at /);
  });
});
