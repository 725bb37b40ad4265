import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { multipartBucketPolicy } from "../../src/iam/manual.js";
import { assume, baseCreds, failure, GiB, MiB, s3 } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const ACL = "bucket-owner-full-control" as const;
const BIG = "2021/05/31/20210531_9_001.pcap.gz";

function expectedEtag(parts: string[]): string {
  const h = createHash("md5");
  for (const p of parts) h.update(Buffer.from(p.replace(/"/g, ""), "hex"));
  return `"${h.digest("hex")}-${parts.length}"`;
}

// The destination set up as `flexcopy policy --allow-multipart` says (bucket policy + BucketOwnerEnforced):
// under the manual's policy alone the role may not upload parts (see iam.test.ts).
describe("emulator multipart (destination set up for multipart copies)", () => {
  let em: Emulator;
  let role: S3Client;
  let base: S3Client;
  beforeAll(async () => {
    em = await startEmulator({ seed: "none", bucketPolicy: multipartBucketPolicy("${roleArn}", "${bucket}"), objectOwnership: "BucketOwnerEnforced" });
    em.putObject(SRC, BIG, 6 * GiB);
    em.putObject(SRC, "2021/05/31/small.pcap.gz", 6 * MiB);
    role = s3(em, await assume(em));
    base = s3(em, baseCreds(em));
  });
  afterAll(() => em.stop());

  it("copies a 6 GiB virtual object with UploadPartCopy; ETag is md5-of-part-md5s-N", async () => {
    const up = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: BIG, ACL, ContentType: "application/gzip" }));
    const uploadId = up.UploadId ?? "";
    expect(uploadId.length).toBeGreaterThan(20);
    const partSize = 1 * GiB;
    const etags: string[] = [];
    for (let i = 0; i < 6; i++) {
      const out = await role.send(
        new UploadPartCopyCommand({ Bucket: DEST, Key: BIG, UploadId: uploadId, PartNumber: i + 1, CopySource: `${SRC}/${BIG}`, CopySourceRange: `bytes=${i * partSize}-${(i + 1) * partSize - 1}` }),
      );
      etags.push(out.CopyPartResult?.ETag ?? "");
    }
    expect(new Set(etags).size).toBe(6);
    const parts = await role.send(new ListPartsCommand({ Bucket: DEST, Key: BIG, UploadId: uploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual(etags.map((e, i) => [i + 1, partSize, e]));
    const done = await role.send(
      new CompleteMultipartUploadCommand({ Bucket: DEST, Key: BIG, UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    expect(done.ETag).toBe(expectedEtag(etags));
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-6"$/);
    const info = em.objects(DEST).find((o) => o.key === BIG);
    // BucketOwnerEnforced: the bucket owner owns what the provider's role completed.
    expect(info).toMatchObject({ size: 6 * GiB, copySource: `${SRC}/${BIG}`, owner: "123456789012", contentType: "application/gzip" });
    const head = await base.send(new HeadObjectCommand({ Bucket: DEST, Key: BIG }));
    expect(head.ContentLength).toBe(6 * GiB);
    // the copy's bytes are the source's bytes (shared descriptor), across a part boundary
    const range = `bytes=${partSize - 8}-${partSize + 7}`;
    const a = await (await role.send(new GetObjectCommand({ Bucket: SRC, Key: BIG, Range: range }))).Body?.transformToByteArray();
    const b = await (await base.send(new GetObjectCommand({ Bucket: DEST, Key: BIG, Range: range }))).Body?.transformToByteArray();
    expect(Buffer.from(b ?? []).equals(Buffer.from(a ?? []))).toBe(true);
    const log = em.requestLog().filter((e) => e.op === "UploadPartCopy");
    expect(log[0]).toMatchObject({ uploadId, partNumber: 1, copySource: `${SRC}/${BIG}`, principal: "role" });
  });

  it("parts must be >= 5 MiB except the last (EntityTooSmall), ascending (InvalidPartOrder), and known (InvalidPart)", async () => {
    const key = "2021/05/31/small.pcap.gz";
    const { UploadId } = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: key, ACL }));
    const cp = (n: number, range: string) => role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: key, UploadId, PartNumber: n, CopySource: `${SRC}/${key}`, CopySourceRange: range }));
    const p1 = (await cp(1, "bytes=0-1048575")).CopyPartResult?.ETag;
    const p2 = (await cp(2, `bytes=1048576-${6 * MiB - 1}`)).CopyPartResult?.ETag;
    const complete = (parts: { ETag?: string; PartNumber: number }[]) =>
      role.send(new CompleteMultipartUploadCommand({ Bucket: DEST, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    const small = await failure(() => complete([{ ETag: p1, PartNumber: 1 }, { ETag: p2, PartNumber: 2 }]));
    expect(small.name).toBe("EntityTooSmall");
    expect(small.status).toBe(400);
    expect((await failure(() => complete([{ ETag: p2, PartNumber: 2 }, { ETag: p1, PartNumber: 1 }]))).name).toBe("InvalidPartOrder");
    expect((await failure(() => complete([{ ETag: '"0123"', PartNumber: 1 }]))).name).toBe("InvalidPart");
    expect((await failure(() => complete([{ ETag: p1, PartNumber: 3 }]))).name).toBe("InvalidPart");
    const q1 = (await cp(1, `bytes=0-${5 * MiB - 1}`)).CopyPartResult?.ETag;
    const q2 = (await cp(2, `bytes=${5 * MiB}-${6 * MiB - 1}`)).CopyPartResult?.ETag;
    const done = await complete([{ ETag: q1, PartNumber: 1 }, { ETag: q2, PartNumber: 2 }]);
    expect(done.ETag).toBe(expectedEtag([q1 ?? "", q2 ?? ""]));
    // completed: the upload is gone
    expect((await failure(() => complete([{ ETag: q1, PartNumber: 1 }]))).name).toBe("NoSuchUpload");
  });

  it("part numbers 1..10000; range checks; a public ACL is refused (BucketOwnerEnforced)", async () => {
    const key = "x/y.bin";
    const { UploadId } = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: key, ACL }));
    const cp = (n: number, range: string) => role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: key, UploadId, PartNumber: n, CopySource: `${SRC}/${BIG}`, CopySourceRange: range }));
    expect((await failure(() => cp(0, "bytes=0-9"))).name).toBe("InvalidArgument");
    expect((await failure(() => cp(10001, "bytes=0-9"))).name).toBe("InvalidArgument");
    expect((await failure(() => cp(1, `bytes=0-${6 * GiB}`))).name).toBe("InvalidArgument");
    expect((await failure(() => cp(1, "bytes=10-5"))).name).toBe("InvalidArgument");
    const whole = await failure(() => role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: key, UploadId, PartNumber: 1, CopySource: `${SRC}/${BIG}` })));
    expect(whole.message).toContain("larger than the maximum allowable size");
    expect((await failure(() => cp(1, "bytes=0-9").then(() => role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: "other", UploadId, PartNumber: 1, CopySource: `${SRC}/${BIG}`, CopySourceRange: "bytes=0-9" }))))).name).toBe("NoSuchUpload");
    expect((await failure(() => role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: key, ACL: "public-read" })))).name).toBe("AccessControlListNotSupported");
    const listed = await base.send(new ListMultipartUploadsCommand({ Bucket: DEST }));
    expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toContainEqual([key, UploadId]);
    await role.send(new AbortMultipartUploadCommand({ Bucket: DEST, Key: key, UploadId }));
    expect((await failure(() => role.send(new ListPartsCommand({ Bucket: DEST, Key: key, UploadId })))).name).toBe("NoSuchUpload");
  });

  it("ListMultipartUploads pages through several uploads of one key without skipping or repeating", async () => {
    const key = "paging/one-key.bin";
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: key, ACL }))).UploadId!);
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await base.send(new ListMultipartUploadsCommand({ Bucket: DEST, Prefix: "paging/", MaxUploads: 3, KeyMarker, UploadIdMarker }));
      seen.push(...(out.Uploads ?? []).map((u) => u.UploadId!));
      if (!out.IsTruncated) break;
      KeyMarker = out.NextKeyMarker;
      UploadIdMarker = out.NextUploadIdMarker;
    }
    expect(seen).toEqual(ids);
    for (const UploadId of ids) await role.send(new AbortMultipartUploadCommand({ Bucket: DEST, Key: key, UploadId }));
  });

  it("UploadPart with real bytes (base user) round-trips", async () => {
    const key = "uploads/real.bin";
    const { UploadId } = await base.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: key }));
    const p1 = Buffer.alloc(5 * MiB, 7);
    const p2 = Buffer.from("tail bytes");
    const e1 = (await base.send(new UploadPartCommand({ Bucket: DEST, Key: key, UploadId, PartNumber: 1, Body: p1 }))).ETag ?? "";
    const e2 = (await base.send(new UploadPartCommand({ Bucket: DEST, Key: key, UploadId, PartNumber: 2, Body: p2 }))).ETag ?? "";
    expect(e2).toBe(`"${createHash("md5").update(p2).digest("hex")}"`);
    const done = await base.send(new CompleteMultipartUploadCommand({ Bucket: DEST, Key: key, UploadId, MultipartUpload: { Parts: [{ ETag: e1, PartNumber: 1 }, { ETag: e2, PartNumber: 2 }] } }));
    expect(done.ETag).toBe(expectedEtag([e1, e2]));
    const tail = await base.send(new GetObjectCommand({ Bucket: DEST, Key: key, Range: `bytes=${5 * MiB - 2}-` }));
    expect(Buffer.from((await tail.Body?.transformToByteArray()) ?? []).equals(Buffer.concat([Buffer.from([7, 7]), p2]))).toBe(true);
    const part2 = await base.send(new HeadObjectCommand({ Bucket: DEST, Key: key, PartNumber: 2 }));
    expect(part2.PartsCount).toBe(2);
    expect(part2.ContentLength).toBe(p2.length);
  });
});
