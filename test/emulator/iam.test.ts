// The emulator decides access as IAM does, from real policy documents (src/iam/): these tests show each
// decision under the manual's bucket policy, the multipart-enabling one, a Deny, and Object Ownership.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteBucketPolicyCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";
import { bucketPolicy, multipartBucketPolicy } from "../../src/iam/manual.js";
import { assume, baseCreds, failure, MiB, s3 } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const ACL = "bucket-owner-full-control" as const;
const KEY = "2021/05/31/a.pcap.gz";

describe("emulator access decisions (IAM evaluation over the bucket policy)", () => {
  let em: Emulator;
  let role: S3Client;
  let base: S3Client;
  async function start(o: EmulatorOptions = {}): Promise<void> {
    em = await startEmulator({ seed: "none", ...o });
    em.putObject(SRC, KEY, 12 * MiB);
    role = s3(em, await assume(em));
    base = s3(em, baseCreds(em));
  }
  afterEach(() => em?.stop());
  const copySrc = `${SRC}/${KEY}`;
  const lastDenied = () => em.requestLog().filter((e) => e.status === 403).pop();

  describe("under the manual's bucket policy (the default)", () => {
    beforeEach(() => start());

    it("CopyObject needs the ACL; the log names the action and why a request was denied", async () => {
      await role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL }));
      expect((await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: "b", CopySource: copySrc })))).name).toBe("AccessDenied");
      expect(lastDenied()).toMatchObject({ op: "CopyObject", action: "s3:PutObject", denyReason: expect.stringMatching(/cross-account: no Allow for s3:PutObject .* bucket policy of flex-dest/) });
      expect(em.objects(DEST).map((o) => o.key)).toEqual([KEY]);
    });

    it("the role may create a multipart upload with the ACL but not upload a part, complete, abort or list parts", async () => {
      const { UploadId } = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: KEY, ACL }));
      const denied = async (op: string, fn: () => Promise<unknown>) => {
        expect((await failure(fn)).name, op).toBe("AccessDenied");
        expect(lastDenied(), op).toMatchObject({ op });
      };
      await denied("UploadPartCopy", () => role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: KEY, UploadId, PartNumber: 1, CopySource: copySrc, CopySourceRange: "bytes=0-99" })));
      await denied("UploadPart", () => role.send(new UploadPartCommand({ Bucket: DEST, Key: KEY, UploadId, PartNumber: 1, Body: "x" })));
      await denied("CompleteMultipartUpload", () => role.send(new CompleteMultipartUploadCommand({ Bucket: DEST, Key: KEY, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } })));
      await denied("AbortMultipartUpload", () => role.send(new AbortMultipartUploadCommand({ Bucket: DEST, Key: KEY, UploadId })));
      expect(lastDenied()).toMatchObject({ action: "s3:AbortMultipartUpload" });
      await denied("ListParts", () => role.send(new ListPartsCommand({ Bucket: DEST, Key: KEY, UploadId })));
      expect(lastDenied()).toMatchObject({ action: "s3:ListMultipartUploadParts" });
      await denied("ListMultipartUploads", () => role.send(new ListMultipartUploadsCommand({ Bucket: DEST })));
      expect(lastDenied()).toMatchObject({ action: "s3:ListBucketMultipartUploads" });
      // The bucket owner can see and remove it.
      expect((await base.send(new ListMultipartUploadsCommand({ Bucket: DEST }))).Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
      await base.send(new AbortMultipartUploadCommand({ Bucket: DEST, Key: KEY, UploadId }));
      expect(em.uploads(DEST)).toHaveLength(0);
    });

    it("the role lists the destination but cannot read it; the owner reads what the role wrote with the ACL", async () => {
      await role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL }));
      await role.send(new ListObjectsV2Command({ Bucket: DEST }));
      expect((await failure(() => role.send(new GetObjectCommand({ Bucket: DEST, Key: KEY })))).name).toBe("AccessDenied");
      expect(lastDenied()).toMatchObject({ action: "s3:GetObject" });
      const got = await base.send(new GetObjectCommand({ Bucket: DEST, Key: KEY, Range: "bytes=0-9" }));
      expect(got.ContentLength).toBe(10);
    });

    it("the bucket owner manages the policy at runtime; others get 403; a malformed one is refused", async () => {
      const doc = JSON.parse((await base.send(new GetBucketPolicyCommand({ Bucket: DEST }))).Policy ?? "{}");
      expect(doc).toEqual(bucketPolicy(em.roleArn, DEST));
      expect((await failure(() => role.send(new GetBucketPolicyCommand({ Bucket: DEST })))).status).toBe(403);
      const bad = await failure(() => base.send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: '{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}' })));
      expect(bad.name).toBe("MalformedPolicy");
      await base.send(new DeleteBucketPolicyCommand({ Bucket: DEST }));
      expect((await failure(() => base.send(new GetBucketPolicyCommand({ Bucket: DEST })))).name).toBe("NoSuchBucketPolicy");
      // No policy at all: the provider's role gets nothing on the destination.
      expect((await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL })))).name).toBe("AccessDenied");
      await base.send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: JSON.stringify(multipartBucketPolicy(em.roleArn, DEST)) }));
      const { UploadId } = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: KEY, ACL }));
      await role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: KEY, UploadId, PartNumber: 1, CopySource: copySrc, CopySourceRange: "bytes=0-99" }));
      await role.send(new AbortMultipartUploadCommand({ Bucket: DEST, Key: KEY, UploadId }));
    });

    it("an explicit Deny hits the keys it names, whatever else allows", async () => {
      const doc = bucketPolicy(em.roleArn, DEST) as { Statement: object[] };
      doc.Statement.push({ Sid: "NoMay31", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${DEST}/2021/05/31/*` });
      em.setBucketPolicy(DEST, doc);
      expect((await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: copySrc, ACL })))).name).toBe("AccessDenied");
      expect(lastDenied()?.denyReason).toBe(`explicit Deny in the bucket policy of ${DEST} statement "NoMay31"`);
      await role.send(new CopyObjectCommand({ Bucket: DEST, Key: "elsewhere/a", CopySource: copySrc, ACL }));
    });
  });

  it("with initiatorMayAbort (the other reading of the docs) the role aborts and lists parts of its own uploads only", async () => {
    await start({ initiatorMayAbort: true });
    const { UploadId } = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: KEY, ACL }));
    expect((await role.send(new ListPartsCommand({ Bucket: DEST, Key: KEY, UploadId }))).Parts ?? []).toEqual([]);
    expect((await failure(() => role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: KEY, UploadId, PartNumber: 1, CopySource: copySrc, CopySourceRange: "bytes=0-99" })))).name).toBe("AccessDenied");
    const own = await base.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: "owner/x" }));
    expect((await failure(() => role.send(new AbortMultipartUploadCommand({ Bucket: DEST, Key: "owner/x", UploadId: own.UploadId })))).name).toBe("AccessDenied");
    await role.send(new AbortMultipartUploadCommand({ Bucket: DEST, Key: KEY, UploadId }));
  });

  it("BucketOwnerEnforced: every new object belongs to the bucket owner; ACLs other than bucket-owner-full-control are refused", async () => {
    await start({ bucketPolicy: multipartBucketPolicy("${roleArn}", "${bucket}"), objectOwnership: "BucketOwnerEnforced" });
    expect((await base.send(new GetBucketOwnershipControlsCommand({ Bucket: DEST }))).OwnershipControls?.Rules?.[0]?.ObjectOwnership).toBe("BucketOwnerEnforced");
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: "with-acl", CopySource: copySrc, ACL }));
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: "no-acl", CopySource: copySrc }));
    const refused = await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: "public", CopySource: copySrc, ACL: "public-read" })));
    expect([refused.status, refused.name]).toEqual([400, "AccessControlListNotSupported"]);
    expect((await failure(() => base.send(new PutObjectAclCommand({ Bucket: DEST, Key: "no-acl", ACL: "private" })))).name).toBe("AccessControlListNotSupported");
    // A multipart copy without any ACL header on Complete: still the owner's.
    const { UploadId } = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: "mp", ACL }));
    const p = await role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: "mp", UploadId, PartNumber: 1, CopySource: copySrc, CopySourceRange: "bytes=0-99" }));
    await role.send(new CompleteMultipartUploadCommand({ Bucket: DEST, Key: "mp", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.CopyPartResult?.ETag }] } }));
    for (const o of em.objects(DEST)) expect([o.key, o.owner]).toEqual([o.key, em.accountId]);
    for (const key of ["with-acl", "no-acl", "mp"]) expect((await base.send(new GetObjectCommand({ Bucket: DEST, Key: key, Range: "bytes=0-0" }))).ContentLength).toBe(1);
    // Switching back to ObjectWriter: a write without the ACL would belong to the provider, so the policy's
    // multipart statement makes such writes unreadable for the owner — which is why --allow-multipart needs both.
    await base.send(new PutBucketOwnershipControlsCommand({ Bucket: DEST, OwnershipControls: { Rules: [{ ObjectOwnership: "ObjectWriter" }] } }));
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: "writer-owned", CopySource: copySrc }));
    expect((await failure(() => base.send(new GetObjectCommand({ Bucket: DEST, Key: "writer-owned" })))).name).toBe("AccessDenied");
  });
});
