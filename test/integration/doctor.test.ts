import { afterEach, describe, expect, it } from "vitest";
import type { Emulator, EmulatorOptions } from "../../src/emulator/index.js";
import { bucketPolicy, multipartBucketPolicy } from "../../src/iam/manual.js";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { cliEnv, emulator, MULTIPART_SETUP, runCli } from "./harness.js";
import { doctorLines, firstFailure, lineOf } from "./doctor-helpers.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function doctor(options: EmulatorOptions, args: string[] = [], extraEnv: Record<string, string> = {}) {
  emu = await emulator(options);
  const env = cliEnv(emu, extraEnv);
  return { r: await runCli(["doctor", ...args], { env }), env, emu };
}

const POLICY_CHECKS = [
  "bucket policy",
  "policy list",
  "policy copy with ACL",
  "policy copy without ACL",
  "policy multipart create",
  "policy multipart part",
  "policy multipart complete",
  "policy multipart abort",
  "policy multipart list parts",
];
const CHECKS = ["config", "base credentials", "clock", "assume role", "source bucket", "destination bucket", "destination access", "default encryption", ...POLICY_CHECKS, "write test", "write test multipart"];

describe("flexcopy doctor against the emulator", () => {
  it("all checks pass on a bucket set up for multipart; --write-test copies the smallest spec/sample object with the owner ACL", async () => {
    const { r, emu } = await doctor(MULTIPART_SETUP, ["--write-test"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = doctorLines(r.stdout);
    expect(lines.map((l) => l.name)).toEqual(CHECKS);
    expect(lines.every((l) => l.mark === "✓"), r.stdout).toBe(true);
    expect(lineOf(r, "base credentials").detail).toContain(`account ${emu.accountId}, arn:aws:iam::${emu.accountId}:`);
    expect(lineOf(r, "assume role").detail).toMatch(/JeuServiceRoleForS3Copy_123456789012, sessions of 12 h$/);
    expect(lineOf(r, "source bucket").detail).toMatch(/shows 2021, ConnectionSpec, testdata/);
    expect(lineOf(r, "destination bucket").detail).toContain("in ap-northeast-1");
    const copied = emu.objects(emu.destBuckets[0]!);
    expect(copied).toHaveLength(1);
    const key = copied[0]!.key;
    expect(key).toMatch(/^(ConnectionSpec|testdata)\//);
    const candidates = emu.objects(emu.sourceBucket).filter((o) => o.key.startsWith(key.split("/")[0]! + "/"));
    expect(copied[0]!.size).toBe(Math.min(...candidates.map((o) => o.size)));
    const writes = emu.requestLog().filter((e) => e.op === "CopyObject");
    expect(writes.map((e) => [e.principal, e.status, e.acl])).toEqual([["role", 200, "bucket-owner-full-control"]]);
    // The multipart write test copied one part and aborted its upload.
    expect(lineOf(r, "write test multipart").detail).toMatch(/multipart copies work/);
    expect(emu.requestLog().filter((e) => e.op === "UploadPartCopy").map((e) => e.status)).toEqual([200]);
    expect(emu.uploads(emu.destBuckets[0]!)).toHaveLength(0);
    // The destination is inspected with the base user's credentials, listed with the role's.
    expect(emu.requestLog().some((e) => e.bucket === emu.destBuckets[0] && e.principal === "base")).toBe(true);
  });

  it("--json prints one object per check, without --write-test the write test is skipped and nothing written", async () => {
    const { r, emu } = await doctor(MULTIPART_SETUP, ["--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.map((e) => e.name)).toEqual(CHECKS);
    expect(r.events.every((e) => e.kind === "doctor")).toBe(true);
    const writeTest = CHECKS.indexOf("write test");
    expect(r.events.slice(0, writeTest).every((e) => e.ok === true && e.status === "pass")).toBe(true);
    expect(r.events[writeTest]).toMatchObject({ name: "write test", status: "skip" });
    expect(emu.objects(emu.destBuckets[0]!)).toHaveLength(0);
  });

  it("--write-test refused: ✗ write test, fix names the bucket policy's PutObject/PutObjectAcl condition", async () => {
    const { r } = await doctor({ ...MULTIPART_SETUP, faults: { failNext: [{ op: "CopyObject", count: 1, code: "AccessDenied" }] } }, ["--write-test"]);
    expect(r.code).toBe(1);
    const l = firstFailure(r)!;
    expect(l.name).toBe("write test");
    expect(l.detail).toMatch(/^AccessDenied.*was refused/);
    expect(l.fix).toMatch(/s3:PutObject and s3:PutObjectAcl .* s3:x-amz-acl = bucket-owner-full-control/);
  });

  it("source listing: a transient 500 is retried (the engine's pager and Requester); a denial names the code once", async () => {
    const retried = await doctor({ faults: { failNext: [{ op: "ListObjectsV2", count: 1, code: "InternalError" }] } });
    expect(lineOf(retried.r, "source bucket")).toMatchObject({ mark: "✓", detail: expect.stringMatching(/shows 2021, ConnectionSpec, testdata/) });
    await emu?.stop();
    const { r } = await doctor({ faults: { failNext: [{ op: "ListObjectsV2", count: 1, code: "AccessDenied" }] } });
    const l = firstFailure(r)!;
    expect(l.name).toBe("source bucket");
    expect(l.detail).toMatch(/^AccessDenied: (?!.*AccessDenied).*: the provider's role cannot list s3:\/\/dataservice-flex-bucket$/);
    expect(l.fix).toMatch(/setup-complete notice/);
  });

  it("external id required but not given: ✗ assume role, fix names --external-id", async () => {
    const { r } = await doctor({ externalId: "jpx-ext-4711" });
    expect(r.code).toBe(1);
    const l = firstFailure(r)!;
    expect(l.name).toBe("assume role");
    expect(l.detail).toMatch(/^AccessDenied: .*sts:AssumeRole/);
    expect(l.fix).toMatch(/if JPX gave you an external id, pass it with --external-id/);
    expect(lineOf(r, "source bucket").mark).toBe("–");
    expect(lineOf(r, "destination bucket").mark).toBe("✓"); // does not need the role
    expect(lineOf(r, "destination access").detail).toBe("skipped: needs assume role");
  });

  it("wrong external id: ✗ assume role, fix says it does not match", async () => {
    const { r } = await doctor({ externalId: "jpx-ext-4711" }, ["--external-id", "jpx-ext-0000"]);
    expect(r.code).toBe(1);
    const l = firstFailure(r)!;
    expect(l.name).toBe("assume role");
    expect(l.fix).toMatch(/the external id \(--external-id\) does not match/);
    expect(l.fix).toContain("flexcopy policy --iam-policy");
  });

  it("bucket policy absent (provider setup not finished): ✗ destination access, fix applies the policy", async () => {
    const { r } = await doctor({ bucketPolicy: false });
    expect(r.code).toBe(1);
    const l = firstFailure(r)!;
    expect(l.name).toBe("destination access");
    expect(l.detail).toMatch(/^AccessDenied.*cannot list s3:\/\/flex-dest/);
    expect(l.fix).toContain("flexcopy policy --bucket-policy > bucket-policy.json && aws s3api put-bucket-policy --bucket flex-dest");
    expect(lineOf(r, "source bucket").mark).toBe("✓");
  });

  it("destination in the wrong region: ✗ destination bucket, fix says ap-northeast-1", async () => {
    const { r } = await doctor({ faults: { bucketRegions: { "flex-dest": "us-east-1" } } });
    expect(r.code).toBe(1);
    const l = firstFailure(r)!;
    expect(l.name).toBe("destination bucket");
    expect(l.detail).toBe("s3://flex-dest is in us-east-1, not ap-northeast-1");
    expect(l.fix).toContain("aws s3 mb s3://<name> --region ap-northeast-1");
  });

  it("clock 20 minutes off: ✗ clock names the skew as the cause, with the fix; dependent checks skipped", async () => {
    const { r } = await doctor({ faults: { clockOffsetMs: 20 * 60_000 } });
    expect(r.code).toBe(1);
    const l = firstFailure(r)!;
    expect(l.name).toBe("clock");
    expect(l.detail).toMatch(/the local clock is 20 min behind the service.*RequestTimeTooSkewed/);
    expect(l.fix).toMatch(/timedatectl set-ntp true/);
    for (const name of ["assume role", "source bucket", "destination bucket", "destination access"]) expect(lineOf(r, name).mark).toBe("–");
  });

  it("wrong secret key: ✗ base credentials with the fix, and the secret is never printed", async () => {
    const secret = "definitelyNotTheRightSecretKey0123456789";
    const { r } = await doctor({}, [], { AWS_SECRET_ACCESS_KEY: secret });
    expect(r.code).toBe(1);
    const l = firstFailure(r)!;
    expect(l.name).toBe("base credentials");
    expect(l.detail).toMatch(/^SignatureDoesNotMatch/);
    expect(l.fix).toMatch(/secret access key does not belong to the access key id/);
    expect(lineOf(r, "clock").mark).toBe("✓");
    expect(lineOf(r, "assume role").mark).toBe("–");
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("no credentials at all: ✗ base credentials says how to provide them", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    const r = await runCli(["doctor"], { env });
    expect(r.code).toBe(1);
    expect(firstFailure(r)).toMatchObject({ name: "base credentials" });
    expect(firstFailure(r)!.fix).toMatch(/no AWS credentials found/);
  });

  it("invalid config: a usage error like in every command (exit 2, one line on stderr naming the setting)", async () => {
    const { r } = await doctor({}, ["--max-attempts", "0"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^flexcopy: error: --max-attempts .*\n$/);
  });

  it("role chaining (temporary base credentials): sessions of 1 h, refreshed automatically", async () => {
    emu = await emulator();
    const c = await assumeRole(emu, { RoleSessionName: "ci", DurationSeconds: 3600 });
    const env = cliEnv(emu, { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken });
    const r = await runCli(["doctor"], { env });
    expect(lineOf(r, "assume role").detail).toMatch(/sessions of 1 h \(role chaining/);
    expect(r.stdout + r.stderr).not.toContain(c.secretAccessKey);
    expect(r.stdout + r.stderr).not.toContain(c.sessionToken);
  });

  it("under the manual's policy exactly: exit 0, the multipart lines are warnings saying what they mean; --strict makes them fail", async () => {
    const { r, env } = await doctor({}, ["--write-test"]);
    expect(r.code, r.stdout).toBe(0);
    for (const n of ["bucket policy", "policy list", "policy copy with ACL", "policy copy without ACL", "policy multipart create"]) expect(lineOf(r, n).mark, n).toBe("✓");
    for (const n of ["policy multipart part", "policy multipart complete", "policy multipart abort", "policy multipart list parts"]) {
      expect(lineOf(r, n).mark, n).toBe("!");
      expect(lineOf(r, n).detail, n).toMatch(/objects over 5 GiB cannot be copied/);
      expect(lineOf(r, n).fix, n).toContain("flexcopy policy --allow-multipart --merge-current");
    }
    expect(lineOf(r, "policy multipart part").detail).toMatch(/no Allow for s3:PutObject/);
    expect(lineOf(r, "write test").mark).toBe("✓");
    expect(lineOf(r, "write test multipart")).toMatchObject({ mark: "!", detail: expect.stringMatching(/objects over 5 GiB cannot be copied/) });
    expect(r.stdout).toMatch(/all checks passed, 5 warnings \(!\)/);
    expect(emu!.uploads(emu!.destBuckets[0]!)).toHaveLength(0); // the test upload was aborted by the owner
    const strict = await runCli(["doctor", "--strict"], { env });
    expect(strict.code, strict.stdout).toBe(1);
    expect(strict.stdout).toMatch(/4 warnings \(--strict makes them fail\)/);
    const strictJson = await runCli(["doctor", "--strict", "--json"], { env });
    expect(strictJson.code).toBe(1);
    expect(strictJson.events.filter((e) => e.status === "warn")).toHaveLength(4);
  });

  it("a Deny statement that hits one prefix is named with what it tests; the fix exempts the role, never replaces the policy", async () => {
    const doc = bucketPolicy("${roleArn}", "${bucket}") as { Statement: object[] };
    doc.Statement.push({ Sid: "NoTestdata", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/testdata/*" });
    const { r } = await doctor({ bucketPolicy: doc });
    const l = lineOf(r, "policy copy with ACL");
    expect(l.mark).toBe("✗");
    expect(l.detail).toMatch(/under testdata\/ \(1 of 3 prefixes; allowed under 2021\/, ConnectionSpec\/\): refused by your bucket policy's statement "NoTestdata" \(Deny s3:PutObject on arn:aws:s3:::flex-dest\/testdata\/\* for \*\)/);
    expect(l.fix).toMatch(/keep its statement "NoTestdata".*ArnNotLike aws:PrincipalArn arn:aws:iam::\d{12}:role\/JeuServiceRoleForS3Copy_123456789012/);
    expect(l.fix).toContain("flexcopy policy --merge-current");
    expect(r.stdout).not.toMatch(/put-bucket-policy/);
  });

  it("a policy without a statement for the role: ✗ bucket policy, the rest skipped", async () => {
    const other = bucketPolicy("arn:aws:iam::461810399597:role/SomeoneElse", "${bucket}");
    const { r } = await doctor({ bucketPolicy: other });
    expect(lineOf(r, "bucket policy")).toMatchObject({ mark: "✗", detail: expect.stringMatching(/allows nothing to the provider's role/) });
    expect(lineOf(r, "policy list").mark).toBe("–");
  });

  it("the multipart statement without BucketOwnerEnforced: ✗ copy without the ACL, fix sets the ownership", async () => {
    const { r } = await doctor({ bucketPolicy: multipartBucketPolicy("${roleArn}", "${bucket}") });
    expect(lineOf(r, "bucket policy").detail).toMatch(/Object Ownership ObjectWriter/);
    const l = lineOf(r, "policy copy without ACL");
    expect(l.mark).toBe("✗");
    expect(l.fix).toMatch(/put-bucket-ownership-controls .*BucketOwnerEnforced/);
    expect(lineOf(r, "policy multipart part").mark).toBe("✓");
  });

  it("no bucket policy at all: ✗ bucket policy with the manual's policy as the fix", async () => {
    const { r } = await doctor({ bucketPolicy: false });
    expect(lineOf(r, "bucket policy")).toMatchObject({ mark: "✗", detail: expect.stringMatching(/has no bucket policy/) });
  });
});
