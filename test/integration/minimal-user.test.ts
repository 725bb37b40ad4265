// The manual's own IAM user (step 1-3/1-4): its only right is sts:AssumeRole on the provider's role. It may not
// read its bucket's policy, list or abort uploads there, or read its objects (an IAM user gets nothing it is
// not granted, in its own account's buckets too). The emulator models it with `userPolicy: "manual"`; these
// tests drive the real CLI with those credentials, under the manual's bucket policy and under
// `flexcopy policy --allow-multipart`.
import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator, EmulatorOptions } from "../../src/emulator/index.js";
import { multipartBucketPolicy } from "../../src/iam/manual.js";
import { doctorRecords } from "./doctor-helpers.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2021/05/28/";
const GiB = 2 ** 30;
const SIZES = { "a_100MB.pcap.gz": 100_000_000, "b_1GiB.pcap.gz": GiB, "d_6GiB.pcap.gz": 6 * GiB };
const BIG = `${DAY}d_6GiB.pcap.gz`;

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function world(o: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  const e = await emulator({ seed: "none", userPolicy: "manual", ...o });
  for (const [name, size] of Object.entries(SIZES)) e.putObject(SRC, `${DAY}${name}`, size, { contentType: "application/gzip" });
  return e;
}

/** What the bucket owner's administrator sees (the emulator's own view, whatever the user may do). */
function uploadsLeft(e: Emulator): string[] {
  return e.uploads(e.destBuckets[0]!).map((u) => u.key);
}

const ok200 = (e: Emulator, op: string, principal: string) => e.requestLog().filter((l) => l.op === op && l.principal === principal && l.status < 300);

describe("the manual's minimal IAM user (sts:AssumeRole only)", () => {
  it("really has no S3 rights in its own bucket: the emulator refuses it what IAM would", async () => {
    emu = await world();
    const s3 = new S3Client({ region: emu.region, endpoint: emu.endpoint, forcePathStyle: true, credentials: { accessKeyId: emu.accessKeyId, secretAccessKey: emu.secretAccessKey } });
    await expect(s3.send(new ListMultipartUploadsCommand({ Bucket: emu.destBuckets[0]! }))).rejects.toMatchObject({ name: "AccessDenied" });
    const denied = emu.requestLog().find((l) => l.op === "ListMultipartUploads");
    expect(denied).toMatchObject({ status: 403, principal: "base", action: "s3:ListBucketMultipartUploads" });
  });

  it("under the manual's bucket policy: copies up to 5 GiB, fails the 6 GiB object, and names the upload nobody could abort", async () => {
    emu = await world();
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(eventsOf(r, "copied").map((e) => e.key).sort()).toEqual([`${DAY}a_100MB.pcap.gz`, `${DAY}b_1GiB.pcap.gz`]);
    expect(eventsOf(r, "copied").every((e) => e.multipart === false)).toBe(true);
    expect(eventsOf(r, "failed")).toMatchObject([{ key: BIG, code: "MultipartDenied" }]);
    // The policy could not be read, so the 1 GiB object made no probe upload for a mere speed-up ...
    expect(emu.requestLog().filter((l) => l.op === "GetBucketPolicy")).toMatchObject([{ status: 403, principal: "base" }]);
    expect(emu.requestLog().filter((l) => l.op === "CreateMultipartUpload").map((l) => l.key)).toEqual([BIG]);
    // ... only the 6 GiB object, which nothing else could copy, tried parts; neither the role nor the user
    // may abort its upload, so flexcopy says so with the command to run (with an administrator's credentials).
    expect(ok200(emu, "AbortMultipartUpload", "role")).toEqual([]);
    expect(ok200(emu, "AbortMultipartUpload", "base")).toEqual([]);
    const left = eventsOf(r, "upload-left");
    expect(left).toMatchObject([{ key: BIG, command: `flexcopy cleanup --dest-bucket ${emu.destBuckets[0]} --prefix ${BIG}` }]);
    expect(summaryOf(r)).toMatchObject({ copied: 2, failed: 1, uploadsLeft: 1 });
    expect(uploadsLeft(emu)).toEqual([BIG]);
    // The denied probe copied no part: the upload holds nothing that is billed.
    expect(emu.uploads(emu.destBuckets[0]!)[0]!.parts).toBe(0);

    // The printed command, run with the same minimal credentials, explains in one line what it needs.
    const clean = await runCli(String(left[0]!.command).split(" ").slice(1), { env: cliEnv(emu) });
    expect(clean.code).toBe(3);
    expect(clean.stderr).toMatch(/ListBucketMultipartUploads/);
    expect(clean.stderr).toMatch(/--profile/);
    expect(clean.stderr).not.toMatch(/\n\s+at /);
  });

  it("after `flexcopy policy --allow-multipart` (BucketOwnerEnforced): everything is copied and nothing is left", async () => {
    emu = await world({ bucketPolicy: multipartBucketPolicy("${roleArn}", "${bucket}"), objectOwnership: "BucketOwnerEnforced" });
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r)).toMatchObject({ copied: 3, failed: 0, uploadsLeft: 0 });
    expect(eventsOf(r, "copied").find((e) => e.key === BIG)).toMatchObject({ multipart: true });
    expect(uploadsLeft(emu)).toEqual([]);
    // every object belongs to the bucket owner
    for (const o of emu.objects(emu.destBuckets[0]!)) expect(o.owner).toBe(emu.accountId);
  });

  it("doctor says the bucket policy cannot be read with these credentials and skips the checks that need it", async () => {
    emu = await world();
    const r = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const lines = doctorRecords(r.stdout);
    expect(lines.find((l) => l.name === "bucket policy")).toMatchObject({ status: "warn", detail: expect.stringMatching(/cannot read the bucket policy/) });
    expect(lines.find((l) => l.name === "bucket policy")!.fix).toMatch(/s3:GetBucketPolicy/);
    const checks = lines.filter((l) => l.name.startsWith("policy "));
    expect(checks.length).toBeGreaterThanOrEqual(8);
    for (const c of checks) expect(c).toMatchObject({ status: "skip" });
    expect(lines.find((l) => l.name === "destination access")).toMatchObject({ status: "pass" }); // the role's side works
  });

  it("doctor --write-test copies one object but makes no multipart test upload it could not remove", async () => {
    emu = await world();
    emu.putObject(SRC, "testdata/2021/05/28/t.pcap.gz", 1000);
    const r = await runCli(["doctor", "--write-test", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = doctorRecords(r.stdout);
    expect(lines.find((l) => l.name === "write test")).toMatchObject({ status: "pass" });
    expect(lines.find((l) => l.name === "write test multipart")).toMatchObject({ status: "skip", detail: expect.stringMatching(/could likely not abort/) });
    expect(emu.requestLog().filter((l) => l.op === "CreateMultipartUpload")).toEqual([]);
    expect(uploadsLeft(emu)).toEqual([]);
  });
});
