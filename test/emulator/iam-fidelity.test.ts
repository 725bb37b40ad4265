// The emulator's IAM rules of issue 16 over real HTTP with the AWS SDK: the object-ACL layer (READ, READ_ACP,
// WRITE_ACP), NotPrincipal and assumed-role sessions, the request context every signed request carries
// (aws:userid, aws:RequestedRegion, s3:signatureversion, …), policy variables, and what PutBucketPolicy refuses.
import {
  CopyObjectCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { assume, baseCreds, failure, s3 } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const KEY = "2021/05/31/a.pcap.gz";
const copySrc = `${SRC}/${KEY}`;
const OBJECTS = `arn:aws:s3:::${DEST}/*`;

describe("emulator IAM fidelity over HTTP", () => {
  let em: Emulator;
  let role: S3Client;
  let base: S3Client;
  let session: string;
  beforeEach(async () => {
    em = await startEmulator({ seed: "none" });
    em.putObject(SRC, KEY, 1024);
    role = s3(em, await assume(em));
    base = s3(em, baseCreds(em));
    session = `arn:aws:sts::${em.providerAccountId}:assumed-role/${em.roleArn.split("/").pop()}/flexcopy-test`;
  });
  afterEach(() => em?.stop());
  const lastDenied = () => em.requestLog().filter((e) => e.status === 403).pop();
  const withStatements = (...extra: object[]) => {
    const doc = bucketPolicy(em.roleArn, DEST) as { Statement: object[] };
    return { ...doc, Statement: [...doc.Statement, ...extra] };
  };

  describe("object ACLs: the owner of the bucket needs the object's ACL for another account's object", () => {
    beforeEach(() => {
      // A customer policy that accepts any bucket-owner-* ACL (StringLike), not only bucket-owner-full-control.
      em.setBucketPolicy(DEST, {
        Version: "2012-10-17",
        Statement: [
          { Sid: "List", Effect: "Allow", Principal: { AWS: em.roleArn }, Action: "s3:ListBucket", Resource: `arn:aws:s3:::${DEST}` },
          { Sid: "Write", Effect: "Allow", Principal: { AWS: em.roleArn }, Action: ["s3:PutObject", "s3:PutObjectAcl"], Resource: OBJECTS, Condition: { StringLike: { "s3:x-amz-acl": "bucket-owner-*" } } },
        ],
      });
    });

    it("bucket-owner-read: the owner may read the object, but not read or change its ACL", async () => {
      await role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL: "bucket-owner-read" }));
      expect(em.objects(DEST)[0]).toMatchObject({ owner: em.providerAccountId, grants: [{ grantee: em.providerAccountId, permission: "FULL_CONTROL" }, { grantee: em.accountId, permission: "READ" }] });
      expect((await base.send(new GetObjectCommand({ Bucket: DEST, Key: KEY, Range: "bytes=0-9" }))).ContentLength).toBe(10);
      expect((await failure(() => base.send(new GetObjectAclCommand({ Bucket: DEST, Key: KEY })))).name).toBe("AccessDenied");
      expect(lastDenied()).toMatchObject({ op: "GetObjectAcl", action: "s3:GetObjectAcl", denyReason: expect.stringMatching(/neither READ_ACP nor FULL_CONTROL/) });
      expect((await failure(() => base.send(new PutObjectAclCommand({ Bucket: DEST, Key: KEY, ACL: "bucket-owner-full-control" })))).name).toBe("AccessDenied");
      expect(lastDenied()).toMatchObject({ op: "PutObjectAcl", denyReason: expect.stringMatching(/WRITE_ACP/) });
      expect(em.objects(DEST)[0]?.grants).toHaveLength(2); // unchanged
      // The object's owner (the role's account) may change it: then the bucket owner has FULL_CONTROL.
      await role.send(new PutObjectAclCommand({ Bucket: DEST, Key: KEY, ACL: "bucket-owner-full-control" }));
      const acl = await base.send(new GetObjectAclCommand({ Bucket: DEST, Key: KEY }));
      expect(acl.Grants?.map((g) => g.Permission)).toEqual(["FULL_CONTROL", "FULL_CONTROL"]);
      await base.send(new PutObjectAclCommand({ Bucket: DEST, Key: KEY, ACL: "bucket-owner-full-control" }));
    });

    it("bucket-owner-full-control: the owner reads the object and its ACL, and may change the ACL", async () => {
      await role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL: "bucket-owner-full-control" }));
      await base.send(new GetObjectAclCommand({ Bucket: DEST, Key: KEY }));
      await base.send(new PutObjectAclCommand({ Bucket: DEST, Key: KEY, ACL: "bucket-owner-read" }));
      expect(em.objects(DEST)[0]?.grants).toEqual([{ grantee: em.providerAccountId, permission: "FULL_CONTROL" }, { grantee: em.accountId, permission: "READ" }]);
    });

    it("the bucket owner's own objects are decided by the policies alone", async () => {
      await base.send(new PutObjectCommand({ Bucket: DEST, Key: "own", Body: "x", ACL: "private" }));
      await base.send(new GetObjectAclCommand({ Bucket: DEST, Key: "own" }));
      await base.send(new PutObjectAclCommand({ Bucket: DEST, Key: "own", ACL: "private" }));
    });
  });

  describe("NotPrincipal with Deny and the role's session", () => {
    const denyAllBut = (aws: string[]) => ({ Sid: "OnlyListed", Effect: "Deny", NotPrincipal: { AWS: aws }, Action: "s3:PutObject", Resource: OBJECTS });

    it("naming the role and its account spares no session: the copy is refused by that statement", async () => {
      em.setBucketPolicy(DEST, withStatements(denyAllBut([em.roleArn, `arn:aws:iam::${em.providerAccountId}:root`, `arn:aws:iam::${em.accountId}:root`])));
      expect((await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL: "bucket-owner-full-control" })))).name).toBe("AccessDenied");
      expect(lastDenied()?.denyReason).toBe(`explicit Deny in the bucket policy of ${DEST} statement "OnlyListed"`);
    });

    it("naming the session ARN, the role and the account spares that session", async () => {
      em.setBucketPolicy(DEST, withStatements(denyAllBut([session, em.roleArn, `arn:aws:iam::${em.providerAccountId}:root`])));
      await role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL: "bucket-owner-full-control" }));
      // … and nobody else: the bucket owner's own user is not listed.
      expect((await failure(() => base.send(new PutObjectCommand({ Bucket: DEST, Key: "x", Body: "x" })))).name).toBe("AccessDenied");
    });
  });

  describe("the request context of a signed request", () => {
    // Guards AWS documents, each a Deny unless the request carries the expected value.
    const guards = (userIds: string[], region = "ap-northeast-1") => [
      { Sid: "OwnAccountOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: OBJECTS, Condition: { StringNotEquals: { "aws:ResourceAccount": em.accountId, "s3:ResourceAccount": em.accountId } } },
      { Sid: "SigV4Only", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: OBJECTS, Condition: { StringNotEquals: { "s3:signatureversion": "AWS4-HMAC-SHA256" } } },
      { Sid: "HeaderAuthOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: OBJECTS, Condition: { StringNotEquals: { "s3:authType": "REST-HEADER" } } },
      { Sid: "FreshSignatures", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: OBJECTS, Condition: { NumericGreaterThan: { "s3:signatureAge": 600000 } } },
      { Sid: "NoServices", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: OBJECTS, Condition: { Bool: { "aws:PrincipalIsAWSService": true } } },
      { Sid: "OneRegion", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: OBJECTS, Condition: { StringNotEquals: { "aws:RequestedRegion": region } } },
      { Sid: "KnownIds", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: OBJECTS, Condition: { StringNotLike: { "aws:userid": userIds }, StringNotEquals: { "s3:x-amz-content-sha256": "none" } } },
    ];

    it("the role's copy and the owner's write pass every guard when the values match", async () => {
      em.setBucketPolicy(DEST, withStatements(...guards(["AROAWFLEXEMULATORROLE:*", "AIDAWFLEXEMULATORUSER"])));
      await role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL: "bucket-owner-full-control" }));
      await base.send(new PutObjectCommand({ Bucket: DEST, Key: "own", Body: "x" }));
    });

    it("a guard whose value does not match refuses, naming the statement", async () => {
      em.setBucketPolicy(DEST, withStatements(...guards(["AIDAWFLEXEMULATORUSER"])));
      expect((await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL: "bucket-owner-full-control" })))).name).toBe("AccessDenied");
      expect(lastDenied()?.denyReason).toMatch(/statement "KnownIds"/);
      await base.send(new PutObjectCommand({ Bucket: DEST, Key: "own", Body: "x" }));
      em.setBucketPolicy(DEST, withStatements(...guards(["AIDAWFLEXEMULATORUSER"], "us-east-1")));
      expect((await failure(() => base.send(new PutObjectCommand({ Bucket: DEST, Key: "own", Body: "x" })))).name).toBe("AccessDenied");
      expect(lastDenied()?.denyReason).toMatch(/statement "OneRegion"/);
    });

    it("${aws:username} in a 2012-10-17 policy is the IAM user's name", async () => {
      em.setBucketPolicy(DEST, withStatements({ Sid: "OwnHome", Effect: "Deny", Principal: { AWS: `arn:aws:iam::${em.accountId}:user/flex-user` }, Action: "s3:PutObject", NotResource: `arn:aws:s3:::${DEST}/home/\${aws:username}/*` }));
      await base.send(new PutObjectCommand({ Bucket: DEST, Key: "home/flex-user/a", Body: "x" }));
      expect((await failure(() => base.send(new PutObjectCommand({ Bucket: DEST, Key: "home/other/a", Body: "x" })))).name).toBe("AccessDenied");
      expect(lastDenied()?.denyReason).toMatch(/statement "OwnHome"/);
    });
  });

  describe("PutBucketPolicy answers MalformedPolicy for what S3 refuses", () => {
    const put = (statement: object) => base.send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) }));
    const stmt = { Effect: "Allow", Action: "s3:GetObject", Resource: OBJECTS };
    it.each([
      ["a partial wildcard in a principal", { ...stmt, Principal: { AWS: `arn:aws:iam::${"461810399597"}:role/*` } }, /Invalid principal in policy/],
      ["an unknown condition operator", { ...stmt, Principal: "*", Condition: { StringEqualsAny: { "s3:x-amz-acl": "private" } } }, /Invalid Condition type : StringEqualsAny/],
    ])("refuses %s", async (_name, statement, re) => {
      const e = await failure(() => put(statement));
      expect([e.status, e.name]).toEqual([400, "MalformedPolicy"]);
      expect(e.message).toMatch(re);
    });
    it("accepts CanonicalUser, Federated, AWS with Service, and numeric or boolean condition values", async () => {
      await put({ ...stmt, Principal: { CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" } });
      await put({ ...stmt, Principal: { Federated: "cognito-identity.amazonaws.com" } });
      await put({ ...stmt, Principal: { AWS: em.roleArn, Service: "cloudfront.amazonaws.com" }, Condition: { NumericLessThan: { "s3:signatureAge": [600000] }, Bool: { "aws:SecureTransport": false } } });
    });
  });
});
