// Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts.
// Part ETags: UploadPart = md5 of the bytes; UploadPartCopy = md5(`${sourceEtag}:bytes=a-b`) (cheap, stable).
// Completed object ETag = md5(concatenated binary part md5s) + "-N", as S3.
import { checkWriteEncryption } from "../access/encryption.js";
import { randomBytes } from "node:crypto";
import { bytesContent, concatContent, md5hex, multipartEtag, sliceContent } from "../content.js";
import { S3Error, invalidArgument, malformedXml, noSuchUpload } from "../errors.js";
import { sleep } from "../faults.js";
import { header, payload, send, sendXml, type Ctx } from "../http.js";
import { checkAclAccepted, newObjectAcl } from "../access/acl.js";
import { copySource, tooLargeToCopy } from "./copy.js";
import { aclHeader, checkKey, DEFAULT_CONTENT_TYPE, metadataFromHeaders, storageClassHeader } from "./objects.js";
import type { Bucket, ObjRecord, Part, Upload } from "../store.js";
import { FIVE_GIB, MIN_PART_SIZE } from "../types.js";
import { esc, isoTime, ownerXml, parseXml, s3Doc, text } from "../xml.js";

export function createMultipartUpload(ctx: Ctx, b: Bucket, key: string): void {
  checkKey(key);
  const acl = aclHeader(ctx);
  checkAclAccepted(b, acl);
  checkWriteEncryption(ctx, b);
  // The class is named on CreateMultipartUpload and kept by the upload; Complete stores the object in it (S3 API
  // Reference, CreateMultipartUpload: x-amz-storage-class; ListParts / ListMultipartUploads: StorageClass).
  const storageClass = storageClassHeader(ctx);
  const up: Upload = {
    uploadId: randomBytes(48).toString("base64url"),
    bucket: b.name,
    key,
    initiator: ctx.principal.accountId,
    initiatorKind: ctx.principal.kind === "role" ? "role" : "base",
    initiatorArn: ctx.principal.arn,
    contentType: header(ctx, "content-type") ?? DEFAULT_CONTENT_TYPE,
    metadata: metadataFromHeaders(ctx),
    initiated: ctx.st.now(),
    parts: new Map(),
  };
  if (acl !== undefined) up.acl = acl;
  if (storageClass !== undefined) up.storageClass = storageClass;
  b.uploads.set(up.uploadId, up);
  ctx.entry.uploadId = up.uploadId;
  sendXml(ctx, s3Doc("InitiateMultipartUploadResult", `<Bucket>${esc(b.name)}</Bucket><Key>${esc(key)}</Key><UploadId>${up.uploadId}</UploadId>`));
}

function upload(ctx: Ctx, b: Bucket, key: string): Upload {
  const id = ctx.q.get("uploadId") ?? "";
  ctx.entry.uploadId = id;
  const up = b.uploads.get(id);
  if (!up || up.key !== key) throw noSuchUpload(id);
  return up;
}

function partNumber(ctx: Ctx): number {
  const raw = ctx.q.get("partNumber") ?? "";
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 10000) throw invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", raw);
  ctx.entry.partNumber = n;
  return n;
}

export function uploadPart(ctx: Ctx, b: Bucket, key: string): void {
  const n = partNumber(ctx);
  const up = upload(ctx, b, key);
  const data = payload(ctx);
  const etag = md5hex(data);
  up.parts.set(n, { partNumber: n, etag, size: data.length, content: bytesContent(Buffer.from(data)), lastModified: ctx.st.now() });
  send(ctx, 200, undefined, { etag: `"${etag}"` });
}

export async function uploadPartCopy(ctx: Ctx, b: Bucket, key: string): Promise<void> {
  const n = partNumber(ctx);
  const up = upload(ctx, b, key);
  const src = copySource(ctx);
  const size = src.rec.size;
  const rangeHeader = header(ctx, "x-amz-copy-source-range");
  let start = 0;
  let end = size - 1;
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
    if (!m || Number(m[1]) > Number(m[2])) {
      throw invalidArgument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        "x-amz-copy-source-range",
        rangeHeader,
      );
    }
    start = Number(m[1]);
    end = Number(m[2]);
    if (end >= size) throw invalidArgument(`Range specified is not valid for source object of size: ${size}`, "x-amz-copy-source-range", rangeHeader);
  }
  const len = end - start + 1;
  if (len > FIVE_GIB) throw tooLargeToCopy();
  await sleep(ctx.st.faults.copyTime(len));
  const range = `bytes=${start}-${end}`;
  const part: Part = {
    partNumber: n,
    etag: md5hex(`${src.rec.etag}:${range}`),
    size: Math.max(0, len),
    content: sliceContent(src.rec.content, start, Math.max(0, len)),
    lastModified: ctx.st.now(),
    copySource: src.label,
  };
  up.parts.set(n, part);
  sendXml(ctx, s3Doc("CopyPartResult", `<LastModified>${isoTime(part.lastModified)}</LastModified><ETag>&quot;${part.etag}&quot;</ETag>`));
}

export function completeMultipartUpload(ctx: Ctx, b: Bucket, key: string): void {
  const up = upload(ctx, b, key);
  const doc = parseXml(ctx.body)?.CompleteMultipartUpload as Record<string, unknown> | undefined;
  if (!doc || typeof doc !== "object") throw malformedXml();
  const listed = (doc.Part as unknown[] | undefined) ?? [];
  if (listed.length === 0) throw malformedXml();
  const parts: Part[] = [];
  let prev = 0;
  for (const p of listed) {
    const o = p as Record<string, unknown>;
    const num = Number(text(o.PartNumber)?.trim());
    const etag = (text(o.ETag) ?? "").trim().replace(/^"|"$/g, "");
    if (!Number.isInteger(num)) throw malformedXml();
    if (num <= prev) throw new S3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", { UploadId: up.uploadId });
    prev = num;
    const part = up.parts.get(num);
    if (!part || part.etag !== etag) {
      throw new S3Error(400, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", {
        UploadId: up.uploadId,
        PartNumber: String(num),
        ETag: etag,
      });
    }
    parts.push(part);
  }
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i] as Part;
    if (p.size < MIN_PART_SIZE) {
      throw new S3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", {
        ProposedSize: String(p.size),
        MinSizeAllowed: String(MIN_PART_SIZE),
        PartNumber: String(p.partNumber),
        ETag: p.etag,
      });
    }
  }
  const sources = new Set(parts.map((p) => p.copySource));
  const rec: ObjRecord = {
    key,
    size: parts.reduce((n, p) => n + p.size, 0),
    etag: multipartEtag(parts.map((p) => p.etag)),
    content: concatContent(parts.map((p) => p.content)),
    lastModified: up.initiated, // as S3: a multipart object's LastModified is when the upload was initiated
    ...newObjectAcl(b, up.initiator, up.acl),
    metadata: up.metadata,
    partSizes: parts.map((p) => p.size),
  };
  const only = sources.size === 1 ? [...sources][0] : undefined;
  if (only !== undefined) rec.copySource = only;
  if (up.contentType !== undefined) rec.contentType = up.contentType;
  if (up.storageClass !== undefined) rec.storageClass = up.storageClass;
  b.put(rec);
  b.uploads.delete(up.uploadId);
  const location = `http://${ctx.req.headers.host ?? "127.0.0.1"}/${encodeURIComponent(b.name)}/${key.split("/").map(encodeURIComponent).join("/")}`;
  sendXml(ctx, s3Doc("CompleteMultipartUploadResult", `<Location>${esc(location)}</Location><Bucket>${esc(b.name)}</Bucket><Key>${esc(key)}</Key><ETag>&quot;${rec.etag}&quot;</ETag>`));
}

export function abortMultipartUpload(ctx: Ctx, b: Bucket, key: string): void {
  const up = upload(ctx, b, key);
  b.uploads.delete(up.uploadId);
  send(ctx, 204, undefined);
}

export function listParts(ctx: Ctx, b: Bucket, key: string): void {
  const up = upload(ctx, b, key);
  const marker = Number(ctx.q.get("part-number-marker") ?? "0") || 0;
  const max = Math.min(Number(ctx.q.get("max-parts") ?? "1000") || 1000, 1000);
  const all = [...up.parts.values()].filter((p) => p.partNumber > marker).sort((x, y) => x.partNumber - y.partNumber);
  const page = all.slice(0, max);
  const truncated = all.length > page.length;
  const last = page[page.length - 1];
  let inner =
    `<Bucket>${esc(b.name)}</Bucket><Key>${esc(key)}</Key><UploadId>${up.uploadId}</UploadId>` +
    `${ownerXml("Initiator", up.initiator)}${ownerXml("Owner", up.initiator)}<StorageClass>${up.storageClass ?? "STANDARD"}</StorageClass>` +
    `<PartNumberMarker>${marker}</PartNumberMarker>${truncated && last ? `<NextPartNumberMarker>${last.partNumber}</NextPartNumberMarker>` : ""}` +
    `<MaxParts>${max}</MaxParts><IsTruncated>${truncated}</IsTruncated>`;
  for (const p of page) {
    inner += `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${isoTime(p.lastModified)}</LastModified><ETag>&quot;${p.etag}&quot;</ETag><Size>${p.size}</Size></Part>`;
  }
  sendXml(ctx, s3Doc("ListPartsResult", inner));
}
