import { describe, expect, it } from "vitest";
import { parsePolicy } from "./document.js";
import { evaluate, type AccessRequest, type Caller } from "./evaluate.js";
import { exemptRole, type RawStatement } from "./exemption.js";
import { bucketPolicy } from "./manual.js";
import { s3Context, S3_ACTIONS } from "./s3-actions.js";

const PROVIDER = "461810399597";
const CUSTOMER = "123456789012";
const ROLE = `arn:aws:iam::${PROVIDER}:role/JeuServiceRoleForS3Copy_${CUSTOMER}`;
const ROLE_SESSION: Caller = { arn: `arn:aws:sts::${PROVIDER}:assumed-role/JeuServiceRoleForS3Copy_${CUSTOMER}/flexcopy-1`, accountId: PROVIDER, roleArn: ROLE };
const STRANGER: Caller = { arn: "arn:aws:iam::999999999999:user/mallory", accountId: "999999999999" };
const STRANGER_ROLE: Caller = { arn: "arn:aws:sts::999999999999:assumed-role/Other/s", accountId: "999999999999", roleArn: "arn:aws:iam::999999999999:role/Other" };
const INSIDER: Caller = { arn: `arn:aws:iam::${CUSTOMER}:user/alice`, accountId: CUSTOMER };
const ACL = { "x-amz-acl": "bucket-owner-full-control" };

/** A CopyObject into dest/KEY by `who` (in the org o-customer when its account is the customer's). */
function copyBy(who: Caller, key = "2021/05/31/a.gz", headers: Record<string, string> = ACL): AccessRequest {
  const rule = S3_ACTIONS.CopyObject!;
  return {
    caller: who,
    action: rule.action,
    resource: `arn:aws:s3:::dest/${key}`,
    resourceAccount: CUSTOMER,
    context: s3Context(rule, {
      header: (n) => headers[n],
      callerArn: who.arn,
      principalArn: who.roleArn ?? who.arn,
      callerAccount: who.accountId,
      resourceAccount: CUSTOMER,
      secureTransport: true,
      ...(who.accountId === CUSTOMER ? { principalOrgId: "o-customer" } : {}),
    }),
  };
}

const allowAll = { name: "identity", policy: parsePolicy({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }) };
/** The manual's statements plus `deny`: does `who`'s CopyObject get through? */
function allowed(deny: RawStatement, who: Caller, key?: string): boolean {
  const doc = { Version: "2012-10-17", Statement: [...bucketPolicy(ROLE, "dest").Statement, deny] };
  return evaluate(copyBy(who, key), { identity: [allowAll], resource: { name: "bucket policy", policy: parsePolicy(doc) } }).allowed;
}

// Deny statements a customer's bucket already has, each refusing the provider's role.
const PERIMETERS: [string, RawStatement][] = [
  ["account perimeter", { Sid: "OnlyOurAccount", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::dest", "arn:aws:s3:::dest/*"], Condition: { StringNotEquals: { "aws:PrincipalAccount": [CUSTOMER] } } }],
  ["organisation perimeter", { Sid: "OrgOnly", Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Resource: "arn:aws:s3:::dest/*", Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-customer" } } }],
  ["NotPrincipal", { Sid: "OnlyAlice", Effect: "Deny", NotPrincipal: { AWS: [`arn:aws:iam::${CUSTOMER}:user/alice`, CUSTOMER] }, Action: "s3:PutObject", Resource: "arn:aws:s3:::dest/*" }],
  ["existing ArnNotLike list", { Sid: "Admins", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::dest/*", Condition: { ArnNotLike: { "aws:PrincipalArn": `arn:aws:iam::${CUSTOMER}:user/alice` }, StringNotEquals: { "aws:PrincipalAccount": CUSTOMER } } }],
  ["StringNotLike aws:PrincipalArn", { Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::dest/*", Condition: { StringNotLike: { "aws:PrincipalArn": [`arn:aws:iam::${CUSTOMER}:*`] } } }],
];

describe("exemptRole: the role gets through, everyone else is decided as before (evaluated with iam/evaluate.ts)", () => {
  it.each(PERIMETERS)("%s", (_name, deny) => {
    expect(allowed(deny, ROLE_SESSION)).toBe(false);
    const before = [STRANGER, STRANGER_ROLE, INSIDER].map((who) => allowed(deny, who));
    const { statement, changed, added } = exemptRole(deny, ROLE);
    expect(changed).toBe(true);
    expect(added).toContain(ROLE);
    expect(allowed(statement, ROLE_SESSION)).toBe(true);
    expect([STRANGER, STRANGER_ROLE, INSIDER].map((who) => allowed(statement, who))).toEqual(before);
    expect(allowed(statement, STRANGER)).toBe(false); // the stranger is still refused by the customer's Deny
  });

  it("a Deny on one prefix keeps refusing everyone else there, and its other prefixes are untouched", () => {
    const deny = { Sid: "No2021", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::dest/2021/*" };
    const { statement } = exemptRole(deny, ROLE);
    expect(allowed(statement, ROLE_SESSION, "2021/05/31/a.gz")).toBe(true);
    const evaluateStranger = (s: RawStatement) =>
      evaluate(copyBy(INSIDER, "2021/05/31/a.gz"), { identity: [allowAll], resource: { name: "b", policy: parsePolicy({ Statement: [s] }) } });
    expect(evaluateStranger(statement).allowed).toBe(false);
    expect(evaluateStranger(statement).deny?.sid).toBe("No2021");
  });
});

describe("exemptRole: what it writes", () => {
  const deny = (condition?: Record<string, unknown>, extra: RawStatement = {}): RawStatement => ({
    Sid: "D",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: "*",
    ...(condition ? { Condition: condition } : {}),
    ...extra,
  });
  const acct = { StringNotEquals: { "aws:PrincipalAccount": [CUSTOMER] } };
  it.each([
    ["no Condition: a new ArnNotLike", deny(), { ArnNotLike: { "aws:PrincipalArn": [ROLE] } }],
    ["other conditions kept as written", deny(acct), { ...acct, ArnNotLike: { "aws:PrincipalArn": [ROLE] } }],
    [
      "an ArnNotLike block on another key: the key is added beside it",
      deny({ ArnNotLike: { "aws:SourceArn": "arn:aws:cloudfront::1:distribution/X" } }),
      { ArnNotLike: { "aws:SourceArn": "arn:aws:cloudfront::1:distribution/X", "aws:PrincipalArn": [ROLE] } },
    ],
    ["ArnNotLike aws:PrincipalArn as a string: becomes a list with the role", deny({ ArnNotLike: { "aws:PrincipalArn": "arn:aws:iam::1:role/A" } }), { ArnNotLike: { "aws:PrincipalArn": ["arn:aws:iam::1:role/A", ROLE] } }],
    ["the key's spelling is kept (keys are case-insensitive)", deny({ ArnNotLike: { "AWS:principalarn": ["arn:aws:iam::1:role/A"] } }), { ArnNotLike: { "AWS:principalarn": ["arn:aws:iam::1:role/A", ROLE] } }],
    ["ArnNotEquals list reused", deny({ ArnNotEquals: { "aws:PrincipalArn": ["arn:aws:iam::1:role/A"] } }), { ArnNotEquals: { "aws:PrincipalArn": ["arn:aws:iam::1:role/A", ROLE] } }],
    ["StringNotLike list reused", deny({ StringNotLike: { "aws:PrincipalArn": ["arn:aws:iam::1:role/A*"] } }), { StringNotLike: { "aws:PrincipalArn": ["arn:aws:iam::1:role/A*", ROLE] } }],
    ["StringNotEqualsIfExists list reused", deny({ StringNotEqualsIfExists: { "aws:PrincipalArn": ["arn:aws:iam::1:role/A"] } }), { StringNotEqualsIfExists: { "aws:PrincipalArn": ["arn:aws:iam::1:role/A", ROLE] } }],
    [
      "a ForAnyValue: list is not reused (a set operator on a single-valued key)",
      deny({ "ForAnyValue:StringNotLike": { "aws:PrincipalArn": ["arn:aws:iam::1:role/A"] } }),
      { "ForAnyValue:StringNotLike": { "aws:PrincipalArn": ["arn:aws:iam::1:role/A"] }, ArnNotLike: { "aws:PrincipalArn": [ROLE] } },
    ],
  ] as const)("%s", (_name, statement, want) => {
    const r = exemptRole(statement, ROLE);
    expect(r.changed).toBe(true);
    expect(r.statement.Condition).toEqual(want);
    const { Condition: _a, ...rest } = r.statement;
    const { Condition: _b, ...was } = statement;
    expect(rest).toEqual(was); // Sid, Effect, Principal, Action, Resource unchanged
  });

  it("NotPrincipal is kept as written; the condition is what exempts the role's sessions", () => {
    const s = deny(undefined, { Principal: undefined, NotPrincipal: { AWS: [CUSTOMER] } });
    delete s.Principal;
    const r = exemptRole(s, ROLE);
    expect(r.statement.NotPrincipal).toEqual({ AWS: [CUSTOMER] });
    expect(r.statement.Condition).toEqual({ ArnNotLike: { "aws:PrincipalArn": [ROLE] } });
    expect(r.added).toContain("NotPrincipal");
  });

  it("does not change the statement it was given", () => {
    const s = deny(acct);
    const copy = structuredClone(s);
    exemptRole(s, ROLE);
    expect(s).toEqual(copy);
  });
});

describe("exemptRole: idempotent, and nothing to do", () => {
  it.each([
    ["its own output", exemptRole({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalAccount": CUSTOMER } } }, ROLE).statement],
    ["a wildcard that covers the role", { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { ArnNotLike: { "aws:PrincipalArn": `arn:aws:iam::${PROVIDER}:role/*` } } }],
    ["a lower-case key naming the role", { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { StringNotEquals: { "aws:principalarn": [ROLE] } } }],
    ["a Deny that names only someone else", { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*", Condition: { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::1:role/A" } } }],
    ["an Allow", { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }],
  ] as const)("%s: unchanged", (_name, statement) => {
    const r = exemptRole(statement as RawStatement, ROLE);
    expect(r.changed).toBe(false);
    expect(r.statement).toEqual(statement);
    expect(r.added).not.toBe("");
  });

  it("refuses what is not a role ARN (a session ARN names one session only)", () => {
    expect(() => exemptRole({ Effect: "Deny" }, ROLE_SESSION.arn)).toThrow(/not an IAM role ARN/);
    expect(() => exemptRole({ Effect: "Deny" }, "*")).toThrow(/not an IAM role ARN/);
  });
});
