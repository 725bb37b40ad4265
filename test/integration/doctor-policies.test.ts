// `flexcopy doctor` on customers' own bucket policies (issue 16): the manual's statements pasted into a policy
// that holds the customer's security controls. Doctor must name the statement that refuses the provider's role
// and what it tests, and never advise replacing the policy (put-bucket-policy) when a Deny is the cause.
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator, EmulatorOptions } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { cliEnv, emulator, runCli, summaryOf, type RunResult } from "./harness.js";
import { lineOf } from "./doctor-helpers.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function doctor(options: EmulatorOptions, args: string[] = []): Promise<{ r: RunResult; env: Record<string, string>; emu: Emulator }> {
  emu = await emulator(options);
  const env = cliEnv(emu);
  return { r: await runCli(["doctor", ...args], { env }), env, emu };
}

/** The manual's policy with the customer's statements added (placeholders filled in by the emulator). */
function withStatements(...statements: object[]): object {
  const doc = bucketPolicy("${roleArn}", "${bucket}") as { Statement: object[] };
  return { ...doc, Statement: [...doc.Statement, ...statements] };
}

const BUCKET_AND_OBJECTS = ["arn:aws:s3:::${bucket}", "arn:aws:s3:::${bucket}/*"];

/** No line of doctor's output advises replacing the policy. */
function neverReplaces(r: RunResult): void {
  expect(r.stdout).not.toMatch(/put-bucket-policy/);
  expect(r.stdout).not.toMatch(/re-apply/);
}

/** The statement a fix says the Deny becomes (printed once per run, on the first line it refuses). */
function exemptedStatement(fix: string): Record<string, unknown> {
  const m = /the statement becomes (\{.*?\}); `flexcopy policy/.exec(fix);
  expect(m, fix).not.toBeNull();
  expect(fix.match(/the statement becomes/g)).toHaveLength(1);
  return JSON.parse(m![1]!) as Record<string, unknown>;
}

describe("doctor on a customer's own bucket policy", () => {
  it("a Deny on 2021/*: doctor names the prefix and the statement; with selectors it names the days; fetch of another prefix is not refused", async () => {
    const deny = { Sid: "Keep2021Out", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/2021/*" };
    const { r, env } = await doctor({ bucketPolicy: withStatements(deny) });
    const l = lineOf(r, "policy copy with ACL");
    expect(l.mark).toBe("✗");
    expect(l.detail).toMatch(/under 2021\/ \(1 of 3 prefixes; allowed under ConnectionSpec\/, testdata\/\): refused by your bucket policy's statement "Keep2021Out" \(Deny s3:PutObject on arn:aws:s3:::flex-dest\/2021\/\* for \*\)/);
    expect(l.fix).toMatch(/exempt only the provider's role/);
    expect(l.fix).toMatch(/leave it out of what you fetch/);
    neverReplaces(r);
    expect(r.code).toBe(1);

    const days = await runCli(["doctor", "2021/05/27..2021/05/28", "testdata/2021/05"], { env });
    const d = lineOf(days, "policy copy with ACL");
    expect(d.detail).toMatch(/under 2021\/05\/27\/, 2021\/05\/28\/ \(2 of 5 prefixes; allowed under testdata\/2021\/05\/27\/, testdata\/2021\/05\/28\/, testdata\/2021\/05\/31\/\)/);
    const ok = await runCli(["doctor", "testdata/2021/05"], { env });
    expect(lineOf(ok, "policy copy with ACL")).toMatchObject({ mark: "✓", detail: expect.stringMatching(/one key of each of testdata\/2021\/05\/27\/, testdata\/2021\/05\/28\/, testdata\/2021\/05\/31\//) });
    const bad = await runCli(["doctor", "2021/13"], { env });
    expect(bad.code).toBe(2);
  });

  it("a NotResource allow-list (Deny everything outside testdata/ and ConnectionSpec/) is seen: 2021/ is refused", async () => {
    const deny = { Sid: "OnlySamples", Effect: "Deny", Principal: "*", Action: "s3:PutObject", NotResource: ["arn:aws:s3:::${bucket}/testdata/*", "arn:aws:s3:::${bucket}/ConnectionSpec/*"] };
    const { r } = await doctor({ bucketPolicy: withStatements(deny) });
    expect(lineOf(r, "policy copy with ACL").detail).toMatch(/under 2021\/ .*"OnlySamples" \(Deny s3:PutObject on everything but \[arn:aws:s3:::flex-dest\/testdata\/\*, arn:aws:s3:::flex-dest\/ConnectionSpec\/\*\]/);
    neverReplaces(r);
  });

  it("an account perimeter (StringNotEquals aws:PrincipalAccount): doctor names it and prints the exemption; applied, doctor passes and fetch copies", async () => {
    const perimeter = { Sid: "AccountPerimeter", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: BUCKET_AND_OBJECTS, Condition: { StringNotEquals: { "aws:PrincipalAccount": "${accountId}" } } };
    emu = await emulator();
    const policy = JSON.parse(JSON.stringify(withStatements(perimeter)).replaceAll("${accountId}", emu.accountId).replaceAll("${roleArn}", emu.roleArn).replaceAll("${bucket}", emu.destBuckets[0]!)) as { Statement: Record<string, unknown>[] };
    emu.setBucketPolicy(emu.destBuckets[0]!, policy);
    const env = cliEnv(emu);
    const r = await runCli(["doctor"], { env });
    expect(r.code).toBe(1);
    const access = lineOf(r, "destination access");
    expect(access).toMatchObject({ mark: "✗", detail: expect.stringMatching(/refused by its bucket policy's statement "AccountPerimeter" \(Deny s3:\*/) });
    const list = lineOf(r, "policy list");
    expect(list.detail).toMatch(/"AccountPerimeter" \(Deny s3:\* on \[arn:aws:s3:::flex-dest, arn:aws:s3:::flex-dest\/\*\] for \* if StringNotEquals aws:PrincipalAccount \d{12}\)/);
    expect(access.fix).toMatch(/ArnNotLike aws:PrincipalArn arn:aws:iam::\d{12}:role\/JeuServiceRoleForS3Copy_123456789012/);
    expect(list.fix).toMatch(/exempt only the provider's role from its statement "AccountPerimeter", as shown above/);
    neverReplaces(r);
    // The exemption as printed, put in place of the statement: the role gets through, the perimeter stays.
    const exempted = exemptedStatement(r.stdout);
    expect(exempted.Condition).toMatchObject({ StringNotEquals: { "aws:PrincipalAccount": emu.accountId } });
    policy.Statement[2] = exempted;
    emu.setBucketPolicy(emu.destBuckets[0]!, policy);
    const again = await runCli(["doctor"], { env });
    for (const n of ["destination access", "policy list", "policy copy with ACL", "policy copy without ACL"]) expect(lineOf(again, n).mark, `${n}\n${again.stdout}`).toBe("✓");
    const f = await runCli(["fetch", "2021/05/27", "--json"], { env });
    expect(f.code, f.stderr).toBe(0);
    expect(summaryOf(f).copied).toBeGreaterThan(0);
  });

  it("a PrincipalOrgID perimeter that also refuses the owner's GetBucketPolicy: doctor says the policy could not be read and why, never 'no bucket policy'", async () => {
    // Without an organisation model every principal lacks aws:PrincipalOrgID, your own too: as for a user whose
    // account is outside the organisation the statement names.
    const perimeter = { Sid: "OrgPerimeter", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: BUCKET_AND_OBJECTS, Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } };
    const { r } = await doctor({ bucketPolicy: withStatements(perimeter) });
    expect(lineOf(r, "bucket policy")).toMatchObject({ mark: "!", detail: expect.stringMatching(/cannot read the bucket policy of s3:\/\/flex-dest \(.*a Deny in the bucket policy itself refuses it.*\); whether the bucket has a policy.* is not known/) });
    expect(lineOf(r, "destination access").detail).not.toMatch(/no bucket policy/);
    expect(lineOf(r, "destination access").fix).toMatch(/do not replace it/);
    neverReplaces(r);
  });

  it("TLS-only (Deny aws:SecureTransport false) on the objects, over plain HTTP: doctor says the policy requires HTTPS; no exemption, no replace advice", async () => {
    const tls = { Sid: "AllowSSLRequestsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::${bucket}/*", Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const { r } = await doctor({ bucketPolicy: withStatements(tls) });
    expect(r.code).toBe(1);
    const l = lineOf(r, "policy copy with ACL");
    expect(l.mark).toBe("✗");
    expect(l.detail).toMatch(/"AllowSSLRequestsOnly" \(Deny s3:\* on arn:aws:s3:::flex-dest\/\* for \* if Bool aws:SecureTransport false\)/);
    expect(l.fix).toMatch(/"AllowSSLRequestsOnly" .*refuses requests over plain HTTP .*flexcopy reaches S3 at http:\/\/127\.0\.0\.1:\d+: use an https:\/\/ endpoint/);
    expect(l.fix).not.toMatch(/exempt/);
    expect(lineOf(r, "policy multipart part")).toMatchObject({ mark: "!", fix: expect.stringMatching(/use an https:\/\/ endpoint/) });
    neverReplaces(r);
  });

  it("TLS-only on the bucket and its objects (the AWS Config rule's shape), over plain HTTP: your own GetBucketPolicy is refused too, and doctor says HTTPS may be why", async () => {
    const tls = { Sid: "AllowSSLRequestsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: BUCKET_AND_OBJECTS, Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const { r } = await doctor({ bucketPolicy: withStatements(tls) });
    expect(lineOf(r, "bucket policy")).toMatchObject({ mark: "!", detail: expect.stringMatching(/over plain HTTP \(http:\/\/127\.0\.0\.1:\d+\), a TLS-only statement .* refuses that to everyone/) });
    expect(lineOf(r, "destination access")).toMatchObject({ mark: "✗", fix: expect.stringMatching(/use an https:\/\/ endpoint/) });
    expect(lineOf(r, "destination access").detail).not.toMatch(/no bucket policy/);
    neverReplaces(r);
  });

  it("a NotPrincipal Deny that lists only your user: the role is refused, the statement named, the exemption printed", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    const me = String((await runCli(["doctor", "--json"], { env })).events.find((e) => e.name === "base credentials")!.detail).split(", ")[1]!;
    const deny = { Sid: "OnlyOurAdmin", Effect: "Deny", NotPrincipal: { AWS: [me] }, Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/*" };
    emu.setBucketPolicy(emu.destBuckets[0]!, JSON.parse(JSON.stringify(withStatements(deny)).replaceAll("${roleArn}", emu.roleArn).replaceAll("${bucket}", emu.destBuckets[0]!)) as object);
    const r = await runCli(["doctor"], { env });
    const l = lineOf(r, "policy copy with ACL");
    expect(l.detail).toMatch(/under any prefix .*"OnlyOurAdmin" \(Deny s3:PutObject on arn:aws:s3:::flex-dest\/\* for everyone but arn:aws:iam::/);
    expect(exemptedStatement(l.fix!)).toMatchObject({ NotPrincipal: { AWS: [me] }, Condition: { ArnNotLike: { "aws:PrincipalArn": [emu.roleArn] } } });
    neverReplaces(r);
  });

  it("encryption required (SSE-KMS with a named key): doctor's fix names the key, and fetch with the flags as printed copies", async () => {
    emu = await emulator({ kmsKeyGrants: ["arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"] });
    const key = "arn:aws:kms:ap-northeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const deny = { Sid: "RequireOurKey", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/*", Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": key } } };
    emu.setBucketPolicy(emu.destBuckets[0]!, JSON.parse(JSON.stringify(withStatements(deny)).replaceAll("${roleArn}", emu.roleArn).replaceAll("${bucket}", emu.destBuckets[0]!)) as object);
    const env = cliEnv(emu);
    const r = await runCli(["doctor"], { env });
    const fix = lineOf(r, "policy copy with ACL").fix!;
    const flags = /add (--sse aws:kms --sse-kms-key-id \S+) to flexcopy's commands/.exec(fix)?.[1];
    expect(flags, fix).toBe(`--sse aws:kms --sse-kms-key-id ${key}`);
    neverReplaces(r);
    const f = await runCli(["fetch", "2021/05/27", "--json", ...flags!.split(" ")], { env });
    expect(f.code, f.stderr).toBe(0);
    expect(summaryOf(f).copied).toBeGreaterThan(0);
  });

  it("encryption required (aws:kms, any key): the fix carries --sse-kms-key-id with a placeholder it says is one, and parses as printed", async () => {
    const deny = { Sid: "RequireKms", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/*", Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } } };
    const { r, env } = await doctor({ bucketPolicy: withStatements(deny) });
    const fix = lineOf(r, "policy copy with ACL").fix!;
    const flags = /add (--sse aws:kms --sse-kms-key-id \S+) to flexcopy's commands/.exec(fix)?.[1];
    expect(flags, fix).toMatch(/REPLACE-WITH-YOUR-KEY-ID$/);
    expect(fix).toMatch(/the key id is a placeholder/);
    const d = await runCli(["doctor", ...flags!.split(" ")], { env });
    expect(d.code).not.toBe(2); // not a usage error
    expect(lineOf(d, "policy copy with ACL").mark).toBe("✓");
  });

  it("AES256 required: fetch with the printed flag copies", async () => {
    const deny = { Sid: "DenyIncorrectEncryptionHeader", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/*", Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" } } };
    const { r, env } = await doctor({ bucketPolicy: withStatements(deny) });
    const flags = /add (--sse AES256) to flexcopy's commands/.exec(lineOf(r, "policy copy with ACL").fix!)?.[1];
    expect(flags).toBe("--sse AES256");
    const f = await runCli(["fetch", "2021/05/27", "--json", ...flags!.split(" ")], { env });
    expect(f.code, f.stderr).toBe(0);
  });

  it("a policy naming flexcopy's session ARN as principal is read as allowing the role", async () => {
    emu = await emulator();
    const session = emu.roleArn.replace(/^arn:aws:iam::(\d{12}):role\/(.*)$/, "arn:aws:sts::$1:assumed-role/$2/flexcopy");
    const doc = JSON.parse(JSON.stringify(bucketPolicy(session, emu.destBuckets[0]!))) as object;
    emu.setBucketPolicy(emu.destBuckets[0]!, doc);
    const r = await runCli(["doctor"], { env: cliEnv(emu) });
    expect(lineOf(r, "bucket policy").mark, r.stdout).toBe("✓");
    expect(lineOf(r, "policy copy with ACL").mark).toBe("✓");
  });

  it("StringLike bucket-owner-*: writes with bucket-owner-read are seen and fail the ownership line", async () => {
    const doc = bucketPolicy("${roleArn}", "${bucket}") as { Statement: { Condition?: object }[] };
    doc.Statement[1]!.Condition = { StringLike: { "s3:x-amz-acl": "bucket-owner-*" } };
    const { r } = await doctor({ bucketPolicy: doc });
    expect(lineOf(r, "policy copy with ACL").mark).toBe("✓");
    expect(lineOf(r, "policy copy without ACL")).toMatchObject({ mark: "✗", detail: expect.stringMatching(/with x-amz-acl bucket-owner-read .*belong to the provider's account/) });
  });
});
