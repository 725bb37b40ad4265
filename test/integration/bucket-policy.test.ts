// What flexcopy does under the manual's bucket policy (CopyObject only; parts are denied, aws/aws-cli#1674)
// and after the bucket owner applies `flexcopy policy --allow-multipart` — through the real CLI and emulator.
import { ListMultipartUploadsCommand, PutBucketOwnershipControlsCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { cliEnv, emulator, eventsOf, runCli, summaryOf } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2021/05/28/";
const GiB = 2 ** 30;
const SIZES = { "a_100MB.pcap.gz": 100_000_000, "b_1GiB.pcap.gz": GiB, "c_5GiB.pcap.gz": 5 * GiB, "d_6GiB.pcap.gz": 6 * GiB };
const BIG = `${DAY}d_6GiB.pcap.gz`;

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function world(): Promise<Emulator> {
  const e = await emulator({ seed: "none" });
  for (const [name, size] of Object.entries(SIZES)) e.putObject(SRC, `${DAY}${name}`, size, { contentType: "application/gzip" });
  return e;
}

function owner(e: Emulator): S3Client {
  return new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });
}

/** What `aws s3api list-multipart-uploads` shows the bucket owner. */
async function incompleteUploads(e: Emulator): Promise<string[]> {
  const out = await owner(e).send(new ListMultipartUploadsCommand({ Bucket: e.destBuckets[0]! }));
  return (out.Uploads ?? []).map((u) => u.Key!);
}

describe("fetch under the manual's bucket policy", () => {
  it("copies up to 5 GiB with CopyObject, fails only the 6 GiB object with the hint, leaves no upload", async () => {
    emu = await world();
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(1);
    const copied = eventsOf(r, "copied");
    expect(copied.map((e) => e.key).sort()).toEqual(Object.keys(SIZES).slice(0, 3).map((n) => `${DAY}${n}`));
    expect(copied.every((e) => e.multipart === false)).toBe(true);
    const failed = eventsOf(r, "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ key: BIG, code: "MultipartDenied" });
    expect(String(failed[0]!.hint)).toContain("flexcopy policy --allow-multipart");
    // Said once, not per object.
    expect(eventsOf(r, "notice").filter((n) => /multipart/.test(String(n.message)))).toHaveLength(1);
    expect(await incompleteUploads(emu)).toEqual([]);
    expect(summaryOf(r)).toMatchObject({ copied: 3, failed: 1, uploadsLeft: 0 });
    // Every write carried the ACL; the one probe upload was created and aborted by the bucket owner.
    const log = emu.requestLog();
    expect(log.filter((l) => l.op === "CopyObject").every((l) => l.acl === "bucket-owner-full-control")).toBe(true);
    expect(log.filter((l) => l.op === "CreateMultipartUpload")).toHaveLength(1);
    expect(log.filter((l) => l.op === "UploadPartCopy" && l.status === 200)).toHaveLength(0);
    // The probe sent its first part alone: one denied request, not a burst.
    expect(log.filter((l) => l.op === "UploadPartCopy")).toHaveLength(1);
    expect(log.some((l) => l.op === "AbortMultipartUpload" && l.principal === "base" && l.status === 204)).toBe(true);
  });

  it("after the owner applies --allow-multipart (policy + BucketOwnerEnforced) the same fetch copies all four", async () => {
    emu = await world();
    const env = cliEnv(emu);
    const printed = await runCli(["policy", "--bucket-policy", "--allow-multipart"], { env });
    expect(printed.code, printed.stderr).toBe(0);
    const all = await runCli(["policy", "--allow-multipart"], { env });
    const lines = all.stdout.split("\n");
    const own = lines.findIndex((l) => l.includes("aws s3api put-bucket-ownership-controls --bucket flex-dest") && l.includes("BucketOwnerEnforced"));
    const put = lines.findIndex((l) => l.includes("--allow-multipart > bucket-policy.json && aws s3api put-bucket-policy"));
    expect(own).toBeGreaterThanOrEqual(0);
    expect(put).toBeGreaterThan(own); // ownership first: no moment when the role could write objects you do not own
    const o = owner(emu);
    await o.send(new PutBucketOwnershipControlsCommand({ Bucket: emu.destBuckets[0]!, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] } }));
    await o.send(new PutBucketPolicyCommand({ Bucket: emu.destBuckets[0]!, Policy: printed.stdout }));
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied").map((e) => e.key).sort()).toEqual(Object.keys(SIZES).map((n) => `${DAY}${n}`));
    expect(eventsOf(r, "copied").find((e) => e.key === BIG)).toMatchObject({ multipart: true });
    expect(await incompleteUploads(emu)).toEqual([]);
    // Whatever the role wrote is the bucket owner's.
    for (const obj of emu.objects(emu.destBuckets[0]!)) expect(obj.owner).toBe(emu.accountId);
  });

  it("with --credentials env (no owner credentials) only the object that needs parts probes, and what is left is said", async () => {
    emu = await world();
    const c = await assumeRole(emu, { RoleSessionName: "env-test" });
    const env = cliEnv(emu, { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken });
    const r = await runCli(["fetch", "2021/05/28", "--credentials", "env", "--json"], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(emu.requestLog().filter((l) => l.op === "CreateMultipartUpload")).toHaveLength(1);
    const left = eventsOf(r, "upload-left");
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ key: BIG });
    expect(String(left[0]!.command)).toMatch(/^flexcopy cleanup --dest-bucket flex-dest --prefix 2021\/05\/28\/d_6GiB\.pcap\.gz$/);
    expect(summaryOf(r).uploadsLeft).toBe(1);
    expect(await incompleteUploads(emu)).toEqual([BIG]);
    // The printed command removes it (with the owner's credentials).
    const clean = await runCli(String(left[0]!.command).split(" ").slice(1), { env: cliEnv(emu) });
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    expect(await incompleteUploads(emu)).toEqual([]);
    const text = await runCli(["fetch", "2021/05/28", "--credentials", "env"], { env });
    expect(text.stdout + text.stderr).toMatch(/incomplete multipart upload/);
  });

  it("where the initiator may abort its own uploads (the other reading of the docs), --credentials env leaves nothing", async () => {
    emu = await emulator({ seed: "none", initiatorMayAbort: true });
    for (const [name, size] of Object.entries(SIZES)) emu.putObject(SRC, `${DAY}${name}`, size);
    const c = await assumeRole(emu, { RoleSessionName: "env-test" });
    const env = cliEnv(emu, { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken });
    const r = await runCli(["fetch", "2021/05/28", "--credentials", "env", "--json"], { env });
    expect(r.code).toBe(1);
    expect(eventsOf(r, "upload-left")).toHaveLength(0);
    expect(emu.requestLog().some((l) => l.op === "AbortMultipartUpload" && l.principal === "role" && l.status === 204)).toBe(true);
    expect(await incompleteUploads(emu)).toEqual([]);
  });

  it("with the manual's minimal IAM user (no S3 rights of its own) no upload is created for a speed-up", async () => {
    // A Deny for your IAM user in the bucket policy (it also refuses the user the policy itself); the manual's
    // user with no S3 rights at all (the emulator's userPolicy "manual") is in minimal-user.test.ts.
    const doc = bucketPolicy("${roleArn}", "${bucket}") as { Statement: object[] };
    doc.Statement.push({ Sid: "MinimalUser", Effect: "Deny", Principal: { AWS: "arn:aws:iam::123456789012:user/flex-user" }, Action: "s3:*", Resource: ["arn:aws:s3:::${bucket}", "arn:aws:s3:::${bucket}/*"] });
    emu = await emulator({ seed: "none", bucketPolicy: doc });
    emu.putObject(SRC, `${DAY}b_1GiB.pcap.gz`, GiB);
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied")).toMatchObject([{ multipart: false }]);
    expect(emu.requestLog().filter((l) => l.op === "CreateMultipartUpload")).toEqual([]);
    expect(emu.uploads(emu.destBuckets[0]!)).toEqual([]);
  });
});
