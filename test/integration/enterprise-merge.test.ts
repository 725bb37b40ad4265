// Issue 16, "Done when", end to end through the real CLI and the emulator over HTTP: an organisation perimeter
// (doctor names it and prints the exemption; `policy --merge`'s output, applied, lets fetch through; principals
// outside the organisation are still refused), and the region hint when flexcopy signs for another region than
// the buckets'. (`policy --merge -` from stdin, and the perimeter applied with `--apply`: enterprise-e2e.test.ts.)
import { ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { parsePolicy } from "../../src/iam/document.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { decide, otherCallers, type Probe, type ProbeCaller } from "../../src/setup/policy-probes.js";
import { expectMergeAddsNothing, lineOf, tempDir } from "./doctor-helpers.js";
import { cliEnv, emulator, runCli, summaryOf, under } from "./harness.js";

const ORG = "o-a1b2c3d4e5";
const DEST = "flex-dest";
const SOURCE = "dataservice-flex-bucket";
const ALL = [`arn:aws:s3:::${DEST}`, `arn:aws:s3:::${DEST}/*`];

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

type Doc = { Version?: string; Statement: Record<string, unknown>[] };
const noTrace = (s: string) => expect(s).not.toMatch(/\n\s+at /);
const sids = (d: Doc) => d.Statement.map((s) => s.Sid);

/** The organisation perimeter of AWS's data-perimeter examples: Deny unless the caller is in your organisation. */
const PERIMETER = { Sid: "EnforceOrgIdentities", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ALL, Condition: { StringNotEquals: { "aws:PrincipalOrgID": ORG } } };
/** TLS-only (AWS Config s3-bucket-ssl-requests-only); the role's requests over HTTP are refused by it: left out where that matters. */

/** The customer's bucket: the manual's policy pasted beside their own perimeter Deny. */
function manualWithPerimeter(e: Emulator): Doc {
  const doc = bucketPolicy(e.roleArn, DEST) as unknown as Doc;
  return { ...doc, Statement: [...doc.Statement, PERIMETER] };
}

const owner = (e: Emulator) =>
  new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });

describe("an organisation perimeter (aws:PrincipalOrgID) on the customer's bucket, the provider's account outside the organisation", () => {
  it("doctor names the Deny and prints the exemption; `policy --merge`'s output, applied, lets fetch through; outsiders stay refused", async () => {
    emu = await emulator({ orgId: ORG, bucketPolicy: false });
    const original = manualWithPerimeter(emu);
    await owner(emu).send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: JSON.stringify(original) }));
    const env = cliEnv(emu);

    // Before: fetch is refused with nothing copied.
    const refused = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(refused.code).toBe(3);
    expect(under(emu, DEST, "2021/")).toEqual([]);

    // doctor: the statement by Sid and what it tests, the exemption, never a replacement of the policy.
    const d = await runCli(["doctor"], { env });
    expect(d.code).toBe(1);
    expect(lineOf(d, "destination bucket").mark).toBe("✓"); // your own user is inside the organisation
    const access = lineOf(d, "destination access");
    expect(access.mark).toBe("✗");
    expect(access.detail).toMatch(/statement "EnforceOrgIdentities" \(Deny s3:\* .* if StringNotEquals aws:PrincipalOrgID o-a1b2c3d4e5\)/);
    expect(access.fix).toMatch(/^do not replace your policy: keep its statement "EnforceOrgIdentities" and exempt only the provider's role/);
    expect(access.fix).toContain(`ArnNotLike aws:PrincipalArn ${emu.roleArn}`);
    expect(lineOf(d, "policy copy with ACL")).toMatchObject({ mark: "✗", detail: expect.stringMatching(/"EnforceOrgIdentities"/) });
    expect(d.stdout).not.toMatch(/put-bucket-policy|re-apply/);

    // policy --merge FILE: every statement kept, the perimeter exempts only the role, the Sids a superset.
    const cwd = tempDir();
    writeFileSync(path.join(cwd, "current.json"), JSON.stringify(original));
    const m = await runCli(["policy", "--merge", "current.json"], { env, cwd });
    expect(m.code, m.stderr).toBe(0);
    const merged = JSON.parse(m.stdout) as Doc;
    expect(sids(merged)).toEqual(expect.arrayContaining(sids(original)));
    expect(merged.Statement).toHaveLength(original.Statement.length); // the manual's statements were there already: not added twice
    const perimeter = merged.Statement.find((s) => s.Sid === "EnforceOrgIdentities")!;
    expect(perimeter).toEqual({ ...PERIMETER, Condition: { ...PERIMETER.Condition, ArnNotLike: { "aws:PrincipalArn": [emu.roleArn] } } });
    expect(m.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^your statement "EnforceOrgIdentities" refused the role's \w+: added ArnNotLike aws:PrincipalArn /)]);

    // Merging twice changes nothing.
    await expectMergeAddsNothing(m.stdout, env, cwd);

    // Applied by the owner (as the customer would, over S3's API): fetch copies, each object yours (FULL_CONTROL).
    await owner(emu).send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: m.stdout }));
    const ok = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const copied = under(emu, DEST, "2021/05/31/");
    expect(summaryOf(ok)).toMatchObject({ copied: under(emu, SOURCE, "2021/05/31/").length, failed: 0 });
    expect(copied.length).toBeGreaterThan(0);
    for (const o of copied) expect(o.grants.some((g) => g.grantee === emu!.accountId && g.permission === "FULL_CONTROL"), o.key).toBe(true);
    const after = await runCli(["doctor"], { env });
    for (const n of ["destination access", "policy list", "policy copy with ACL", "policy copy without ACL"]) expect(lineOf(after, n).mark, `${n}\n${after.stdout}`).toBe("✓");

    // Inside the organisation nothing changed: your own user still lists and writes (over real HTTP).
    await owner(emu).send(new PutObjectCommand({ Bucket: DEST, Key: "notes/ours.txt", Body: "x" }));
    expect((await owner(emu).send(new ListObjectsV2Command({ Bucket: DEST, Prefix: "notes/" }))).KeyCount).toBe(1);

    // Outside the organisation: the emulator issues credentials only to your user and to the provider's role,
    // so other principals are decided with the project's IAM evaluator (src/iam, the one the emulator decides
    // every request with) on the merged policy as applied, each given an identity policy allowing everything.
    const policy = parsePolicy(merged);
    const world = { bucket: DEST, resourceAccount: emu.accountId, sse: {} };
    const outsiders: ProbeCaller[] = otherCallers(merged.Statement, emu.accountId, emu.roleArn).filter((c) => !c.anonymous && c.accountId !== emu!.accountId && c.orgId === undefined);
    expect(outsiders.map((c) => c.label)).toEqual(expect.arrayContaining(["another account's user", "another role of the provider's account"]));
    const requests: Probe[] = [
      { op: "ListObjectsV2", key: "", headers: {} },
      { op: "GetObject", key: "2021/05/31/x", headers: {} },
      { op: "PutObject", key: "2021/05/31/x", headers: { "x-amz-acl": "bucket-owner-full-control" } },
      { op: "CopyObject", key: "2021/05/31/x", headers: { "x-amz-copy-source": `${SOURCE}/2021/05/31/x`, "x-amz-acl": "bucket-owner-full-control" } },
    ];
    for (const who of outsiders) {
      for (const p of requests) {
        const v = decide(who, p, policy, world);
        expect(v.allowed, `${who.label} ${p.op}`).toBe(false);
        expect(v.deny?.sid, `${who.label} ${p.op}: ${v.reason}`).toBe("EnforceOrgIdentities");
      }
    }
    // The same evaluator lets the provider's role through the merged policy, and refused it before the merge.
    const role: ProbeCaller = { arn: emu.roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/flexcopy", accountId: emu.providerAccountId, roleArn: emu.roleArn };
    expect(decide(role, requests[3]!, policy, world).allowed).toBe(true);
    expect(decide(role, requests[3]!, parsePolicy(original), world).deny?.sid).toBe("EnforceOrgIdentities");
  });
});

describe("the region hint: flexcopy signs for another region than the buckets'", () => {
  /** The hint line of a region error: names the bucket, its region and the setting; never "create a bucket". */
  function regionHint(stderr: string, bucket: string): string {
    const hint = stderr.split("\n").find((l) => /^\s*hint: /.test(l));
    expect(hint, stderr).toBeDefined();
    expect(hint).toContain(bucket);
    expect(hint).toMatch(/is in ap-northeast-1/);
    expect(hint).toMatch(/--region .*FLEXCOPY_REGION/);
    expect(hint).toMatch(/set .* to ap-northeast-1|set --region ap-northeast-1/);
    expect(hint).not.toMatch(/create|requires a destination bucket/i);
    return hint!;
  }

  it("fetch --region us-east-1 (and FLEXCOPY_REGION=us-east-1): exit 1, one error and its hint naming the bucket, ap-northeast-1 and --region; nothing copied", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    for (const [args, extra] of [
      [["--region", "us-east-1"], {}],
      [[], { FLEXCOPY_REGION: "us-east-1" }],
    ] as const) {
      const r = await runCli(["fetch", "2021/05/31", ...args], { env: { ...env, ...extra } });
      expect(r.code, r.stderr).toBe(1);
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("flexcopy: error:"));
      expect(errors).toEqual([expect.stringMatching(/PermanentRedirect/)]);
      regionHint(r.stderr, SOURCE);
      noTrace(r.stderr);
    }
    expect(emu.objects(DEST)).toEqual([]);
    expect(emu.requestLog().every((l) => l.op !== "CopyObject")).toBe(true);
  });

  it("only your bucket answers for the other region: the hint names your bucket and the setting, not a new Tokyo bucket, when it is in Tokyo", async () => {
    // The provider's bucket answers for us-east-1 here (a per-bucket region of the emulator), so the first
    // request to fail is the one to your bucket.
    emu = await emulator({ faults: { bucketRegions: { [SOURCE]: "us-east-1" } } });
    const r = await runCli(["fetch", "2021/05/31", "--region", "us-east-1"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(1);
    regionHint(r.stderr, DEST);
  });

  it("a destination really outside Tokyo: the hint says the manual requires one in ap-northeast-1", async () => {
    emu = await emulator({ faults: { bucketRegions: { [DEST]: "us-east-1" } } });
    const r = await runCli(["fetch", "2021/05/31"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/hint: your bucket flex-dest is in us-east-1.*requires a destination bucket in ap-northeast-1/);
  });

  it("doctor --region us-east-1: the source bucket line names the bucket, its region and the setting", async () => {
    emu = await emulator();
    const r = await runCli(["doctor", "--region", "us-east-1"], { env: cliEnv(emu) });
    expect(r.code).toBe(1);
    const src = lineOf(r, "source bucket");
    expect(src.mark).toBe("✗");
    expect(`${src.detail} ${src.fix ?? ""}`).toMatch(/dataservice-flex-bucket is in ap-northeast-1.*--region/);
    expect(src.fix ?? "").not.toMatch(/run flexcopy doctor again/);
  });
});
