import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assume, baseCreds, failure, s3 } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const ACL = "bucket-owner-full-control" as const;

describe("emulator permissions (the manual's bucket policy)", () => {
  let em: Emulator;
  let role: S3Client;
  let base: S3Client;
  beforeAll(async () => {
    em = await startEmulator({ seed: "none", contractedPeriods: ["2021/05", "2021/06/01..2021/06/02", "testdata", "ConnectionSpec"] });
    for (const k of [
      "2021/05/31/20210531_1_001.pcap.gz",
      "2021/06/02/20210602_1_001.pcap.gz",
      "2021/06/03/20210603_1_001.pcap.gz",
      "2020/12/30/20201230_1_001.pcap.gz",
      "testdata/2020/01/06/x.pcap.gz",
      "ConnectionSpec/Standard/version 17.4/Japanese/spec.pdf",
    ]) {
      em.putObject(SRC, k, 1024);
    }
    role = s3(em, await assume(em));
    base = s3(em, baseCreds(em));
  });
  afterAll(() => em.stop());

  it("ListBuckets shows each principal its own account's buckets", async () => {
    expect((await base.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([DEST]);
    expect((await role.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([SRC]);
  });

  it("the role reads inside the contracted periods only, while listing shows everything", async () => {
    const listed = await role.send(new ListObjectsV2Command({ Bucket: SRC }));
    expect(listed.KeyCount).toBe(6);
    for (const k of ["2021/05/31/20210531_1_001.pcap.gz", "2021/06/02/20210602_1_001.pcap.gz", "testdata/2020/01/06/x.pcap.gz", "ConnectionSpec/Standard/version 17.4/Japanese/spec.pdf"]) {
      await role.send(new HeadObjectCommand({ Bucket: SRC, Key: k }));
    }
    for (const k of ["2021/06/03/20210603_1_001.pcap.gz", "2020/12/30/20201230_1_001.pcap.gz"]) {
      expect((await failure(() => role.send(new HeadObjectCommand({ Bucket: SRC, Key: k })))).status).toBe(403);
      const g = await failure(() => role.send(new GetObjectCommand({ Bucket: SRC, Key: k })));
      expect(g.name).toBe("AccessDenied");
      const c = await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: k, CopySource: `${SRC}/${k}`, ACL })));
      expect(c.name).toBe("AccessDenied");
    }
  });

  it("the base user cannot read or list the source bucket", async () => {
    expect((await failure(() => base.send(new ListObjectsV2Command({ Bucket: SRC })))).name).toBe("AccessDenied");
    expect((await failure(() => base.send(new GetObjectCommand({ Bucket: SRC, Key: "2021/05/31/20210531_1_001.pcap.gz" })))).name).toBe("AccessDenied");
  });

  it("writes to the destination need x-amz-acl: bucket-owner-full-control", async () => {
    const k = "2021/05/31/20210531_1_001.pcap.gz";
    const cs = `${SRC}/${k}`;
    expect((await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: k, CopySource: cs })))).name).toBe("AccessDenied");
    expect((await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: k, CopySource: cs, ACL: "private" })))).name).toBe("AccessDenied");
    expect((await failure(() => role.send(new PutObjectCommand({ Bucket: DEST, Key: "x", Body: "x" })))).name).toBe("AccessDenied");
    expect((await failure(() => role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: "x" })))).name).toBe("AccessDenied");
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: k, CopySource: cs, ACL }));
    await role.send(new PutObjectCommand({ Bucket: DEST, Key: "small.txt", Body: "hello", ACL }));
    const objs = em.objects(DEST);
    const copied = objs.find((o) => o.key === k);
    expect(copied).toMatchObject({ owner: "461810399597", copySource: cs, size: 1024 });
    expect(copied?.grants).toEqual([
      { grantee: "461810399597", permission: "FULL_CONTROL" },
      { grantee: "123456789012", permission: "FULL_CONTROL" },
    ]);
    const log = em.requestLog().filter((e) => e.op === "CopyObject");
    expect(log[log.length - 1]).toMatchObject({ principal: "role", status: 200, acl: ACL, copySource: cs, bucket: DEST, key: k });
    expect(log[0]).toMatchObject({ status: 403, code: "AccessDenied" });
  });

  it("the role can list but not read the destination; the owner reads what the role wrote", async () => {
    const k = "2021/05/31/20210531_1_001.pcap.gz";
    expect((await role.send(new ListObjectsV2Command({ Bucket: DEST }))).Contents?.map((c) => c.Key)).toContain(k);
    expect((await failure(() => role.send(new HeadObjectCommand({ Bucket: DEST, Key: k })))).status).toBe(403);
    expect((await failure(() => role.send(new GetObjectCommand({ Bucket: DEST, Key: k })))).name).toBe("AccessDenied");
    expect((await failure(() => role.send(new GetObjectAclCommand({ Bucket: DEST, Key: k })))).name).toBe("AccessDenied");
    expect((await failure(() => role.send(new DeleteObjectCommand({ Bucket: DEST, Key: k })))).name).toBe("AccessDenied");
    expect((await failure(() => role.send(new GetBucketLocationCommand({ Bucket: DEST })))).name).toBe("AccessDenied");
    expect((await failure(() => role.send(new ListMultipartUploadsCommand({ Bucket: DEST })))).name).toBe("AccessDenied");
    const head = await base.send(new HeadObjectCommand({ Bucket: DEST, Key: k }));
    expect(head.ContentLength).toBe(1024);
    const acl = await base.send(new GetObjectAclCommand({ Bucket: DEST, Key: k }));
    expect(acl.Owner?.DisplayName).toBe("461810399597");
    expect(acl.Grants?.map((g) => [g.Grantee?.DisplayName, g.Permission])).toEqual([
      ["461810399597", "FULL_CONTROL"],
      ["123456789012", "FULL_CONTROL"],
    ]);
  });

  it("x-amz-expected-bucket-owner / x-amz-source-expected-bucket-owner mismatches are AccessDenied", async () => {
    const k = "2021/05/31/20210531_1_001.pcap.gz";
    expect((await failure(() => role.send(new ListObjectsV2Command({ Bucket: DEST, ExpectedBucketOwner: "461810399597" })))).name).toBe("AccessDenied");
    await role.send(new ListObjectsV2Command({ Bucket: DEST, ExpectedBucketOwner: "123456789012" }));
    const copy = (src: string) => role.send(new CopyObjectCommand({ Bucket: DEST, Key: k, CopySource: `${SRC}/${k}`, ACL, ExpectedBucketOwner: "123456789012", ExpectedSourceBucketOwner: src }));
    expect((await failure(() => copy("123456789012"))).name).toBe("AccessDenied");
    await copy("461810399597");
  });

  it("bucketPolicy: false denies the role everything on the destination", async () => {
    const em2 = await startEmulator({ seed: "none", bucketPolicy: false });
    try {
      em2.putObject(SRC, "2021/05/31/a", 10);
      const r = s3(em2, await assume(em2));
      await r.send(new ListObjectsV2Command({ Bucket: SRC }));
      expect((await failure(() => r.send(new ListObjectsV2Command({ Bucket: DEST })))).name).toBe("AccessDenied");
      expect((await failure(() => r.send(new CopyObjectCommand({ Bucket: DEST, Key: "a", CopySource: `${SRC}/2021/05/31/a`, ACL })))).name).toBe("AccessDenied");
    } finally {
      await em2.stop();
    }
  });
});
