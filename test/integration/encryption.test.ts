// A bucket policy that denies writes without a server-side encryption header — AWS's own pattern ("How to
// prevent uploads of unencrypted objects to Amazon S3", AWS Security Blog; AWS Config's
// s3-bucket-server-side-encryption-enabled and Macie's "denies unencrypted object uploads" look for it).
// flexcopy sends the header with --sse; UploadPartCopy cannot carry it, so such a policy also refuses parts
// (boto/botocore#471, aws/aws-cli#4251), which the emulator models like the ACL header of aws/aws-cli#1674.
import { GetBucketEncryptionCommand, PutBucketEncryptionCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { bucketPolicy, multipartBucketPolicy } from "../../src/iam/manual.js";
import { doctorRecord } from "./doctor-helpers.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2021/05/28/";
const GiB = 2 ** 30;

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** The manual's policy (or --allow-multipart's) plus the two Deny statements of the AWS Security Blog post. */
function requireEncryption(base: { Statement: object[] }): object {
  return {
    ...base,
    Statement: [
      ...base.Statement,
      { Sid: "DenyIncorrectEncryptionHeader", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/*", Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" } } },
      { Sid: "DenyUnEncryptedObjectUploads", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/*", Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } } },
    ],
  };
}

async function world(multipart = false): Promise<Emulator> {
  const policy = requireEncryption((multipart ? multipartBucketPolicy : bucketPolicy)("${roleArn}", "${bucket}") as { Statement: object[] });
  const e = await emulator({ seed: "none", bucketPolicy: policy, ...(multipart ? { objectOwnership: "BucketOwnerEnforced" as const } : {}) });
  e.putObject(SRC, `${DAY}a.pcap.gz`, 50_000_000);
  e.putObject(SRC, `${DAY}b.pcap.gz`, 70_000_000);
  return e;
}


describe("a bucket policy that requires an encryption header", () => {
  it("without --sse: refused before anything is copied, and the hint names --sse; doctor names the value", async () => {
    emu = await world();
    const r = await runCli(["fetch", "2021/05/28"], { env: cliEnv(emu) });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--sse AES256/);
    expect(emu.objects(emu.destBuckets[0]!)).toEqual([]);
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    const line = doctorRecord(d.stdout, "policy copy with ACL");
    expect(line).toMatchObject({ status: "fail", detail: expect.stringMatching(/DenyIncorrectEncryptionHeader|DenyUnEncryptedObjectUploads/) });
    expect(line!.fix).toMatch(/add --sse AES256/);
  });

  it("with --sse AES256: every write carries the header and the ACL, and doctor passes", async () => {
    emu = await world();
    const r = await runCli(["fetch", "2021/05/28", "--sse", "AES256", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r)).toMatchObject({ copied: 2, failed: 0 });
    const writes = emu.requestLog().filter((l) => l.op === "CopyObject");
    expect(writes).toHaveLength(2);
    for (const w of writes) expect(w).toMatchObject({ status: 200, sse: "AES256", acl: "bucket-owner-full-control" });
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu, { FLEXCOPY_SSE: "AES256" }) });
    expect(doctorRecord(d.stdout, "policy copy with ACL")).toMatchObject({ status: "pass" });
  });

  it("parts are refused even where --allow-multipart's statement allows them (UploadPartCopy carries no header): objects up to 5 GiB are copied whole", async () => {
    emu = await world(true);
    emu.putObject(SRC, `${DAY}c_1GiB.pcap.gz`, GiB);
    const r = await runCli(["fetch", "2021/05/28", "--sse", "AES256", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied").every((e) => e.multipart === false)).toBe(true);
    expect(summaryOf(r)).toMatchObject({ copied: 3, failed: 0, uploadsLeft: 0 });
    // read from the policy before the run: no probe upload was made to find out
    expect(emu.requestLog().filter((l) => l.op === "UploadPartCopy")).toEqual([]);
    expect(emu.uploads(emu.destBuckets[0]!)).toEqual([]);
  });

  it("an object over 5 GiB fails with a hint naming the Deny statement that refuses its parts (not just --allow-multipart)", async () => {
    emu = await world(true);
    emu.putObject(SRC, `${DAY}d_6GiB.pcap.gz`, 6 * GiB);
    const r = await runCli(["fetch", "2021/05/28", "--sse", "AES256", "--json"], { env: cliEnv(emu) });
    expect(r.code).toBe(1);
    const failed = eventsOf(r, "failed");
    expect(failed).toMatchObject([{ key: `${DAY}d_6GiB.pcap.gz`, code: "MultipartDenied" }]);
    expect(String(failed[0]!.hint)).toMatch(/statement "DenyIncorrectEncryptionHeader" refuses its parts/);
    expect(summaryOf(r)).toMatchObject({ copied: 2, failed: 1 });
  });

  it("with parts allowed, the multipart copy's CreateMultipartUpload carries the header too", async () => {
    emu = await emulator({
      seed: "none",
      bucketPolicy: multipartBucketPolicy("${roleArn}", "${bucket}"),
      objectOwnership: "BucketOwnerEnforced",
      kmsKeyGrants: ["arn:aws:kms:ap-northeast-1:123456789012:key/ours"], // its key policy and JPX's IAM policy allow the role
    });
    emu.putObject(SRC, `${DAY}c_1GiB.pcap.gz`, GiB);
    const r = await runCli(["fetch", "2021/05/28", "--sse", "aws:kms", "--sse-kms-key-id", "arn:aws:kms:ap-northeast-1:123456789012:key/ours", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied")).toMatchObject([{ multipart: true }]);
    expect(emu.requestLog().filter((l) => l.op === "CreateMultipartUpload")).toMatchObject([{ status: 200, sse: "aws:kms" }]);
  });
});

/** What the bucket owner does with `aws s3api put-bucket-encryption`. */
async function setDefaultEncryption(e: Emulator, algorithm: "AES256" | "aws:kms", key?: string): Promise<void> {
  const s3 = new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: e.destBuckets[0]!,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: algorithm, ...(key ? { KMSMasterKeyID: key } : {}) } }] },
    }),
  );
  const back = await s3.send(new GetBucketEncryptionCommand({ Bucket: e.destBuckets[0]! }));
  expect(back.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault).toMatchObject({ SSEAlgorithm: algorithm, ...(key ? { KMSMasterKeyID: key } : {}) });
}

describe("your bucket's default encryption (the copies are the provider's role's writes)", () => {
  const KEY = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

  /** `granted`: the key's policy and the role's own IAM policy (JPX's) both let the role use KEY. */
  async function plainWorld(granted = false): Promise<Emulator> {
    const e = await emulator({ seed: "none", ...(granted ? { kmsKeyGrants: [KEY] } : {}) });
    e.putObject(SRC, `${DAY}a.pcap.gz`, 50_000_000);
    return e;
  }

  it("SSE-KMS with the AWS managed key aws/s3: doctor fails it with the fix; fetch is refused; --sse AES256 copies", async () => {
    emu = await plainWorld();
    await setDefaultEncryption(emu, "aws:kms");
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    expect(d.code).toBe(1);
    expect(doctorRecord(d.stdout, "default encryption")).toMatchObject({ status: "fail", detail: expect.stringMatching(/AWS managed key aws\/s3/), fix: expect.stringMatching(/--sse AES256/) });
    const r = await runCli(["fetch", "2021/05/28"], { env: cliEnv(emu) });
    expect(r.code).toBe(3);
    const refused = emu.requestLog().find((l) => l.op === "CopyObject");
    expect(refused).toMatchObject({ status: 403, action: "kms:GenerateDataKey", denyReason: expect.stringMatching(/aws\/s3/) });
    const ok = await runCli(["fetch", "2021/05/28", "--sse", "AES256"], { env: cliEnv(emu) });
    expect(ok.code, ok.stderr).toBe(0);
    expect(emu.objects(emu.destBuckets[0]!)).toHaveLength(1);
  });

  it("SSE-KMS with a key id instead of its ARN is refused too; with the key's ARN doctor warns about the key policy and copies go through", async () => {
    emu = await plainWorld(true);
    await setDefaultEncryption(emu, "aws:kms", "1234abcd-12ab-34cd-56ef-1234567890ab");
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    expect(doctorRecord(d.stdout, "default encryption")).toMatchObject({ status: "fail", detail: expect.stringMatching(/without its full ARN/) });
    expect((await runCli(["fetch", "2021/05/28"], { env: cliEnv(emu) })).code).toBe(3);
    await setDefaultEncryption(emu, "aws:kms", KEY);
    const d2 = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    expect(doctorRecord(d2.stdout, "default encryption")).toMatchObject({ status: "warn", fix: expect.stringMatching(/kms:GenerateDataKey and kms:Decrypt/) });
    const r = await runCli(["fetch", "2021/05/28"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
  });

  it("a customer managed key the role may not use (key policy or JPX's IAM policy): every copy is refused, as on AWS; doctor only warns", async () => {
    emu = await plainWorld(false);
    await setDefaultEncryption(emu, "aws:kms", KEY);
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    expect(doctorRecord(d.stdout, "default encryption")).toMatchObject({ status: "warn" });
    const r = await runCli(["fetch", "2021/05/28"], { env: cliEnv(emu) });
    expect(r.code).toBe(3);
    expect(emu.requestLog().find((l) => l.op === "CopyObject")).toMatchObject({ status: 403, action: "kms:GenerateDataKey", denyReason: expect.stringMatching(/kmsKeyGrants/) });
  });

  it("the default SSE-S3 passes", async () => {
    emu = await plainWorld();
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    expect(doctorRecord(d.stdout, "default encryption")).toMatchObject({ status: "pass", detail: expect.stringMatching(/SSE-S3/) });
  });

  it("SSE-KMS copies get ETags that are not the source's: recorded, so a re-run skips them and verify passes", async () => {
    emu = await plainWorld(true);
    emu.putObject(SRC, `${DAY}b.pcap.gz`, 30_000_000);
    await setDefaultEncryption(emu, "aws:kms", KEY);
    const env = cliEnv(emu); // one HOME: the same journal for both runs
    const first = await runCli(["fetch", "2021/05/28", "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    const src = new Map(emu.objects(SRC).map((o) => [o.key, o.etag]));
    for (const o of emu.objects(emu.destBuckets[0]!)) expect(o.etag).not.toBe(src.get(o.key)); // S3 API Reference, Object: ETag
    const again = await runCli(["fetch", "2021/05/28", "--json"], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(summaryOf(again)).toMatchObject({ copied: 0, skipped: 2 });
    expect(eventsOf(again, "skipped").map((e) => e.reason)).toEqual(["matches the etag recorded when it was copied", "matches the etag recorded when it was copied"]);
    const v = await runCli(["verify", "2021/05/28"], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).not.toMatch(/etag-mismatch/);
    // the provider republishes one file (same size, other bytes): verify says so, and the next run copies it again
    emu.putObject(SRC, `${DAY}b.pcap.gz`, 30_000_000, { version: "2" });
    const v2 = await runCli(["verify", "2021/05/28", "--json"], { env });
    expect(v2.code).toBe(1);
    expect(v2.stdout).toMatch(/the source changed since it was copied/);
    const third = await runCli(["fetch", "2021/05/28", "--json"], { env });
    expect(summaryOf(third)).toMatchObject({ copied: 1, skipped: 1 });
  });
});
