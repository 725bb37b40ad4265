import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { runCli } from "./harness.js";
import { bareEnv, jsonBlocks, tempDir } from "./doctor-helpers.js";

const ACCOUNT = "123456789012";
const BUCKET = "my-flex-bucket";
const ROLE = `arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_${ACCOUNT}`;

// The manual's templates (Japanese manual v4.0.2, steps 1-2 and 1-3) with the placeholders substituted.
const MANUAL_BUCKET_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "S3CopyStmtList",
      Effect: "Allow",
      Principal: { AWS: [ROLE] },
      Action: "s3:ListBucket",
      Resource: [`arn:aws:s3:::${BUCKET}`],
    },
    {
      Sid: "S3CopyStmtPutObject",
      Effect: "Allow",
      Principal: { AWS: [ROLE] },
      Action: ["s3:PutObject", "s3:PutObjectAcl"],
      Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control" } },
    },
  ],
};
const MANUAL_IAM_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Resource: ROLE }],
};

const ids = ["--account-id", ACCOUNT, "--dest-bucket", BUCKET];

describe("flexcopy policy", () => {
  it("prints both policies, each valid JSON equal to the manual's template", async () => {
    const r = await runCli(["policy", ...ids], { env: bareEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(jsonBlocks(r.stdout)).toEqual([MANUAL_BUCKET_POLICY, MANUAL_IAM_POLICY]);
    expect(r.stdout).toContain("aws s3api put-bucket-policy --bucket my-flex-bucket");
  });

  it("--bucket-policy and --iam-policy print bare JSON (settings from the environment)", async () => {
    const env = bareEnv({ FLEXCOPY_ACCOUNT_ID: ACCOUNT, FLEXCOPY_DEST_BUCKET: BUCKET });
    const b = await runCli(["policy", "--bucket-policy"], { env });
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toEqual(MANUAL_BUCKET_POLICY);
    const i = await runCli(["policy", "--iam-policy"], { env });
    expect(JSON.parse(i.stdout)).toEqual(MANUAL_IAM_POLICY);
  });

  it("--out-dir writes bucket-policy.json and iam-policy.json", async () => {
    const cwd = tempDir();
    const r = await runCli(["policy", ...ids, "--out-dir", "policies"], { env: bareEnv(), cwd });
    expect(r.code, r.stderr).toBe(0);
    const read = (f: string) => JSON.parse(readFileSync(path.join(cwd, "policies", f), "utf8")) as unknown;
    expect(read("bucket-policy.json")).toEqual(MANUAL_BUCKET_POLICY);
    expect(read("iam-policy.json")).toEqual(MANUAL_IAM_POLICY);
    expect(r.stdout).toContain(`file://${path.join(cwd, "policies", "bucket-policy.json")}`);
  });

  it.each([
    ["no account id", ["policy", "--dest-bucket", BUCKET], /--account-id is required/],
    ["no bucket", ["policy", "--account-id", ACCOUNT], /--dest-bucket is required/],
    ["bad account id", ["policy", "--account-id", "12345", "--dest-bucket", BUCKET], /--account-id must be 12 digits/],
  ])("%s: one-line usage error, exit 2", async (_name, args, pattern) => {
    const r = await runCli(args, { env: bareEnv() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  });

  it("the IAM policy needs no bucket", async () => {
    const r = await runCli(["policy", "--iam-policy", "--account-id", ACCOUNT], { env: bareEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(MANUAL_IAM_POLICY);
  });
});

describe("flexcopy policy --kms-key-policy", () => {
  it("prints the key-policy statement for the provider's role as bare JSON; alone only", async () => {
    const r = await runCli(["policy", "--kms-key-policy", "--account-id", ACCOUNT], { env: bareEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ Sid: "FlexcopyProviderRoleMayEncrypt", Effect: "Allow", Principal: { AWS: [ROLE] }, Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: "*" });
    const both = await runCli(["policy", "--kms-key-policy", "--bucket-policy", ...ids], { env: bareEnv() });
    expect(both.code).toBe(2);
    expect(both.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("flexcopy init", () => {
  const load = (cwd: string, home: string) => loadConfig({ flags: {}, env: {}, cwd, home });

  it("writes only non-default values, mode 600, and loadConfig reads them back", async () => {
    const cwd = tempDir();
    const env = bareEnv();
    const args = ["init", ...ids, "--external-id", "ext-123", "--concurrency", "32", "--part-size", "256MiB", "--region", "ap-northeast-1"];
    const r = await runCli(args, { env, cwd });
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(cwd, "flexcopy.config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    expect(written).toEqual({ accountId: ACCOUNT, destBucket: BUCKET, externalId: "ext-123", concurrency: 32, partSize: "256MiB" });
    const config = await load(cwd, env.HOME!);
    expect(config).toMatchObject({ accountId: ACCOUNT, destBucket: BUCKET, externalId: "ext-123", concurrency: 32, partSize: 256 * 2 ** 20, roleArn: ROLE });
  });

  it("--global writes ~/.config/flexcopy/config.json (directory created, owner-only)", async () => {
    const env = bareEnv();
    const cwd = tempDir();
    const r = await runCli(["init", "--global", ...ids], { env, cwd });
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(env.HOME!, ".config", "flexcopy", "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(await load(cwd, env.HOME!)).toMatchObject({ accountId: ACCOUNT, destBucket: BUCKET });
  });

  it("refuses to overwrite an existing file without --force (exit 2), replaces it with --force", async () => {
    const cwd = tempDir();
    const file = path.join(cwd, "flexcopy.config.json");
    writeFileSync(file, '{"accountId":"999999999999"}\n');
    const r = await runCli(["init", ...ids], { env: bareEnv(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; use --force/);
    expect(readFileSync(file, "utf8")).toBe('{"accountId":"999999999999"}\n');
    const f = await runCli(["init", ...ids, "--force"], { env: bareEnv(), cwd });
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ accountId: ACCOUNT, destBucket: BUCKET });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it.each([
    ["bad account id", ["init", "--account-id", "1234", "--dest-bucket", BUCKET], /--account-id must be 12 digits/],
    ["bad bucket", ["init", "--account-id", ACCOUNT, "--dest-bucket", "My_Bucket"], /--dest-bucket/],
    ["bad size", ["init", ...ids, "--part-size", "1MiB"], /--part-size/],
    ["a key where an external id goes", ["init", ...ids, "--external-id", "AKIAIOSFODNN7EXAMPLE"], /credential/],
    ["missing values without a terminal", ["init", "--account-id", ACCOUNT], /--dest-bucket required/],
  ])("%s: exit 2, nothing written", async (_name, args, pattern) => {
    const cwd = tempDir();
    const r = await runCli(args, { env: bareEnv(), cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(path.join(cwd, "flexcopy.config.json"))).toBe(false);
  });

  it("never writes the secret key of the environment, even if passed as a value", async () => {
    const cwd = tempDir();
    const secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00";
    const r = await runCli(["init", ...ids, "--session-name", secret.slice(0, 40).replace(/\//g, "")], {
      env: bareEnv({ AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: secret }),
      cwd,
    });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(existsSync(path.join(cwd, "flexcopy.config.json"))).toBe(false);
  });
});
