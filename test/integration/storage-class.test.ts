// --storage-class (issue 19): the header on CopyObject and CreateMultipartUpload (the lean path and the SDK's),
// the emulator storing and listing the class, a re-run copying nothing, a bucket policy requiring a class.
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { doctorRecord } from "./doctor-helpers.js";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli, summaryOf } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2021/05/28/";
const MiB = 2 ** 20;

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** A small object (one CopyObject) and one over the threshold below (a multipart copy). */
async function world(options = {}): Promise<Emulator> {
  const e = await emulator({ seed: "none", ...options });
  e.putObject(SRC, `${DAY}20210528_1_001.pcap.gz`, 20 * MiB);
  e.putObject(SRC, `${DAY}20210528_1_002.pcap.gz`, 70 * MiB);
  return e;
}
const THRESHOLD = ["--multipart-threshold", "64MiB", "--part-size", "32MiB"];

describe("--storage-class", () => {
  it("GLACIER_IR: both request paths carry it, the copies list and head as GLACIER_IR, a re-run and verify treat them as the same objects", async () => {
    emu = await world(MULTIPART_SETUP);
    const dest = emu.destBuckets[0]!;
    const r = await runCli(["fetch", "2021/05/28", "--storage-class", "GLACIER_IR", ...THRESHOLD, "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied").map((e) => e.multipart).sort()).toEqual([false, true]);
    const log = emu.requestLog();
    expect(log.filter((l) => l.op === "CopyObject")).toMatchObject([{ status: 200, storageClass: "GLACIER_IR" }]);
    expect(log.filter((l) => l.op === "CreateMultipartUpload")).toMatchObject([{ status: 200, storageClass: "GLACIER_IR" }]);
    // UploadPartCopy takes no storage class (S3 API Reference): the upload's class is the one Complete stores.
    expect(log.filter((l) => l.op === "UploadPartCopy").every((l) => l.storageClass === undefined)).toBe(true);
    expect(emu.objects(dest).map((o) => o.storageClass)).toEqual(["GLACIER_IR", "GLACIER_IR"]);

    const ls = await runCli(["ls", "--dest", "-r", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(ls.events.filter((e) => e.kind === "ls-object").map((e) => e.storageClass)).toEqual(["GLACIER_IR", "GLACIER_IR"]);
    const text = await runCli(["ls", "--dest", "-r", "2021/05/28"], { env: cliEnv(emu) });
    expect(text.stdout.match(/\[GLACIER_IR\]/g)).toHaveLength(2);

    const s3 = new S3Client({ region: emu.region, endpoint: emu.endpoint, forcePathStyle: true, credentials: { accessKeyId: emu.accessKeyId, secretAccessKey: emu.secretAccessKey } });
    expect((await s3.send(new HeadObjectCommand({ Bucket: dest, Key: `${DAY}20210528_1_001.pcap.gz` }))).StorageClass).toBe("GLACIER_IR");
    // HeadObject leaves the header out for STANDARD (S3 API Reference, HeadObject: x-amz-storage-class).
    emu.putObject(dest, "notes/standard.txt", 10);
    const head = await s3.send(new HeadObjectCommand({ Bucket: dest, Key: "notes/standard.txt" }));
    expect(head.StorageClass).toBeUndefined();
    expect(head.$metadata.httpStatusCode).toBe(200);
    s3.destroy();

    // A re-run in another class (or none) copies nothing: same size and ETag (or the recorded multipart ETag).
    for (const again of [["--storage-class", "GLACIER_IR"], []]) {
      const r2 = await runCli(["fetch", "2021/05/28", ...again, ...THRESHOLD, "--json"], { env: cliEnv(emu) });
      expect(summaryOf(r2)).toMatchObject({ copied: 0, skipped: 2, failed: 0 });
    }
    const v = await runCli(["verify", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(v.code, v.stderr).toBe(0);
    expect(eventsOf(v, "verify-summary")).toMatchObject([{ ok: 2, missing: 0, etagMismatch: 0, storageClasses: { GLACIER_IR: 2 } }]);
    const vt = await runCli(["verify", "2021/05/28"], { env: cliEnv(emu) });
    expect(vt.stdout).toMatch(/in your bucket: 2 GLACIER_IR/);
  });

  it("objects already archived in your bucket (GLACIER, DEEP_ARCHIVE) are not copied again over their class", async () => {
    emu = await world();
    const dest = emu.destBuckets[0]!;
    for (const o of emu.objects(SRC)) emu.putObject(dest, o.key, o.size, { storageClass: "DEEP_ARCHIVE" });
    // The same bytes as the source (the emulator's content is a function of key, size and version).
    expect(emu.objects(dest).map((o) => o.etag)).toEqual(emu.objects(SRC).map((o) => o.etag));
    const r = await runCli(["fetch", "2021/05/28", "--storage-class", "STANDARD", "--json"], { env: cliEnv(emu) });
    expect(summaryOf(r)).toMatchObject({ copied: 0, skipped: 2 });
    expect(emu.requestLog().filter((l) => l.op === "CopyObject")).toEqual([]);
  });

  it("a bad class is refused up front: one line, exit 2, nothing sent (flag, FLEXCOPY_STORAGE_CLASS)", async () => {
    emu = await world();
    for (const [args, env] of [[["--storage-class", "GLACIER_FLEX"], {}], [[], { FLEXCOPY_STORAGE_CLASS: "cold" }]] as const) {
      const r = await runCli(["fetch", "2021/05/28", ...args], { env: cliEnv(emu, env) });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/storage-class/);
    }
    expect(emu.requestLog()).toEqual([]);
  });

  /** The flags of doctor's fix ("add --storage-class X … to flexcopy's commands"), to run as printed. */
  const flagsOf = (fix: string): string[] => /add ((?:--[\w-]+ \S+ ?)+) to flexcopy's commands/.exec(fix)![1]!.trim().split(" ");

  it("a bucket policy requiring a class (Deny StringNotEquals): refused without it; doctor names --storage-class GLACIER_IR, and fetch with it as printed copies in GLACIER_IR", async () => {
    const base = bucketPolicy("${roleArn}", "${bucket}") as { Statement: object[] };
    const policy = {
      ...base,
      Statement: [
        ...base.Statement,
        { Sid: "RequireGlacierIR", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/*", Condition: { StringNotEquals: { "s3:x-amz-storage-class": "GLACIER_IR" } } },
      ],
    };
    emu = await world({ bucketPolicy: policy });
    const dest = emu.destBuckets[0]!;
    const without = await runCli(["fetch", "2021/05/28"], { env: cliEnv(emu) });
    expect(without.code).toBe(3);
    // The refusal's hint names the flag too (decided from the policy read before the run).
    expect(without.stderr).toMatch(/--storage-class GLACIER_IR/);
    expect(emu.objects(dest)).toEqual([]);
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    const line = doctorRecord(d.stdout, "policy copy with ACL");
    expect(line).toMatchObject({ status: "fail", detail: expect.stringMatching(/RequireGlacierIR/) });
    const flags = flagsOf(String(line!.fix));
    expect(flags).toEqual(["--storage-class", "GLACIER_IR"]);
    const d2 = await runCli(["doctor", "--json"], { env: cliEnv(emu, { FLEXCOPY_STORAGE_CLASS: "GLACIER_IR" }) });
    expect(doctorRecord(d2.stdout, "policy copy with ACL")).toMatchObject({ status: "pass" });
    const r = await runCli(["fetch", "2021/05/28", ...flags, "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r)).toMatchObject({ copied: 2, failed: 0 });
    expect(emu.objects(dest).map((o) => o.storageClass)).toEqual(["GLACIER_IR", "GLACIER_IR"]);
    const ls = await runCli(["ls", "--dest", "-r", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(ls.events.filter((e) => e.kind === "ls-object").map((e) => e.storageClass)).toEqual(["GLACIER_IR", "GLACIER_IR"]);
  });

  it("an Allow only with a class (StringEquals s3:x-amz-storage-class): no statement allows the copy without it; doctor names the flag, and fetch with it copies", async () => {
    const base = bucketPolicy("${roleArn}", "${bucket}") as { Statement: { Sid?: string; Condition?: { StringEquals: Record<string, string> } }[] };
    const Statement = base.Statement.map((st) => (st.Sid === "S3CopyStmtPutObject" ? { ...st, Condition: { StringEquals: { ...st.Condition!.StringEquals, "s3:x-amz-storage-class": "STANDARD_IA" } } } : st));
    emu = await world({ bucketPolicy: { ...base, Statement } });
    const dest = emu.destBuckets[0]!;
    const without = await runCli(["fetch", "2021/05/28"], { env: cliEnv(emu) });
    expect(without.code).toBe(3);
    expect(emu.objects(dest)).toEqual([]);
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    const line = doctorRecord(d.stdout, "policy copy with ACL");
    expect(line).toMatchObject({ status: "fail" });
    expect(String(line!.fix)).toMatch(/only with the storage class STANDARD_IA/);
    const flags = flagsOf(String(line!.fix));
    expect(flags).toEqual(["--storage-class", "STANDARD_IA"]);
    const r = await runCli(["fetch", "2021/05/28", ...flags, "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r)).toMatchObject({ copied: 2, failed: 0 });
    expect(emu.objects(dest).map((o) => o.storageClass)).toEqual(["STANDARD_IA", "STANDARD_IA"]);
  });
});

describe("copies go where the SDK's endpoint settings say", () => {
  it("AWS_ENDPOINT_URL_S3 (flexcopy's own endpoint unset): every request, copies and parts included, reaches that endpoint, with flexcopy's User-Agent", async () => {
    emu = await world(MULTIPART_SETUP);
    const env = cliEnv(emu, { AWS_ENDPOINT_URL_S3: emu.endpoint, AWS_ENDPOINT_URL_STS: emu.endpoint });
    delete env.FLEXCOPY_ENDPOINT_URL;
    const r = await runCli(["fetch", "2021/05/28", ...THRESHOLD, "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r)).toMatchObject({ copied: 2, failed: 0 });
    const log = emu.requestLog();
    const ops = new Set(log.map((l) => l.op));
    for (const op of ["AssumeRole", "ListObjectsV2", "CopyObject", "CreateMultipartUpload", "UploadPartCopy", "CompleteMultipartUpload"]) expect(ops, op).toContain(op);
    const host = new URL(emu.endpoint).host;
    for (const l of log) {
      expect(l.host, l.op).toBe(host);
      expect(l.userAgent, l.op).toMatch(/^aws-sdk-js\/\S+ .*flexcopy\/\d+\.\d+\.\d+/);
    }
  });
});
