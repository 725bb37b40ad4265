// Issue 16, end to end on a bucket a cautious security team wrote: an organisation perimeter that the
// provider's role (outside the customer's organisation) does not meet. doctor names the statement and the
// smallest exemption, never "replace your policy"; `policy --apply` writes the merge; fetch then goes through,
// and a principal outside the organisation is still refused. Also `policy --merge -` (the policy on stdin).
// The same perimeter merged from a file, and the region hint: enterprise-merge.test.ts.
import { GetBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { readdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { parsePolicy } from "../../src/iam/document.js";
import { evaluate, type Caller } from "../../src/iam/evaluate.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { ORG, ORG_PERIMETER, TLS_ONLY } from "../support/policies.js";
import { s3Context, S3_ACTIONS } from "../../src/iam/s3-actions.js";
import { cliEnv, emulator, runCli, summaryOf, under } from "./harness.js";
import { doctorLines, expectMergeAddsNothing, tempDir } from "./doctor-helpers.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const DEST = "flex-dest";

function manualWith(...extra: object[]) {
  const doc = bucketPolicy("${roleArn}", "${bucket}");
  return { ...doc, Statement: [...doc.Statement, ...extra] };
}

const owner = (e: Emulator) => new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });
const currentPolicy = async (e: Emulator) => JSON.parse((await owner(e).send(new GetBucketPolicyCommand({ Bucket: DEST }))).Policy ?? "{}") as { Statement: Record<string, unknown>[] };

/** Whether IAM lets `caller` (with an identity policy allowing everything) CopyObject into the bucket under `policy`. */
function mayCopy(e: Emulator, policy: unknown, caller: Caller, orgId: string | undefined): boolean {
  const rule = S3_ACTIONS.CopyObject!;
  const context = s3Context(rule, {
    header: (n) => ({ "x-amz-acl": "bucket-owner-full-control", "x-amz-copy-source": "/dataservice-flex-bucket/2021/05/31/a.pcap.gz" })[n],
    callerArn: caller.arn,
    principalArn: caller.roleArn ?? caller.arn,
    callerAccount: caller.accountId,
    resourceAccount: e.accountId,
    secureTransport: true,
    ...(orgId ? { principalOrgId: orgId } : {}),
    resourceOrgId: ORG,
  });
  const allowAll = { name: "identity", policy: parsePolicy({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }) };
  return evaluate(
    { caller, action: rule.action, resource: `arn:aws:s3:::${DEST}/2021/05/31/a.pcap.gz`, resourceAccount: e.accountId, context },
    { identity: [allowAll], resource: { name: "bp", policy: parsePolicy(policy) } },
  ).allowed;
}

describe("an organisation perimeter the provider's role is outside of", () => {
  it("doctor names the statement and its exemption (no policy replaced); policy --apply writes it; fetch goes through; outsiders are still refused", async () => {
    emu = await emulator({ orgId: ORG, bucketPolicy: manualWith(ORG_PERIMETER) });
    const env = cliEnv(emu);
    const before = await currentPolicy(emu);

    const refused = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(refused.code).toBe(3);
    expect(under(emu, DEST, "2021/")).toEqual([]);

    const d = await runCli(["doctor"], { env });
    expect(d.code).toBe(1);
    const failed = doctorLines(d.stdout).filter((l) => l.mark === "✗");
    expect(failed.map((l) => l.name)).toEqual(["destination access", "policy list", "policy copy with ACL"]);
    for (const l of failed) expect(l.detail).toContain('"EnforceOrgIdentities"');
    expect(failed[0]!.fix).toMatch(/^do not replace your policy: keep its statement "EnforceOrgIdentities" and exempt only the provider's role from it/);
    expect(failed[0]!.fix).toContain(`ArnNotLike aws:PrincipalArn ${emu.roleArn}`);
    expect(failed[0]!.fix).toContain("flexcopy policy --apply");
    // never the manual's policy in place of the customer's
    expect(d.stdout).not.toMatch(/put-bucket-policy|apply the bucket policy \(step 1-2\)/);

    const cwd = tempDir();
    const applied = await runCli(["policy", "--apply"], { env, cwd });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(/^your statement "EnforceOrgIdentities" refused the role's \w+: added ArnNotLike aws:PrincipalArn/m);
    expect(readdirSync(cwd).filter((f) => f.startsWith(`bucket-policy-backup-${DEST}-`))).toHaveLength(1);
    const after = await currentPolicy(emu);
    // every statement kept, in place; the perimeter keeps its conditions and gains only the role's exemption
    expect(after.Statement.map((s) => s.Sid)).toEqual(before.Statement.map((s) => s.Sid));
    const perimeter = after.Statement.find((s) => s.Sid === "EnforceOrgIdentities")!;
    expect(perimeter.Condition).toEqual({ ...ORG_PERIMETER.Condition, ArnNotLike: { "aws:PrincipalArn": [emu.roleArn] } });

    const ok = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(summaryOf(ok)).toMatchObject({ failed: 0 });
    expect(under(emu, DEST, "2021/05/31/").length).toBe(under(emu, "dataservice-flex-bucket", "2021/05/31/").length);
    const doctorAfter = await runCli(["doctor"], { env });
    expect(doctorLines(doctorAfter.stdout).filter((l) => l.mark === "✗"), doctorAfter.stdout).toEqual([]);

    // For everyone else the perimeter decides as before, by IAM's evaluation of the policy as written: a role of
    // another account outside the organisation, even one whose own policy allows everything (and one named like
    // the provider's role in another account), is refused; a role of the customer's organisation is not.
    const outsider: Caller = { arn: "arn:aws:sts::999988887777:assumed-role/Other/s", accountId: "999988887777", roleArn: "arn:aws:iam::999988887777:role/Other" };
    const insider: Caller = { arn: `arn:aws:sts::${emu.accountId}:assumed-role/Ops/s`, accountId: emu.accountId, roleArn: `arn:aws:iam::${emu.accountId}:role/Ops` };
    const provider: Caller = { arn: `arn:aws:sts::461810399597:assumed-role/${emu.roleArn.split("/")[1]}/flexcopy`, accountId: "461810399597", roleArn: emu.roleArn };
    expect(mayCopy(emu, after, outsider, undefined)).toBe(false);
    expect(mayCopy(emu, after, { ...outsider, roleArn: "arn:aws:iam::999988887777:role/JeuServiceRoleForS3Copy_123456789012" }, undefined)).toBe(false);
    expect(mayCopy(emu, after, insider, ORG)).toBe(true);
    expect(mayCopy(emu, after, provider, undefined)).toBe(true);
    expect(mayCopy(emu, before, provider, undefined)).toBe(false);
  });
});

describe("flexcopy policy --merge - (the policy on stdin)", () => {
  it("reads the customer's policy from stdin, keeps every statement, adds the manual's and the exemptions, one stderr line each", async () => {
    emu = await emulator();
    const mine = {
      Version: "2012-10-17",
      Statement: [
        { ...TLS_ONLY, Resource: [`arn:aws:s3:::${DEST}`, `arn:aws:s3:::${DEST}/*`] },
        { ...ORG_PERIMETER, Resource: [`arn:aws:s3:::${DEST}`, `arn:aws:s3:::${DEST}/*`] },
      ],
    };
    const r = await runCli(["policy", "--merge", "-"], { env: cliEnv(emu), input: JSON.stringify(mine) });
    expect(r.code, r.stderr).toBe(0);
    const merged = JSON.parse(r.stdout) as { Statement: Record<string, unknown>[] };
    expect(merged.Statement.map((s) => s.Sid)).toEqual(["AllowSSLRequestsOnly", "EnforceOrgIdentities", "S3CopyStmtList", "S3CopyStmtPutObject"]);
    // TLS-only does not refuse the role (flexcopy speaks HTTPS to S3): kept as it is, no exemption
    expect(merged.Statement[0]).toEqual(mine.Statement[0]);
    expect(merged.Statement[1]!.Condition).toEqual({ ...ORG_PERIMETER.Condition, ArnNotLike: { "aws:PrincipalArn": [emu.roleArn] } });
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(3); // the perimeter's exemption and the two statements added
    expect(lines.filter((l) => l.startsWith('your statement "EnforceOrgIdentities" refused the role'))).toHaveLength(1);
    // merging its output again (on stdin) adds nothing
    await expectMergeAddsNothing(r.stdout, cliEnv(emu));
  });

  it("stdin that is not a policy: one line, exit 2, no stack trace", async () => {
    emu = await emulator();
    for (const input of ["not json {", "", JSON.stringify({ Statement: [{ Effect: "Deny", Action: "s3:*" }] })]) {
      const r = await runCli(["policy", "--merge", "-"], { env: cliEnv(emu), input });
      expect(r.code, `${input}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^flexcopy: error: --merge -:? /);
      if (input === "") expect(r.stderr).toMatch(/stdin is empty/);
      expect(r.stdout).toBe("");
    }
  });
});
