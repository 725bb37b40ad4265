// `flexcopy policy --merge` / `--apply` on a bucket that already has a policy of its own (an account
// perimeter, a NotPrincipal Deny, a Deny on one prefix): through the real CLI and the emulator over HTTP.
import { GetBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { cliEnv, emulator, runCli, summaryOf } from "./harness.js";
import { expectMergeAddsNothing, tempDir } from "./doctor-helpers.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const DEST = "flex-dest";
const ALL = [`arn:aws:s3:::${DEST}`, `arn:aws:s3:::${DEST}/*`];

/** A customer's policy written from AWS's documentation: nothing in it knows about the provider's role. */
function customerPolicy(e: Emulator) {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "OnlyOurAccount", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ALL, Condition: { StringNotEquals: { "aws:PrincipalAccount": [e.accountId] } } },
      { Sid: "OnlyOurWriters", Effect: "Deny", NotPrincipal: { AWS: [`arn:aws:iam::${e.accountId}:user/flex-user`, `arn:aws:iam::${e.accountId}:root`] }, Action: "s3:PutObject", Resource: `arn:aws:s3:::${DEST}/*` },
      { Sid: "No2021Writes", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${DEST}/2021/*` },
      { Sid: "LogsAreOurs", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: `arn:aws:s3:::${DEST}/logs/*` },
    ],
  };
}

const owner = (e: Emulator) => new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });
const currentPolicy = async (e: Emulator) => JSON.parse((await owner(e).send(new GetBucketPolicyCommand({ Bucket: DEST }))).Policy ?? "{}") as { Statement: Record<string, unknown>[] };
const FETCH = ["fetch", "testdata/2021/05", "2021/05/31", "--json"];

describe("flexcopy policy --merge on a bucket with a policy of its own", () => {
  it("the merged policy, applied by the owner, lets fetch through; the customer's Denies still refuse everyone else; merging again changes nothing", async () => {
    emu = await emulator({ bucketPolicy: false });
    const original = customerPolicy(emu);
    await owner(emu).send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: JSON.stringify(original) }));
    const env = cliEnv(emu);
    const refused = await runCli(FETCH, { env });
    expect(refused.code).toBe(3);

    const cwd = tempDir();
    writeFileSync(path.join(cwd, "mine.json"), JSON.stringify(original));
    const r = await runCli(["policy", "--merge", "mine.json"], { env, cwd });
    expect(r.code, r.stderr).toBe(0);
    const merged = JSON.parse(r.stdout) as { Statement: Record<string, unknown>[] };
    // Every statement of yours is kept, in place; the three that refused the role gain only the exemption.
    expect(merged.Statement.slice(0, 4).map((s) => s.Sid)).toEqual(["OnlyOurAccount", "OnlyOurWriters", "No2021Writes", "LogsAreOurs"]);
    for (const [i, s] of original.Statement.entries()) {
      const { Condition: _c, ...rest } = merged.Statement[i]!;
      const { Condition: _o, ...was } = s;
      expect(rest).toEqual(was);
    }
    expect(merged.Statement[0]!.Condition).toEqual({ ...original.Statement[0]!.Condition, ArnNotLike: { "aws:PrincipalArn": [emu.roleArn] } });
    expect(merged.Statement[1]!.Condition).toEqual({ ArnNotLike: { "aws:PrincipalArn": [emu.roleArn] } });
    expect(merged.Statement[3]).toEqual(original.Statement[3]); // never refused the role: untouched
    expect(merged.Statement.slice(4)).toEqual(bucketPolicy(emu.roleArn, DEST).Statement);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(5); // two statements added, three exemptions
    expect(lines.filter((l) => /^your statement "(OnlyOurAccount|OnlyOurWriters|No2021Writes)" refused the role's/.test(l))).toHaveLength(3);

    // Idempotent: merging the output again prints the same policy and adds nothing.
    await expectMergeAddsNothing(r.stdout, env, cwd);

    await owner(emu).send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: r.stdout }));
    emu.clearLog();
    const ok = await runCli(FETCH, { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(summaryOf(ok).failed).toBe(0);
    expect(summaryOf(ok).copied).toBeGreaterThan(0);
    // For everyone else the Deny decides as before: the bucket owner's own user still may not write under 2021/.
    await expect(owner(emu).send(new PutObjectCommand({ Bucket: DEST, Key: "2021/05/31/mine.txt", Body: "x" }))).rejects.toMatchObject({ name: "AccessDenied" });
    expect(emu.requestLog().find((l) => l.op === "PutObject" && l.principal === "base")?.denyReason).toMatch(/No2021Writes/);
  });

  it("--merge: a missing file and a policy S3 would refuse are usage errors (exit 2)", async () => {
    emu = await emulator();
    const cwd = tempDir();
    const missing = await runCli(["policy", "--merge", "nope.json"], { env: cliEnv(emu), cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--merge nope\.json: cannot read it \(ENOENT\)/);
    writeFileSync(path.join(cwd, "bad.json"), JSON.stringify({ Statement: [{ Effect: "Deny", Action: "s3:*" }] }));
    const bad = await runCli(["policy", "--merge", "bad.json"], { env: cliEnv(emu), cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a bucket policy S3 accepts/);
  });
});

describe("flexcopy policy --apply", () => {
  it("saves the previous policy to a new file, checks the merge and writes it; a second run changes nothing", async () => {
    emu = await emulator({ bucketPolicy: false });
    const original = customerPolicy(emu);
    await owner(emu).send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: JSON.stringify(original) }));
    const env = cliEnv(emu);
    const cwd = tempDir();
    const r = await runCli(["policy", "--apply"], { env, cwd });
    expect(r.code, r.stderr).toBe(0);
    const backups = readdirSync(cwd).filter((f) => f.startsWith(`bucket-policy-backup-${DEST}-`));
    expect(backups).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(cwd, backups[0]!), "utf8"))).toEqual(original);
    expect(r.stdout).toContain(`saved the previous policy of s3://${DEST} to ${path.join(cwd, backups[0]!)}`);
    expect(r.stdout).toMatch(/applied the merged policy/);
    const now = await currentPolicy(emu);
    expect(now.Statement.map((s) => s.Sid)).toEqual(["OnlyOurAccount", "OnlyOurWriters", "No2021Writes", "LogsAreOurs", "S3CopyStmtList", "S3CopyStmtPutObject"]);
    // What --merge-current prints is what was written.
    const printed = await runCli(["policy", "--merge-current"], { env, cwd });
    expect(JSON.parse(printed.stdout)).toEqual(now);
    const again = await runCli(["policy", "--apply"], { env, cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/nothing to change/);
    expect(readdirSync(cwd).filter((f) => f.startsWith("bucket-policy-backup-"))).toHaveLength(1);
    const ok = await runCli(FETCH, { env });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("refuses (exit 1, nothing written) when the result is unsafe: --allow-multipart without BucketOwnerEnforced", async () => {
    emu = await emulator({ bucketPolicy: false });
    const original = customerPolicy(emu);
    await owner(emu).send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: JSON.stringify(original) }));
    const cwd = tempDir();
    const r = await runCli(["policy", "--apply", "--allow-multipart"], { env: cliEnv(emu), cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/flexcopy: error: the merged policy is not safe to apply, nothing written: .*without x-amz-acl bucket-owner-full-control.*BucketOwnerEnforced first/);
    expect(r.stdout).toBe("");
    expect(readdirSync(cwd)).toEqual([]);
    expect(await currentPolicy(emu)).toEqual(original);
  });

  it("on a bucket without a policy it writes the manual's (and no backup)", async () => {
    emu = await emulator({ bucketPolicy: false });
    const cwd = tempDir();
    const r = await runCli(["policy", "--apply"], { env: cliEnv(emu), cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/had no bucket policy/);
    expect(existsSync(cwd) && readdirSync(cwd)).toEqual([]);
    expect(await currentPolicy(emu)).toEqual(bucketPolicy(emu.roleArn, DEST));
  });
});
