import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
    GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assume, baseCreds, failure, GiB, s3 } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const ACL = "bucket-owner-full-control" as const;
const md5 = (s: string): string => createHash("md5").update(s).digest("hex");
const enc = (k: string): string => k.split("/").map(encodeURIComponent).join("/");

describe("emulator objects", () => {
  let em: Emulator;
  let role: S3Client;
  let base: S3Client;
  beforeAll(async () => {
    em = await startEmulator({ seed: "none" });
    em.putObject(SRC, "2021/05/31/20210531_1_001.pcap.gz", 100_000, { contentType: "application/gzip", metadata: { "flex-kind": "pcap" } });
    em.putObject(SRC, "2021/05/31/big.pcap.gz", 6 * GiB);
    em.putObject(SRC, "ConnectionSpec/Standard/version 17.4/Japanese/FLEX 接続仕様書 v1+2.pdf", 2048);
    role = s3(em, await assume(em));
    base = s3(em, baseCreds(em));
  });
  afterAll(() => em.stop());

  it("HeadObject / GetObject of a virtual object: ETag md5(key:size), metadata, deterministic bytes", async () => {
    const key = "2021/05/31/20210531_1_001.pcap.gz";
    const head = await role.send(new HeadObjectCommand({ Bucket: SRC, Key: key }));
    expect(head.ETag).toBe(`"${md5(`${key}:100000`)}"`);
    expect(head.ContentLength).toBe(100_000);
    expect(head.ContentType).toBe("application/gzip");
    expect(head.Metadata).toEqual({ "flex-kind": "pcap" });
    const a = await (await role.send(new GetObjectCommand({ Bucket: SRC, Key: key }))).Body?.transformToByteArray();
    const b = await (await role.send(new GetObjectCommand({ Bucket: SRC, Key: key }))).Body?.transformToByteArray();
    expect(a?.length).toBe(100_000);
    expect(Buffer.from(a ?? []).equals(Buffer.from(b ?? []))).toBe(true);
    expect(new Set(a?.slice(0, 64)).size).toBeGreaterThan(16); // not all zeros
  });

  it("Range GET returns 206 with Content-Range; unsatisfiable ranges are 416", async () => {
    const key = "2021/05/31/20210531_1_001.pcap.gz";
    const whole = Buffer.from((await (await role.send(new GetObjectCommand({ Bucket: SRC, Key: key }))).Body?.transformToByteArray()) ?? []);
    const r = await role.send(new GetObjectCommand({ Bucket: SRC, Key: key, Range: "bytes=1000-1999" }));
    expect(r.$metadata.httpStatusCode).toBe(206);
    expect(r.ContentRange).toBe("bytes 1000-1999/100000");
    expect(r.ContentLength).toBe(1000);
    expect(Buffer.from((await r.Body?.transformToByteArray()) ?? []).equals(whole.subarray(1000, 2000))).toBe(true);
    const tail = await role.send(new GetObjectCommand({ Bucket: SRC, Key: key, Range: "bytes=-10", ResponseContentType: "text/x-test" }));
    expect(tail.ContentType).toBe("text/x-test");
    expect(tail.ContentRange).toBe("bytes 99990-99999/100000");
    const big = await role.send(new GetObjectCommand({ Bucket: SRC, Key: "2021/05/31/big.pcap.gz", Range: `bytes=${6 * GiB - 5}-` }));
    expect((await big.Body?.transformToByteArray())?.length).toBe(5);
    const f = await failure(() => role.send(new GetObjectCommand({ Bucket: SRC, Key: key, Range: "bytes=200000-" })));
    expect(f.status).toBe(416);
    expect(f.name).toBe("InvalidRange");
  });

  it("NoSuchKey / NoSuchBucket", async () => {
    expect((await failure(() => role.send(new GetObjectCommand({ Bucket: SRC, Key: "2021/05/31/nope" })))).name).toBe("NoSuchKey");
    expect((await failure(() => role.send(new HeadObjectCommand({ Bucket: SRC, Key: "2021/05/31/nope" })))).status).toBe(404);
    expect((await failure(() => base.send(new GetObjectCommand({ Bucket: "nope-bucket", Key: "x" })))).name).toBe("NoSuchBucket");
  });

  it("PutObject keeps real bytes (md5 ETag); DeleteObject and DeleteObjects remove them", async () => {
    const body = "hello, flex & <world> 日本";
    const put = await base.send(new PutObjectCommand({ Bucket: DEST, Key: "notes/a.txt", Body: body, ContentType: "text/plain", Metadata: { x: "1" } }));
    expect(put.ETag).toBe(`"${createHash("md5").update(body).digest("hex")}"`);
    const got = await base.send(new GetObjectCommand({ Bucket: DEST, Key: "notes/a.txt" }));
    expect(await got.Body?.transformToString()).toBe(body);
    expect(got.ContentType).toBe("text/plain");
    expect(got.Metadata).toEqual({ x: "1" });
    await base.send(new PutObjectCommand({ Bucket: DEST, Key: "notes/b.txt", Body: "b" }));
    await base.send(new DeleteObjectCommand({ Bucket: DEST, Key: "notes/a.txt" }));
    const del = await base.send(new DeleteObjectsCommand({ Bucket: DEST, Delete: { Objects: [{ Key: "notes/b.txt" }, { Key: "notes/c & d.txt" }] } }));
    expect(del.Deleted?.map((d) => d.Key)).toEqual(["notes/b.txt", "notes/c & d.txt"]);
    expect(em.objects(DEST).filter((o) => o.key.startsWith("notes/"))).toEqual([]);
    const denied = await role.send(new DeleteObjectsCommand({ Bucket: DEST, Delete: { Objects: [{ Key: "x" }] } }));
    expect(denied.Errors?.[0]).toMatchObject({ Key: "x", Code: "AccessDenied" });
  });

  it("CopyObject keeps the source ETag and shares content; keys with spaces, '+' and Japanese", async () => {
    const key = "ConnectionSpec/Standard/version 17.4/Japanese/FLEX 接続仕様書 v1+2.pdf";
    const out = await role.send(new CopyObjectCommand({ Bucket: DEST, Key: key, CopySource: `${SRC}/${enc(key)}`, ACL }));
    expect(out.CopyObjectResult?.ETag).toBe(`"${md5(`${key}:2048`)}"`);
    const info = em.objects(DEST).find((o) => o.key === key);
    expect(info).toMatchObject({ size: 2048, copySource: `${SRC}/${key}`, owner: "461810399597" });
    const srcBytes = await (await role.send(new GetObjectCommand({ Bucket: SRC, Key: key }))).Body?.transformToByteArray();
    const dstBytes = await (await base.send(new GetObjectCommand({ Bucket: DEST, Key: key }))).Body?.transformToByteArray();
    expect(Buffer.from(dstBytes ?? []).equals(Buffer.from(srcBytes ?? []))).toBe(true);
    // A literal '+' in the copy source is a '+' (S3 URL-decodes the header; '+' is not a space).
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: "plus-literal.pdf", CopySource: `${SRC}/${enc(key).replace(/%2B/g, "+")}`, ACL }));
    expect(em.objects(DEST).find((o) => o.key === "plus-literal.pdf")?.copySource).toBe(`${SRC}/${key}`);
  });

  it("CopyObject metadata directive COPY / REPLACE", async () => {
    const key = "2021/05/31/20210531_1_001.pcap.gz";
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: "copy.gz", CopySource: `${SRC}/${key}`, ACL }));
    expect(await base.send(new HeadObjectCommand({ Bucket: DEST, Key: "copy.gz" }))).toMatchObject({ ContentType: "application/gzip", Metadata: { "flex-kind": "pcap" } });
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: "replace.gz", CopySource: `${SRC}/${key}`, ACL, MetadataDirective: "REPLACE", ContentType: "text/x", Metadata: { a: "b" } }));
    expect(await base.send(new HeadObjectCommand({ Bucket: DEST, Key: "replace.gz" }))).toMatchObject({ ContentType: "text/x", Metadata: { a: "b" } });
  });

  it("x-amz-copy-source-if-match mismatch is 412 PreconditionFailed", async () => {
    const key = "2021/05/31/20210531_1_001.pcap.gz";
    const f = await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: "c", CopySource: `${SRC}/${key}`, ACL, CopySourceIfMatch: '"deadbeef"' })));
    expect(f.status).toBe(412);
    expect(f.name).toBe("PreconditionFailed");
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: "c", CopySource: `${SRC}/${key}`, ACL, CopySourceIfMatch: `"${md5(`${key}:100000`)}"` }));
  });

  it("CopyObject of a source over 5 GiB is refused as S3 does", async () => {
    const f = await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: "big", CopySource: `${SRC}/2021/05/31/big.pcap.gz`, ACL })));
    expect(f.status).toBe(400);
    expect(f.name).toBe("InvalidRequest");
    expect(f.message).toBe("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120");
  });

  it("bucket operations: HeadBucket region header, GetBucketLocation, region redirect", async () => {
    const hb = await base.send(new HeadBucketCommand({ Bucket: DEST }));
    expect(hb.BucketRegion).toBe("ap-northeast-1");
    expect((await base.send(new GetBucketLocationCommand({ Bucket: DEST }))).LocationConstraint).toBe("ap-northeast-1");
    em.setFaults({ bucketRegions: { [DEST]: "us-west-2" } });
    try {
      const f = await failure(() => base.send(new HeadObjectCommand({ Bucket: DEST, Key: "copy.gz" })));
      expect(f.status).toBe(301);
      const redirected = s3(em, baseCreds(em), { followRegionRedirects: true });
      expect((await redirected.send(new HeadObjectCommand({ Bucket: DEST, Key: "copy.gz" }))).ContentLength).toBe(100_000);
      expect((await base.send(new GetBucketLocationCommand({ Bucket: DEST }))).LocationConstraint).toBe("us-west-2");
    } finally {
      em.setFaults({ bucketRegions: {} });
    }
  });

  it("anything else is NotImplemented (501) with an XML body", async () => {
    for (const cmd of [new GetBucketVersioningCommand({ Bucket: DEST })]) {
      const f = await failure(() => base.send(cmd));
      expect(f.status).toBe(501);
      expect(f.name).toBe("NotImplemented");
    }
    const f = await failure(() => base.send(new PutObjectTaggingCommand({ Bucket: DEST, Key: "copy.gz", Tagging: { TagSet: [] } })));
    expect(f.status).toBe(501);
    const res = await fetch(`${em.endpoint}/${DEST}?versioning`, { method: "PATCH" });
    expect(res.status).toBe(501);
    expect(await res.text()).toContain("<Code>NotImplemented</Code>");
  });
});
