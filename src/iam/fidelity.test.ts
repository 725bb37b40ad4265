// Table tests for the IAM rules of issue 16 (each rule's source is cited beside it in the module it tests):
// NotPrincipal and Principal matching (evaluate.ts), ArnEquals, policy variables (conditions.ts), the principal
// grammar and what S3 refuses (document.ts), and the request context every signed request carries (s3-actions.ts).
import { describe, expect, it } from "vitest";
import { conditionHolds, expandVariables, literal, type RequestContext } from "./conditions.js";
import { parsePolicy, type PolicyDocumentInput } from "./document.js";
import { evaluate, type Caller } from "./evaluate.js";
import { s3Context, S3_ACTIONS, type S3RequestFacts } from "./s3-actions.js";

const CUSTOMER = "123456789012";
const PROVIDER = "461810399597";
const ROLE = `arn:aws:iam::${PROVIDER}:role/JeuServiceRoleForS3Copy_${CUSTOMER}`;
const SESSION = `arn:aws:sts::${PROVIDER}:assumed-role/JeuServiceRoleForS3Copy_${CUSTOMER}/flexcopy`;
const OTHER_SESSION = `arn:aws:sts::${PROVIDER}:assumed-role/JeuServiceRoleForS3Copy_${CUSTOMER}/other`;
const USER = `arn:aws:iam::${CUSTOMER}:user/flex-user`;
const CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
const OBJ = "arn:aws:s3:::dest/2021/05/31/a.pcap.gz";

const role: Caller = { arn: SESSION, accountId: PROVIDER, roleArn: ROLE, canonicalId: CANONICAL };
const user: Caller = { arn: USER, accountId: CUSTOMER };
const allowAll = { name: "identity", policy: parsePolicy({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }) };

function facts(c: Caller, extra: Partial<S3RequestFacts> = {}, headers: Record<string, string> = {}): S3RequestFacts {
  return { header: (n) => headers[n], callerArn: c.arn, principalArn: c.roleArn ?? c.arn, callerAccount: c.accountId, resourceAccount: CUSTOMER, secureTransport: true, ...extra };
}
function allowed(c: Caller, doc: PolicyDocumentInput, op = "PutObject", resource = OBJ, f: Partial<S3RequestFacts> = {}): boolean {
  const rule = S3_ACTIONS[op]!;
  const context = s3Context(rule, facts(c, f, { "x-amz-acl": "bucket-owner-full-control" }));
  return evaluate({ caller: c, action: rule.action, resource, resourceAccount: CUSTOMER, context }, { identity: [allowAll], resource: { name: "bp", policy: parsePolicy(doc) } }).allowed;
}
const everyone = { Sid: "All", Effect: "Allow" as const, Principal: "*" as const, Action: "s3:*", Resource: "arn:aws:s3:::dest/*" };

describe("NotPrincipal with Deny (IAM User Guide, NotPrincipal; AWS Security Blog, restrict S3 access to a role)", () => {
  const denyExcept = (list: string[] | "*"): PolicyDocumentInput => ({
    Version: "2012-10-17",
    Statement: [everyone, { Sid: "OnlyThese", Effect: "Deny", NotPrincipal: list === "*" ? "*" : { AWS: list }, Action: "s3:*", Resource: "arn:aws:s3:::dest/*" }],
  });
  it.each([
    ["the role ARN alone", role, [ROLE], false],
    ["the account alone", role, [PROVIDER], false],
    ["the account root alone", role, [`arn:aws:iam::${PROVIDER}:root`], false],
    ["role and account, not the session", role, [ROLE, `arn:aws:iam::${PROVIDER}:root`], false],
    ["the session ARN alone (account and role may be validated first)", role, [SESSION], false],
    ["session, role and account (the documented example)", role, [SESSION, ROLE, `arn:aws:iam::${PROVIDER}:root`], true],
    ["session, role and the account id", role, [SESSION, ROLE, PROVIDER], true],
    ["another session of the role, role and account", role, [OTHER_SESSION, ROLE, PROVIDER], false],
    ["a user and its account", user, [USER, `arn:aws:iam::${CUSTOMER}:root`], true],
    ["a user alone", user, [USER], false],
    ["a user's account alone", user, [CUSTOMER], false],
  ] as const)("%s -> spared: %s", (_name, who, list, spared) => {
    expect(allowed(who, denyExcept([...list]))).toBe(spared);
  });
  it('NotPrincipal "*" spares everyone', () => {
    expect(allowed(role, denyExcept("*"))).toBe(true);
  });
  it("an Allow with NotPrincipal leaves out a caller any of whose levels is listed", () => {
    const doc = (list: string[]): PolicyDocumentInput => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", NotPrincipal: { AWS: list }, Action: "s3:*", Resource: "arn:aws:s3:::dest/*" }] });
    expect(allowed(role, doc([ROLE]))).toBe(false);
    expect(allowed(role, doc([PROVIDER]))).toBe(false);
    expect(allowed(role, doc([USER]))).toBe(true);
  });
  it("the deciding Deny is named (doctor and policy --merge read Decision.deny)", () => {
    const rule = S3_ACTIONS.PutObject!;
    const d = evaluate(
      { caller: role, action: rule.action, resource: OBJ, resourceAccount: CUSTOMER, context: s3Context(rule, facts(role)) },
      { identity: [allowAll], resource: { name: "bp", policy: parsePolicy(denyExcept([ROLE, PROVIDER])) } },
    );
    expect(d.deny).toEqual({ policy: "bp", kind: "resource", index: 1, sid: "OnlyThese", effect: "Deny" });
  });
});

describe("Principal matching (IAM User Guide, Principal)", () => {
  const allowOnly = (principal: unknown): PolicyDocumentInput => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal as "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::dest/*" }] });
  it.each([
    ["the role ARN (its sessions act as it)", { AWS: ROLE }, true],
    ["the session ARN", { AWS: SESSION }, true],
    ["another session of the role", { AWS: OTHER_SESSION }, false],
    ["the account id", { AWS: PROVIDER }, true],
    ["the account root", { AWS: `arn:aws:iam::${PROVIDER}:root` }, true],
    ["another role", { AWS: `arn:aws:iam::${PROVIDER}:role/Other` }, false],
    ["another account", { AWS: CUSTOMER }, false],
    ['"*"', "*", true],
    ['{"AWS": "*"}', { AWS: "*" }, true],
    ["a service only", { Service: "cloudfront.amazonaws.com" }, false],
    ["AWS and Service together", { AWS: ROLE, Service: "cloudfront.amazonaws.com" }, true],
    ["the account's canonical user id", { CanonicalUser: CANONICAL }, true],
    ["another canonical user id", { CanonicalUser: "0".repeat(64) }, false],
    ["a federated principal", { Federated: "cognito-identity.amazonaws.com" }, false],
  ] as const)("%s -> %s", (_name, principal, want) => {
    expect(allowed(role, allowOnly(principal))).toBe(want);
  });
});

describe("ArnEquals / ArnNotEquals match as ArnLike / ArnNotLike (IAM condition operators)", () => {
  const ctx: RequestContext = { "aws:principalarn": ROLE };
  it.each([
    ["ArnEquals", [ROLE], true],
    ["ArnEquals", ["arn:aws:iam::*:role/JeuServiceRoleForS3Copy_*"], true],
    ["ArnEquals", ["arn:aws:iam::461810399597:role/Other"], false],
    ["ArnNotEquals", ["arn:aws:iam::*:role/JeuServiceRoleForS3Copy_*"], false],
    ["ArnNotEquals", ["arn:aws:iam::*:role/Other*"], true],
    ["ArnLike", ["arn:aws:iam::461810399597:role/Jeu*"], true],
    ["ArnEqualsIfExists", ["arn:aws:iam::*:role/Jeu*"], true],
  ] as const)("%s %j -> %s", (op, values, want) => {
    expect(conditionHolds(op, "aws:PrincipalArn", [...values], ctx)).toBe(want);
  });
});

describe("policy variables (IAM User Guide, policy variables; Version)", () => {
  const ctx: RequestContext = { "aws:username": "flex-user", "aws:principalaccount": PROVIDER, "s3:prefix": "home/flex-user/" };
  it.each([
    ["home/${aws:username}/", "home/flex-user/"],
    ["home/${AWS:UserName}/", "home/flex-user/"], // key names are case-insensitive
    ["${aws:PrincipalAccount}", PROVIDER],
    ["a${*}b${?}c${$}", "a*b?c$"],
    ["${aws:PrincipalTag/team, 'company-wide'}", "company-wide"],
  ])("%s -> %s", (pattern, want) => {
    expect(literal(expandVariables(pattern, ctx) ?? "<none>")).toBe(want);
  });
  it("a variable whose key is absent has no value", () => {
    expect(expandVariables("home/${aws:userid}/", ctx)).toBeUndefined();
  });
  it.each([
    ["StringEquals", ["home/${aws:username}/"], true, true],
    ["StringEquals", ["home/${aws:username}/"], false, false], // 2008-10-17: literal text
    ["StringLike", ["home/${aws:username}/*"], true, true],
    ["StringLike", ["home/${*}"], true, false], // ${*} is a literal asterisk, not a wildcard
    ["StringEquals", ["home/${aws:userid}/"], true, false], // absent key: no match
    ["StringNotEquals", ["home/${aws:userid}/"], true, true], // inverted operators match a null value
    ["StringNotLike", ["home/${aws:username}/*"], true, false],
  ] as const)("%s %j (variables: %s) -> %s", (op, values, variables, want) => {
    expect(conditionHolds(op, "s3:prefix", [...values], ctx, variables)).toBe(want);
  });
  const userHome = (version?: "2012-10-17" | "2008-10-17"): PolicyDocumentInput => ({
    ...(version ? { Version: version } : {}),
    Statement: [{ Effect: "Allow", Principal: { AWS: USER }, Action: "s3:PutObject", Resource: "arn:aws:s3:::dest/home/${aws:username}/*" }],
  });
  const asUser = (doc: PolicyDocumentInput, key: string): boolean => {
    const rule = S3_ACTIONS.PutObject!;
    const context = s3Context(rule, facts(user));
    return evaluate({ caller: user, action: rule.action, resource: `arn:aws:s3:::dest/${key}`, resourceAccount: CUSTOMER, context }, { identity: [], resource: { name: "bp", policy: parsePolicy(doc) } }).allowed;
  };
  it("a Resource with ${aws:username} in a 2012-10-17 policy names the caller's own prefix", () => {
    expect(asUser(userHome("2012-10-17"), "home/flex-user/a")).toBe(true);
    expect(asUser(userHome("2012-10-17"), "home/other/a")).toBe(false);
  });
  it("2008-10-17, or no Version (its default): the variable is literal text", () => {
    expect(asUser(userHome("2008-10-17"), "home/flex-user/a")).toBe(false);
    expect(asUser(userHome("2008-10-17"), "home/${aws:username}/a")).toBe(true);
    expect(asUser(userHome(), "home/flex-user/a")).toBe(false);
  });
  it("a Resource whose variable has no value matches no resource (a role session has no aws:username)", () => {
    const doc: PolicyDocumentInput = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: ROLE }, Action: "s3:PutObject", Resource: "arn:aws:s3:::dest/home/${aws:username}/*" }] };
    expect(allowed(role, doc, "PutObject", "arn:aws:s3:::dest/home/flexcopy/a")).toBe(false);
  });
});

describe("the principal grammar and what S3 refuses (MalformedPolicy)", () => {
  const stmt = (extra: Record<string, unknown>): unknown => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::dest/*", ...extra }] });
  it.each([
    ["CanonicalUser", { Principal: { CanonicalUser: CANONICAL } }],
    ["Federated", { Principal: { Federated: "arn:aws:iam::123456789012:saml-provider/corp" } }],
    ["AWS and Service together", { Principal: { AWS: [ROLE, SESSION, PROVIDER, `arn:aws:iam::${CUSTOMER}:root`], Service: "cloudfront.amazonaws.com" } }],
    ["a CloudFront origin access identity", { Principal: { AWS: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLE" } }],
    ["numeric and boolean condition values", { Principal: "*", Condition: { NumericLessThan: { "s3:signatureAge": [600000, "300000"] }, Bool: { "aws:SecureTransport": [true] }, NumericEquals: { "s3:max-keys": 10 } } }],
    ["qualified and IfExists operators", { Principal: "*", Condition: { "ForAnyValue:StringLikeIfExists": { "aws:TagKeys": "a*" }, "Null": { "s3:x-amz-acl": "true" }, ArnNotEquals: { "aws:PrincipalArn": ROLE } } }],
  ])("accepts %s", (_name, extra) => {
    expect(() => parsePolicy(stmt(extra))).not.toThrow();
  });
  it("normalises numbers and booleans to the strings IAM compares", () => {
    const p = parsePolicy(stmt({ Principal: "*", Condition: { NumericLessThan: { "s3:signatureAge": [600000] }, Bool: { "aws:SecureTransport": false } } }));
    expect(p.statements[0]?.conditions).toEqual({ NumericLessThan: { "s3:signatureAge": ["600000"] }, Bool: { "aws:SecureTransport": ["false"] } });
  });
  it.each([
    ["a partial wildcard in a role", { Principal: { AWS: "arn:aws:iam::123456789012:role/*" } }, /Invalid principal in policy/],
    ["a wildcard account", { Principal: { AWS: "arn:aws:iam::*:root" } }, /Invalid principal in policy/],
    ["a wildcard session in NotPrincipal", { Effect: "Deny", NotPrincipal: { AWS: `arn:aws:sts::${PROVIDER}:assumed-role/R/*` } }, /Invalid principal in policy/],
    ["something that is no principal", { Principal: { AWS: "flex-user" } }, /Invalid principal in policy/],
    ["a wildcard service", { Principal: { Service: "*" } }, /Invalid principal in policy/],
    ["an empty principal map", { Principal: {} }, /Invalid principal in policy/],
    ["an unknown principal type", { Principal: { Group: "x" } }, /./],
    ["an unknown operator", { Principal: "*", Condition: { StringEqualz: { "s3:x-amz-acl": "private" } } }, /Invalid Condition type : StringEqualz/],
    ["a mis-cased operator", { Principal: "*", Condition: { stringequals: { "s3:x-amz-acl": "private" } } }, /Invalid Condition type/],
    ["Null with IfExists", { Principal: "*", Condition: { NullIfExists: { "s3:x-amz-acl": "true" } } }, /Invalid Condition type/],
  ])("refuses %s", (_name, extra, re) => {
    expect(() => parsePolicy(stmt(extra))).toThrow(re);
  });
});

describe("the request context every signed request carries (global condition keys; SAR for Amazon S3)", () => {
  const now = new Date("2026-12-02T10:00:00.500Z");
  const roleFacts = facts(role, { now, region: "ap-northeast-1", signatureAgeMs: 1234.4, userId: "AROAEXAMPLE:flexcopy", principalOrgId: "o-provider", resourceOrgId: "o-customer", tlsVersion: "1.3" }, {
    "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
    "x-amz-acl": "bucket-owner-full-control",
    "x-amz-storage-class": "STANDARD_IA",
  });
  it("a role session's CopyObject", () => {
    expect(s3Context(S3_ACTIONS.CopyObject!, roleFacts)).toMatchObject({
      "aws:principalarn": ROLE,
      "aws:principalaccount": PROVIDER,
      "aws:principaltype": "AssumedRole",
      "aws:principalisawsservice": "false",
      "aws:userid": "AROAEXAMPLE:flexcopy",
      "aws:currenttime": "2026-12-02T10:00:00Z",
      "aws:epochtime": String(Math.floor(now.getTime() / 1000)),
      "aws:requestedregion": "ap-northeast-1",
      "aws:resourceaccount": CUSTOMER,
      "aws:principalorgid": "o-provider",
      "aws:resourceorgid": "o-customer",
      "aws:securetransport": "true",
      "s3:tlsversion": "1.3",
      "s3:resourceaccount": CUSTOMER,
      "s3:signatureversion": "AWS4-HMAC-SHA256",
      "s3:authtype": "REST-HEADER",
      "s3:signatureage": "1234",
      "s3:x-amz-content-sha256": "UNSIGNED-PAYLOAD",
      "s3:x-amz-storage-class": "STANDARD_IA",
    });
    expect(s3Context(S3_ACTIONS.CopyObject!, roleFacts)["aws:username"]).toBeUndefined(); // IAM users only
    expect(s3Context(S3_ACTIONS.CopyObject!, roleFacts)["aws:multifactorauthpresent"]).toBe("false"); // a session without MFA
  });
  it("conditional-write headers reach s3:if-none-match / s3:if-match on object creations only", () => {
    const h = { "if-none-match": "*", "if-match": '"e"' };
    expect(s3Context(S3_ACTIONS.PutObject!, facts(role, {}, h))).toMatchObject({ "s3:if-none-match": "*", "s3:if-match": '"e"' });
    expect(s3Context(S3_ACTIONS.CompleteMultipartUpload!, facts(role, {}, h))["s3:if-none-match"]).toBe("*");
    expect(s3Context(S3_ACTIONS.GetObject!, facts(role, {}, h))["s3:if-match"]).toBeUndefined();
  });
  it("an IAM user carries aws:username and PrincipalType User; no TLS version over HTTP", () => {
    const ctx = s3Context(S3_ACTIONS.GetObject!, facts(user, { secureTransport: false, tlsVersion: "1.2" }));
    expect(ctx).toMatchObject({ "aws:username": "flex-user", "aws:principaltype": "User", "aws:securetransport": "false" });
    expect(ctx["s3:tlsversion"]).toBeUndefined();
    expect(ctx["aws:multifactorauthpresent"]).toBeUndefined(); // long-term credentials
    expect(ctx["aws:principalorgid"]).toBeUndefined(); // no organisation given: absent
  });
  it("ListMultipartUploads carries no s3:prefix / s3:delimiter / s3:max-keys; ListObjectsV2 does", () => {
    const q: Record<string, string> = { prefix: "2021/", delimiter: "/", "max-keys": "10" };
    const f = { ...facts(role), query: (n: string) => q[n] };
    const mpu = s3Context(S3_ACTIONS.ListMultipartUploads!, f);
    expect([mpu["s3:prefix"], mpu["s3:delimiter"], mpu["s3:max-keys"]]).toEqual([undefined, undefined, undefined]);
    expect(s3Context(S3_ACTIONS.ListObjectsV2!, f)).toMatchObject({ "s3:prefix": "2021/", "s3:delimiter": "/", "s3:max-keys": "10" });
  });
  // Deny-unless policies AWS documents: with the key present and right, they do not lock the role out.
  const denyUnless = (op: string, key: string, value: string | string[]): PolicyDocumentInput => ({
    Version: "2012-10-17",
    Statement: [everyone, { Sid: "Guard", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::dest/*", Condition: { [op]: { [key]: value } } }],
  });
  it.each([
    ["StringNotEquals", "aws:ResourceAccount", CUSTOMER, {}, true],
    ["StringNotEquals", "aws:ResourceAccount", "999999999999", {}, false],
    ["StringNotEquals", "s3:ResourceAccount", CUSTOMER, {}, true],
    ["StringNotEquals", "s3:signatureversion", "AWS4-HMAC-SHA256", {}, true],
    ["StringNotEquals", "s3:authType", "REST-HEADER", {}, true],
    ["StringNotEquals", "s3:authType", "REST-HEADER", { authType: "REST-QUERY-STRING" }, false],
    ["NumericGreaterThan", "s3:signatureAge", "600000", { signatureAgeMs: 1000 }, true],
    ["NumericGreaterThan", "s3:signatureAge", "600000", { signatureAgeMs: 700000 }, false],
    ["Bool", "aws:PrincipalIsAWSService", "true", {}, true],
    ["StringNotEquals", "aws:PrincipalType", "AssumedRole", {}, true],
    ["StringNotEquals", "aws:RequestedRegion", "ap-northeast-1", { region: "ap-northeast-1" }, true],
    ["StringNotEquals", "aws:RequestedRegion", "ap-northeast-1", { region: "us-east-1" }, false],
    ["StringNotLike", "aws:userid", ["AROAEXAMPLE:*", CUSTOMER], { userId: "AROAEXAMPLE:flexcopy" }, true],
    ["StringNotLike", "aws:userid", ["AROAEXAMPLE:*", CUSTOMER], {}, false], // no aws:userid known: the Deny holds
    ["DateGreaterThan", "aws:CurrentTime", "2026-12-31T00:00:00Z", { now: new Date("2026-12-02T00:00:00Z") }, true],
    ["DateGreaterThan", "aws:CurrentTime", "2026-12-31T00:00:00Z", { now: new Date("2027-01-02T00:00:00Z") }, false],
    ["StringNotEquals", "aws:PrincipalOrgID", "o-customer", { principalOrgId: "o-provider" }, false],
    ["StringNotEquals", "aws:PrincipalOrgID", "o-customer", {}, false], // outside any organisation: absent, negated: true
    ["StringNotEqualsIfExists", "aws:PrincipalOrgID", "o-customer", {}, false], // IfExists on an absent key: true
  ] as const)("Deny %s %s %j with %j -> allowed %s", (op, key, value, f, want) => {
    expect(allowed(role, denyUnless(op, key, typeof value === "string" ? value : [...value]), "PutObject", OBJ, f)).toBe(want);
  });
});
