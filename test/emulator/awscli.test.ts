// The manual's own procedure, run with the real AWS CLI against the emulator:
//   aws sts assume-role …; export AWS_ACCESS_KEY_ID/…; aws s3 ls …; aws s3 cp … --recursive --acl bucket-owner-full-control
// Needs `aws` on PATH (AWS CLI v1 via pip, or v2 / Debian package "awscli"); skipped with one line when missing
// (test/support/interop.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { bucketPolicy, multipartBucketPolicy } from "../../src/iam/manual.js";
import { assertInterop, skipInterop } from "../support/interop.js";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { runProcess, type Run } from "../support/tools.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const GiB = 1024 ** 3;

let dir: string;
let configFile: string;

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "LANG", "TMPDIR"]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return {
    ...env,
    LC_ALL: "C.UTF-8",
    PYTHONIOENCODING: "utf-8",
    AWS_DEFAULT_REGION: "ap-northeast-1",
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
  };
}

function aws(emu: Emulator, args: string[], creds: Record<string, string>): Promise<Run> {
  return runProcess("aws", ["--endpoint-url", emu.endpoint, ...args], { ...baseEnv(), ...creds });
}

const baseCreds = (emu: Emulator) => ({ AWS_ACCESS_KEY_ID: emu.accessKeyId, AWS_SECRET_ACCESS_KEY: emu.secretAccessKey });

async function roleCreds(emu: Emulator): Promise<Record<string, string>> {
  const c = await assumeRole(emu, { RoleSessionName: "s3copy", DurationSeconds: 43200 });
  return { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken };
}

describe.skipIf(skipInterop("aws"))("AWS CLI against the emulator (the manual's procedure)", () => {
  let emu: Emulator;
  let role: Record<string, string>;

  beforeAll(async () => {
    assertInterop("aws");
    dir = mkdtempSync(join(tmpdir(), "flexcopy-awscli-"));
    configFile = join(dir, "config");
    writeFileSync(configFile, "[default]\nregion = ap-northeast-1\noutput = json\ns3 =\n    addressing_style = path\n");
    emu = await startEmulator({ seed: "demo", destBuckets: [DEST], contractedPeriods: ["2021/05", "testdata", "ConnectionSpec"] });
    role = await roleCreds(emu);
  });

  afterAll(async () => {
    await emu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("aws sts assume-role issues temporary credentials for the role", async () => {
    const r = await aws(emu, ["sts", "assume-role", "--role-arn", emu.roleArn, "--role-session-name", "s3copy", "--duration-seconds", String(60 * 60 * 12)], baseCreds(emu));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { Credentials: Record<string, string>; AssumedRoleUser: { Arn: string } };
    expect(out.Credentials.AccessKeyId).toMatch(/^ASIA/);
    expect(out.Credentials.SessionToken).toBeTruthy();
    const exp = Date.parse(out.Credentials.Expiration ?? "");
    expect(exp - Date.now()).toBeGreaterThan(11 * 3600 * 1000);
    expect(out.AssumedRoleUser.Arn).toContain("JeuServiceRoleForS3Copy_");
  });

  it("aws s3 ls lists days, ConnectionSpec versions (with spaces) and Japanese names", async () => {
    const days = await aws(emu, ["s3", "ls", `s3://${SRC}/2021/05/`], role);
    expect(days.code, days.stderr).toBe(0);
    expect(days.stdout).toMatch(/PRE 31\//);
    expect(days.stdout).toMatch(/PRE 06\//);
    expect(days.stdout).not.toMatch(/PRE 0[345]\//);

    const std = await aws(emu, ["s3", "ls", `s3://${SRC}/ConnectionSpec/Standard/`], role);
    expect(std.code, std.stderr).toBe(0);
    expect(std.stdout).toContain("PRE version 17.4/");
    expect(std.stdout).toContain("PRE Version 18.3/");

    const ja = await aws(emu, ["s3", "ls", `s3://${SRC}/ConnectionSpec/Standard/version 17.4/Japanese`, "--recursive"], role);
    expect(ja.code, ja.stderr).toBe(0);
    expect(ja.stdout).toContain("ConnectionSpec/Standard/version 17.4/Japanese/FLEX Standard 接続仕様書 v17.4.pdf");

    // The manual warns listings may show data you are not entitled to download: June is listed.
    const june = await aws(emu, ["s3", "ls", `s3://${SRC}/2021/06/01/`], role);
    expect(june.code, june.stderr).toBe(0);
    expect(june.stdout).toContain("20210601_1_001.pcap.gz");
  });

  // aws/aws-cli#1674: under a bucket policy that requires x-amz-acl, UploadPart(Copy) is denied (the header is
  // not sent, so the condition is false). The CLI copies what CopyObject can and fails the > 5 GiB object.
  it("under the manual's policy: aws s3 cp copies the day but the > 5 GiB object's UploadPartCopy is AccessDenied", async () => {
    const bigKey = "2021/05/31/20210531_1_099.pcap.gz";
    emu.putObject(SRC, bigKey, 6 * GiB + 12345, { contentType: "application/gzip", metadata: { "flex-kind": "pcap" } });
    emu.clearLog();
    const r = await aws(
      emu,
      ["s3", "cp", `s3://${SRC}/2021/05/31`, `s3://${DEST}/2021/05/31`, "--recursive", "--acl", "bucket-owner-full-control", "--only-show-errors"],
      role,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/AccessDenied|Access Denied/);
    const want = emu.objects(SRC).filter((o) => o.key.startsWith("2021/05/31/"));
    const got = new Map(emu.objects(DEST).map((o) => [o.key, o]));
    for (const o of want.filter((x) => x.key !== bigKey)) {
      expect(got.get(o.key)?.size, o.key).toBe(o.size);
      // bucket-owner-full-control: the customer (bucket owner) gets FULL_CONTROL of the role-written object.
      expect(got.get(o.key)?.grants.some((g) => g.permission === "FULL_CONTROL" && g.grantee === emu.accountId), o.key).toBe(true);
    }
    expect(got.has(bigKey)).toBe(false);
    const log = emu.requestLog().filter((e) => e.key === bigKey);
    expect(log.some((e) => e.op === "CreateMultipartUpload" && e.status === 200 && e.acl === "bucket-owner-full-control")).toBe(true);
    const denied = log.filter((e) => e.op === "UploadPartCopy" && e.status === 403);
    expect(denied.length).toBeGreaterThan(0);
    expect(denied[0]).toMatchObject({ action: "s3:PutObject" });
    // The CLI's own AbortMultipartUpload is denied too: the upload stays until the bucket owner removes it.
    const left = emu.uploads(DEST).filter((u) => u.key === bigKey);
    expect(left.length).toBeGreaterThan(0);
    for (const u of left) {
      // "--upload-id=…": a random id may begin with "-", which the CLI would read as an option
      const a = await aws(emu, ["s3api", "abort-multipart-upload", "--bucket", DEST, "--key", bigKey, `--upload-id=${u.uploadId}`], baseCreds(emu));
      expect(a.code, a.stderr).toBe(0);
    }
    expect(emu.uploads(DEST)).toHaveLength(0);
  }, 180_000);

  it("after the bucket owner applies `flexcopy policy --allow-multipart` with aws s3api, aws s3 cp copies the > 5 GiB object", async () => {
    const bigKey = "2021/05/31/20210531_1_099.pcap.gz";
    const file = join(dir, "mp-policy.json");
    writeFileSync(file, JSON.stringify(multipartBucketPolicy(emu.roleArn, DEST)));
    const own = await aws(emu, ["s3api", "put-bucket-ownership-controls", "--bucket", DEST, "--ownership-controls", "Rules=[{ObjectOwnership=BucketOwnerEnforced}]"], baseCreds(emu));
    expect(own.code, own.stderr).toBe(0);
    const put = await aws(emu, ["s3api", "put-bucket-policy", "--bucket", DEST, "--policy", `file://${file}`], baseCreds(emu));
    expect(put.code, put.stderr).toBe(0);
    const got = await aws(emu, ["s3api", "get-bucket-policy", "--bucket", DEST], baseCreds(emu));
    expect(JSON.parse((JSON.parse(got.stdout) as { Policy: string }).Policy)).toEqual(multipartBucketPolicy(emu.roleArn, DEST));
    emu.clearLog();
    const r = await aws(
      emu,
      ["s3", "cp", `s3://${SRC}/2021/05/31/20210531_1_099.pcap.gz`, `s3://${DEST}/${bigKey}`, "--acl", "bucket-owner-full-control", "--only-show-errors"],
      role,
    );
    expect(r.code, r.stderr).toBe(0);
    const big = emu.objects(DEST).find((o) => o.key === bigKey);
    expect(big?.size).toBe(6 * GiB + 12345);
    expect(big?.owner).toBe(emu.accountId); // BucketOwnerEnforced: the bucket owner owns it
    const log = emu.requestLog();
    expect(log.filter((e) => e.op === "UploadPartCopy" && e.key === bigKey).every((e) => e.status === 200)).toBe(true);
    expect(log.some((e) => e.op === "CompleteMultipartUpload" && e.key === bigKey && e.status === 200)).toBe(true);
    // Back to the manual's policy and ACLs for the other tests.
    emu.setBucketPolicy(DEST, bucketPolicy(emu.roleArn, DEST));
    emu.setObjectOwnership(DEST, "ObjectWriter");
  }, 180_000);

  it("a policy requiring an encryption header: aws s3 cp is refused without --sse, copies with --sse AES256; SSE-KMS with aws/s3 is refused to the role", async () => {
    const small = "2021/05/28/20210528_1_001.pcap.gz";
    const doc = bucketPolicy(emu.roleArn, DEST) as { Statement: object[] };
    doc.Statement.push({ Sid: "DenyUnEncryptedObjectUploads", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${DEST}/*`, Condition: { Null: { "s3:x-amz-server-side-encryption": "true" } } });
    const file = join(dir, "sse-policy.json");
    writeFileSync(file, JSON.stringify(doc));
    const put = await aws(emu, ["s3api", "put-bucket-policy", "--bucket", DEST, "--policy", `file://${file}`], baseCreds(emu));
    expect(put.code, put.stderr).toBe(0);
    try {
      const cp = (dest: string, extra: string[]) =>
        aws(emu, ["s3", "cp", `s3://${SRC}/${small}`, `s3://${DEST}/${dest}`, "--acl", "bucket-owner-full-control", "--only-show-errors", ...extra], role);
      const refused = await cp("sse/none.pcap.gz", []);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("AccessDenied");
      const ok = await cp("sse/aes.pcap.gz", ["--sse", "AES256"]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(emu.requestLog().find((e) => e.op === "CopyObject" && e.key === "sse/aes.pcap.gz")).toMatchObject({ status: 200, sse: "AES256" });
      // default encryption SSE-KMS with the AWS managed key, set with aws s3api: the role's copy is refused
      const enc = await aws(
        emu,
        ["s3api", "put-bucket-encryption", "--bucket", DEST, "--server-side-encryption-configuration", '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}'],
        baseCreds(emu),
      );
      expect(enc.code, enc.stderr).toBe(0);
      emu.setBucketPolicy(DEST, bucketPolicy(emu.roleArn, DEST));
      const kms = await cp("sse/kms.pcap.gz", []);
      expect(kms.code).not.toBe(0);
      expect(kms.stderr).toMatch(/AccessDenied|kms:GenerateDataKey/);
    } finally {
      emu.setBucketPolicy(DEST, bucketPolicy(emu.roleArn, DEST));
      await aws(emu, ["s3api", "put-bucket-encryption", "--bucket", DEST, "--server-side-encryption-configuration", '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'], baseCreds(emu));
    }
  });

  it("copies ConnectionSpec folders whose names have spaces, Japanese and '+'", async () => {
    for (const lang of ["Japanese", "English"]) {
      const p = `ConnectionSpec/Standard/version 17.4/${lang}`;
      const r = await aws(emu, ["s3", "cp", `s3://${SRC}/${p}`, `s3://${DEST}/${p}`, "--recursive", "--acl", "bucket-owner-full-control", "--only-show-errors"], role);
      expect(r.code, r.stderr).toBe(0);
    }
    const keys = emu.objects(DEST).map((o) => o.key);
    expect(keys).toContain("ConnectionSpec/Standard/version 17.4/Japanese/FLEX Standard 接続仕様書 v17.4.pdf");
    expect(keys).toContain("ConnectionSpec/Standard/version 17.4/English/Errata+Notes.pdf");
    expect(keys).toContain("ConnectionSpec/Standard/version 17.4/English/FLEX Standard Connection Specification v17.4.pdf");
  });

  it("without --acl bucket-owner-full-control the bucket policy denies the copy", async () => {
    const r = await aws(emu, ["s3", "cp", `s3://${SRC}/2021/05/28`, `s3://${DEST}/noacl/2021/05/28`, "--recursive", "--only-show-errors"], role);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("AccessDenied");
    expect(emu.objects(DEST).some((o) => o.key.startsWith("noacl/"))).toBe(false);
  });

  it("a day outside the contracted periods is AccessDenied", async () => {
    const r = await aws(emu, ["s3", "cp", `s3://${SRC}/2021/06/01`, `s3://${DEST}/2021/06/01`, "--recursive", "--acl", "bucket-owner-full-control", "--only-show-errors"], role);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/AccessDenied|Forbidden|403/);
  });

  it("aws s3 ls of the destination with the base user shows what was copied", async () => {
    const r = await aws(emu, ["s3", "ls", `s3://${DEST}/2021/05/31`, "--recursive"], baseCreds(emu));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("2021/05/31/20210531_1_001.pcap.gz");
    expect(r.stdout).toContain(String(6 * GiB + 12345));
  });
});
