import { describe, expect, it } from "vitest";
import { parsePolicy } from "../iam/document.js";
import { bucketPolicy, multipartBucketPolicy } from "../iam/manual.js";
import { checkMerge, mergePolicy, readPolicy, type MergeOptions, type RawPolicy } from "./policy-merge.js";
import { decide, type Probe } from "./policy-probes.js";
import { roleCaller } from "./doctor-policy.js";

const CUSTOMER = "123456789012";
const ROLE = `arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_${CUSTOMER}`;
const B = "my-flex-bucket";
const opts: MergeOptions = { roleArn: ROLE, bucket: B, allowMultipart: false, resourceAccount: CUSTOMER, sse: {}, now: new Date("2026-12-01T00:00:00Z") };
const ALL = [`arn:aws:s3:::${B}`, `arn:aws:s3:::${B}/*`];

const ACCOUNT_PERIMETER = { Sid: "OnlyOurAccount", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ALL, Condition: { StringNotEquals: { "aws:PrincipalAccount": CUSTOMER } } };
const ORG_PERIMETER = { Sid: "OrgOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ALL, Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abcdef1234" } } };
const NOT_PRINCIPAL = { Sid: "OnlyAdmins", Effect: "Deny", NotPrincipal: { AWS: [`arn:aws:iam::${CUSTOMER}:user/admin`, `arn:aws:iam::${CUSTOMER}:root`] }, Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}/*` };
const PREFIX = { Sid: "No2021", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}/2021/*` };
const TLS_ONLY = { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ALL, Condition: { Bool: { "aws:SecureTransport": "false" } } };
const LOGS = { Sid: "NoLogs", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: `arn:aws:s3:::${B}/logs/*` };
const READ_FOR_ANALYSTS = { Sid: "Analysts", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${CUSTOMER}:role/Analyst` }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` };
const ENCRYPTED = { Sid: "RequireKms", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${B}/*`, Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } } };

const doc = (...Statement: Record<string, unknown>[]): RawPolicy => ({ Version: "2012-10-17", Statement });
const role = roleCaller(ROLE);
const copy = (key: string, acl = true): Probe => ({ op: "CopyObject", key, headers: acl ? { "x-amz-acl": "bucket-owner-full-control" } : {} });

describe("mergePolicy", () => {
  it("no policy yet: exactly the manual's", () => {
    const r = mergePolicy(undefined, opts);
    expect(r.policy).toEqual(bucketPolicy(ROLE, B));
    expect(r.added).toHaveLength(2);
  });

  it.each([
    ["account perimeter", ACCOUNT_PERIMETER],
    ["organisation perimeter", ORG_PERIMETER],
    ["NotPrincipal", NOT_PRINCIPAL],
    ["Deny on one prefix", PREFIX],
  ])("%s: keeps every statement, adds the manual's, exempts the role only there, and checks pass", (_n, deny) => {
    const original = doc(READ_FOR_ANALYSTS, deny, LOGS, TLS_ONLY);
    const r = mergePolicy(original, opts);
    expect(r.policy.Statement).toHaveLength(6);
    // Yours first, untouched but for the one exemption; the manual's after.
    expect(r.policy.Statement[0]).toEqual(READ_FOR_ANALYSTS);
    expect(r.policy.Statement[1]).toEqual({ ...deny, Condition: { ...(deny as { Condition?: object }).Condition, ArnNotLike: { "aws:PrincipalArn": [ROLE] } } });
    expect(r.policy.Statement.slice(2, 4)).toEqual([LOGS, TLS_ONLY]); // never refused the role's requests: untouched
    expect(r.policy.Statement.slice(4)).toEqual(bucketPolicy(ROLE, B).Statement);
    expect(r.added).toHaveLength(3);
    expect(r.added.filter((l) => l.includes(`"${String(deny.Sid)}"`))).toHaveLength(1);
    expect(checkMerge(original, r.policy, opts)).toEqual([]);
    // The role gets through now; it did not before.
    expect(decide(role, copy("2021/05/31/a.gz"), readPolicyOf(original, true), opts).allowed).toBe(false);
    expect(decide(role, copy("2021/05/31/a.gz"), readPolicyOf(r.policy), opts).allowed).toBe(true);
  });

  it("is idempotent: merging its output changes nothing", () => {
    const once = mergePolicy(doc(ORG_PERIMETER, NOT_PRINCIPAL, PREFIX), { ...opts, allowMultipart: true });
    const twice = mergePolicy(once.policy, { ...opts, allowMultipart: true });
    expect(twice.changed).toBe(false);
    expect(twice.added).toEqual([]);
    expect(twice.policy).toEqual(once.policy);
  });

  it("the manual's statements already there under other Sids (or as one string) are not added again", () => {
    const mine = bucketPolicy(ROLE, B).Statement.map((s, i) => ({ ...s, Sid: `Mine${i}`, Action: s.Action }));
    mine[0]!.Action = "S3:listbucket"; // actions are case-insensitive
    const r = mergePolicy(doc(...mine), opts);
    expect(r.changed).toBe(false);
  });

  it("a Sid collision: the manual's statement gets another Sid", () => {
    const r = mergePolicy(doc({ Sid: "S3CopyStmtList", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${CUSTOMER}:root` }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${B}/*` }), opts);
    expect(r.policy.Statement.map((s) => s.Sid)).toEqual(["S3CopyStmtList", "S3CopyStmtListFlexcopy", "S3CopyStmtPutObject"]);
    expect(r.added[0]).toContain('as "S3CopyStmtListFlexcopy"');
    expect(mergePolicy(r.policy, opts).changed).toBe(false);
  });

  it("--allow-multipart adds its statement once and its probes are decided", () => {
    const r = mergePolicy(multipartBucketPolicy(ROLE, B) as unknown as RawPolicy, { ...opts, allowMultipart: true });
    expect(r.changed).toBe(false);
    const r2 = mergePolicy(bucketPolicy(ROLE, B) as unknown as RawPolicy, { ...opts, allowMultipart: true });
    expect(r2.policy).toEqual(multipartBucketPolicy(ROLE, B));
  });

  it("a Deny that demands encryption is not exempted: it says to use --sse", () => {
    const r = mergePolicy(doc(ENCRYPTED), opts);
    expect(r.policy.Statement[0]).toEqual(ENCRYPTED);
    expect(r.unmet[0]).toMatch(/"RequireKms".*--sse aws:kms/);
    const ok = mergePolicy(doc(ENCRYPTED), { ...opts, sse: { "x-amz-server-side-encryption": "aws:kms" } });
    expect(ok.unmet).toEqual([]);
    expect(checkMerge(doc(ENCRYPTED), ok.policy, { ...opts, sse: { "x-amz-server-side-encryption": "aws:kms" } })).toEqual([]);
  });
});

function readPolicyOf(p: RawPolicy, withManual = false) {
  const statements = withManual ? [...p.Statement, ...(bucketPolicy(ROLE, B).Statement as unknown as Record<string, unknown>[])] : p.Statement;
  return readPolicyParsed(statements);
}
const readPolicyParsed = (statements: Record<string, unknown>[]) => parsePolicy({ Statement: statements });

describe("checkMerge refuses what would be unsafe", () => {
  it("an exemption that also lets someone else through", () => {
    const original = doc(ACCOUNT_PERIMETER);
    const merged = mergePolicy(original, opts).policy;
    const tooWide = structuredClone(merged);
    tooWide.Statement[0]!.Condition = { ArnNotLike: { "aws:PrincipalArn": ["arn:aws:iam::461810399597:role/*"] }, StringNotEquals: { "aws:PrincipalAccount": CUSTOMER } };
    expect(checkMerge(original, tooWide, opts)[0]).toMatch(/"OnlyOurAccount" would decide differently for another role of the provider's account/);
  });

  it("a statement dropped", () => {
    const original = doc(READ_FOR_ANALYSTS, ACCOUNT_PERIMETER);
    const merged = mergePolicy(original, opts).policy;
    merged.Statement.splice(0, 1);
    expect(checkMerge(original, merged, opts).length).toBeGreaterThan(0);
  });

  it("writes without the ACL allowed (--allow-multipart) unless BucketOwnerEnforced", () => {
    const m = { ...opts, allowMultipart: true };
    const merged = mergePolicy(undefined, m).policy;
    expect(checkMerge(undefined, merged, m)[0]).toMatch(/without x-amz-acl bucket-owner-full-control.*BucketOwnerEnforced first/);
    expect(checkMerge(undefined, merged, { ...m, ownership: "BucketOwnerEnforced" })).toEqual([]);
  });

  it("the role still refused (a Deny it cannot be exempted from)", () => {
    const original = doc(ENCRYPTED);
    expect(checkMerge(original, mergePolicy(original, opts).policy, opts)[0]).toMatch(/still be refused CopyObject/);
  });
});

describe("readPolicy", () => {
  it("reads one statement as a list, and refuses what S3 would", () => {
    expect(readPolicy(JSON.stringify({ Version: "2012-10-17", Statement: PREFIX }))?.Statement).toEqual([PREFIX]);
    expect(readPolicy("")).toBeUndefined();
    expect(() => readPolicy("{")).toThrow(/not valid JSON/);
    expect(() => readPolicy(JSON.stringify({ Statement: [{ Effect: "Maybe" }] }))).toThrow();
  });
});
