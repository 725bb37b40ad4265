import { describe, expect, it } from "vitest";
import { conditionHolds } from "./conditions.js";
import { parsePolicy } from "./document.js";
import { evaluate, type AccessRequest } from "./evaluate.js";
import { bucketPolicy, multipartBucketPolicy } from "./manual.js";
import { s3Context, S3_ACTIONS } from "./s3-actions.js";

const ROLE = "arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_123456789012";
const SESSION = "arn:aws:sts::461810399597:assumed-role/JeuServiceRoleForS3Copy_123456789012/flexcopy";
const allowAll = { name: "role", policy: parsePolicy({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }) };

function roleRequest(op: string, headers: Record<string, string> = {}, key = "2021/05/31/a.pcap.gz"): AccessRequest {
  const rule = S3_ACTIONS[op]!;
  return {
    caller: { arn: SESSION, accountId: "461810399597", roleArn: ROLE },
    action: rule.action,
    resource: rule.resource === "bucket" ? "arn:aws:s3:::dest" : `arn:aws:s3:::dest/${key}`,
    resourceAccount: "123456789012",
    context: s3Context(rule, { header: (n) => headers[n], callerArn: SESSION, principalArn: ROLE, callerAccount: "461810399597", resourceAccount: "123456789012", secureTransport: true }),
  };
}
const manual = { name: "bucket policy", policy: parsePolicy(bucketPolicy(ROLE, "dest")) };
const decide = (op: string, headers: Record<string, string> = {}, resource = manual) => evaluate(roleRequest(op, headers), { identity: [allowAll], resource }).allowed;
const ACL = { "x-amz-acl": "bucket-owner-full-control" };

describe("condition operators (IAM User Guide, condition operators)", () => {
  const ctx = { "s3:x-amz-acl": "bucket-owner-full-control", "aws:tags": ["a", "b"], "aws:sourceip": "203.0.113.7", "aws:sourceip6": "2001:db8::5" };
  it.each([
    ["StringEquals", "s3:x-amz-acl", ["bucket-owner-full-control"], true],
    ["StringEquals", "s3:x-amz-acl", ["private", "bucket-owner-full-control"], true],
    ["StringEquals", "S3:X-AMZ-ACL", ["bucket-owner-full-control"], true], // keys are case-insensitive
    ["StringEquals", "s3:absent", ["x"], false], // absent key: false
    ["StringNotEquals", "s3:absent", ["x"], true], // negated + absent: true
    ["StringNotEquals", "s3:x-amz-acl", ["private", "bucket-owner-full-control"], false], // NOR of the values
    ["StringNotEquals", "s3:x-amz-acl", ["private", "public-read"], true],
    ["StringLike", "s3:x-amz-acl", ["bucket-*"], true],
    ["StringLike", "s3:x-amz-acl", ["bucket-?wner-full-control"], true],
    ["StringNotLike", "s3:x-amz-acl", ["public-*"], true],
    ["StringEqualsIfExists", "s3:absent", ["x"], true],
    ["StringEqualsIfExists", "s3:x-amz-acl", ["private"], false],
    ["Null", "s3:absent", ["true"], true],
    ["Null", "s3:x-amz-acl", ["true"], false],
    ["Null", "s3:x-amz-acl", ["false"], true],
    ["ForAnyValue:StringEquals", "aws:tags", ["b", "z"], true],
    ["ForAnyValue:StringEquals", "aws:tags", ["z"], false],
    ["ForAnyValue:StringEquals", "s3:absent", ["z"], false],
    ["ForAllValues:StringEquals", "aws:tags", ["a", "b", "c"], true],
    ["ForAllValues:StringEquals", "aws:tags", ["a"], false],
    ["ForAllValues:StringEquals", "s3:absent", ["a"], true], // ForAllValues on an absent key: true
    ["NoSuchOperator", "s3:x-amz-acl", ["bucket-owner-full-control"], false],
    ["IpAddress", "aws:SourceIp", ["203.0.113.0/24"], true],
    ["IpAddress", "aws:SourceIp", ["198.51.100.0/24", "203.0.113.7"], true], // one address, no prefix length
    ["IpAddress", "aws:SourceIp", ["198.51.100.0/24"], false],
    ["NotIpAddress", "aws:SourceIp", ["198.51.100.0/24"], true],
    ["NotIpAddress", "aws:SourceIp", ["203.0.0.0/8"], false],
    ["NotIpAddress", "aws:absent", ["203.0.0.0/8"], true], // negated + absent: true
    ["IpAddress", "aws:absent", ["0.0.0.0/0"], false],
    ["IpAddress", "aws:SourceIp6", ["2001:db8::/32"], true],
    ["IpAddress", "aws:SourceIp", ["not-a-cidr"], false],
  ] as const)("%s %s %j -> %s", (op, key, values, want) => {
    expect(conditionHolds(op, key, [...values], ctx)).toBe(want);
  });
});

describe("the manual's bucket policy, decided as IAM does", () => {
  it("CopyObject / PutObject / CreateMultipartUpload with the ACL are allowed; without it they are not", () => {
    for (const op of ["CopyObject", "PutObject", "CreateMultipartUpload"]) {
      expect(decide(op, ACL), op).toBe(true);
      expect(decide(op), op).toBe(false);
      expect(decide(op, { "x-amz-acl": "private" }), op).toBe(false);
    }
  });
  it("UploadPart, UploadPartCopy and Complete carry no s3:x-amz-acl, so they are denied even if the client sends it", () => {
    for (const op of ["UploadPart", "UploadPartCopy", "CompleteMultipartUpload"]) expect(decide(op, ACL), op).toBe(false);
  });
  it("Abort and ListParts are not granted; ListBucket is", () => {
    expect(decide("AbortMultipartUpload")).toBe(false);
    expect(decide("ListParts")).toBe(false);
    expect(decide("ListObjectsV2")).toBe(true);
    expect(decide("ListMultipartUploads")).toBe(false);
  });
  it("cross-account: the bucket policy alone is not enough, the caller's identity policy must allow too", () => {
    const r = evaluate(roleRequest("CopyObject", ACL), { identity: [], resource: manual });
    expect(r.allowed).toBe(false);
    expect(r.reason).toMatch(/identity policy/);
    const none = evaluate(roleRequest("CopyObject", ACL), { identity: [allowAll] });
    expect(none.allowed).toBe(false);
  });
  it("an explicit Deny wins over every Allow and is named in the reason", () => {
    const doc = bucketPolicy(ROLE, "dest") as { Statement: unknown[] };
    doc.Statement.push({ Sid: "NoJune", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::dest/2021/06/*" });
    const res = { name: "bucket policy", policy: parsePolicy(doc) };
    expect(evaluate(roleRequest("CopyObject", ACL, "2021/05/31/a"), { identity: [allowAll], resource: res }).allowed).toBe(true);
    const d = evaluate(roleRequest("CopyObject", ACL, "2021/06/01/a"), { identity: [allowAll], resource: res });
    expect(d).toEqual({ allowed: false, reason: 'explicit Deny in bucket policy statement "NoJune"', deny: { policy: "bucket policy", kind: "resource", index: 2, sid: "NoJune", effect: "Deny" } });
  });
  it("a statement naming another principal does not apply", () => {
    const res = { name: "bp", policy: parsePolicy(bucketPolicy("arn:aws:iam::461810399597:role/Other", "dest")) };
    expect(decide("CopyObject", ACL, res)).toBe(false);
  });
  it("same account: an Allow in either policy is enough", () => {
    const r: AccessRequest = { ...roleRequest("CopyObject"), caller: { arn: "arn:aws:iam::123456789012:user/u", accountId: "123456789012" } };
    expect(evaluate(r, { identity: [allowAll] }).allowed).toBe(true);
    expect(evaluate(r, { identity: [], resource: { name: "bp", policy: parsePolicy({ Statement: [{ Effect: "Allow", Principal: { AWS: "123456789012" }, Action: "s3:*", Resource: "*" }] }) } }).allowed).toBe(true);
    expect(evaluate(r, { identity: [] }).allowed).toBe(false);
  });
});

describe("the --allow-multipart policy", () => {
  const mp = { name: "bp", policy: parsePolicy(multipartBucketPolicy(ROLE, "dest")) };
  it("allows every multipart operation the role needs", () => {
    for (const op of ["CreateMultipartUpload", "UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "CopyObject"]) {
      expect(decide(op, op === "CreateMultipartUpload" || op === "CopyObject" ? ACL : {}, mp), op).toBe(true);
    }
  });
});

describe("policy documents", () => {
  it.each([
    ["not JSON", "{", /valid JSON/],
    ["no Statement", { Version: "2012-10-17" }, /Statement/],
    ["bad Effect", { Statement: [{ Effect: "Maybe", Action: "*", Resource: "*" }] }, /Effect/],
    ["Action and NotAction", { Statement: [{ Effect: "Allow", Action: "*", NotAction: "s3:*", Resource: "*" }] }, /exactly one of Action/],
    ["no Resource", { Statement: [{ Effect: "Allow", Action: "*" }] }, /Resource/],
    ["unknown field", { Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Foo: 1 }] }, /Foo|unrecognized/i],
  ])("refuses %s", (_name, doc, re) => {
    expect(() => parsePolicy(doc)).toThrow(re);
  });
});
