import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../iam/document.js";
import { publicStatement } from "./public-policy.js";

const R = "arn:aws:s3:::b/*";
const allow = (extra: object) => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: R, ...extra }] });

// S3 User Guide, "The meaning of public": an Allow to everyone is public unless a fixed value of a limiting key narrows it.
describe("publicStatement", () => {
  it.each([
    ["Principal *", allow({}), true],
    ['Principal {"AWS": "*"}', allow({ Principal: { AWS: "*" } }), true],
    ["NotPrincipal on an Allow (everyone but some)", { Statement: [{ Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "s3:GetObject", Resource: R }] }, true],
    ["a negated operator (StringNotEquals)", allow({ Condition: { StringNotEquals: { "aws:SourceAccount": "111122223333" } } }), true],
    ["…IfExists (true on an absent key)", allow({ Condition: { StringEqualsIfExists: { "aws:SourceAccount": "111122223333" } } }), true],
    ["a wildcard value", allow({ Condition: { StringLike: { "aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/*" } } }), true],
    ["a policy variable", allow({ Condition: { StringEquals: { "aws:SourceAccount": "${aws:PrincipalAccount}" } } }), true],
    ["aws:SourceIp 0.0.0.0/0", allow({ Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } }), true],
    ["a key that limits nothing (s3:prefix)", allow({ Condition: { StringEquals: { "s3:prefix": "public/" } } }), true],
    ["a fixed aws:SourceArn", allow({ Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1" } } }), false],
    ["a fixed aws:SourceAccount (any case)", allow({ Condition: { StringEquals: { "AWS:SOURCEACCOUNT": "111122223333" } } }), false],
    ["a fixed aws:PrincipalOrgID", allow({ Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } }), false],
    ["a fixed aws:SourceIp range", allow({ Condition: { IpAddress: { "aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"] } } }), false],
    ["a service principal", allow({ Principal: { Service: "cloudfront.amazonaws.com" } }), false],
    ["a named role", allow({ Principal: { AWS: "arn:aws:iam::461810399597:role/R" } }), false],
    ["a Deny to everyone", { Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: R, Condition: { Bool: { "aws:SecureTransport": "false" } } }] }, false],
  ])("%s -> public %s", (_what, doc, want) => {
    expect(publicStatement(parsePolicy(doc)) !== undefined).toBe(want);
  });
});
