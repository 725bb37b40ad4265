// CopyObject, and the copy-source handling shared with UploadPartCopy. Copies share the source's content
// descriptor (no bytes are copied) and record their source; a CopyObject keeps the source ETag.
import { checkWriteEncryption, wholeObjectEtag } from "../access/encryption.js";
import { sleep } from "../faults.js";
import { S3Error, accessDenied, invalidArgument, invalidObjectState, noSuchBucket, noSuchKey, preconditionFailed, invalidRequest } from "../errors.js";
import { header, sendXml, type Ctx } from "../http.js";
import { authorize, checkObjectAcl } from "../access/authorize.js";
import { checkAclAccepted, newObjectAcl } from "../access/acl.js";
import { aclHeader, checkKey, DEFAULT_CONTENT_TYPE, metadataFromHeaders, storageClassHeader } from "./objects.js";
import { ARCHIVED_CLASSES, lastModifiedIso, type Bucket, type ObjRecord } from "../store.js";
import { FIVE_GIB } from "../types.js";
import { s3Doc } from "../xml.js";

export interface CopySource {
  bucket: Bucket;
  key: string;
  rec: ObjRecord;
  label: string; // "bucket/key"
}

/** Header values arrive latin1-decoded; re-read raw UTF-8 (unencoded Japanese) as UTF-8. */
function utf8Header(v: string): string {
  for (let i = 0; i < v.length; i++) {
    if (v.charCodeAt(i) > 0x7f) return Buffer.from(v, "latin1").toString("utf8");
  }
  return v;
}

/**
 * Parse x-amz-copy-source ("/bucket/key" or "bucket/key", URL-encoded; S3 URL-decodes it, so "%2B" and a
 * literal "+" both mean "+", and "%20" is a space), check read permission and the copy-source-if-* conditions.
 */
export function copySource(ctx: Ctx): CopySource {
  const raw = utf8Header(header(ctx, "x-amz-copy-source") ?? "");
  let s = raw.startsWith("/") ? raw.slice(1) : raw;
  const q = s.indexOf("?");
  if (q >= 0) s = s.slice(0, q); // ?versionId=... (unversioned buckets: ignored)
  let decoded: string;
  try {
    decoded = decodeURIComponent(s);
  } catch {
    throw invalidArgument("Invalid copy source encoding", "x-amz-copy-source", raw);
  }
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) {
    throw invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", raw);
  }
  const bucketName = decoded.slice(0, slash);
  const key = decoded.slice(slash + 1);
  const bucket = ctx.st.buckets.get(bucketName);
  ctx.entry.copySource = `${bucketName}/${key}`;
  if (!bucket) throw noSuchBucket(bucketName);
  const expectedOwner = header(ctx, "x-amz-source-expected-bucket-owner");
  if (expectedOwner !== undefined && expectedOwner !== bucket.owner) throw accessDenied();
  const rec = bucket.get(key);
  // The copy source needs s3:GetObject (S3 API reference, CopyObject and UploadPartCopy permissions).
  authorize(ctx, "GetObject", bucket, key);
  checkObjectAcl(ctx, bucket, rec, "GetObject"); // reading the source needs READ
  if (!rec) throw noSuchKey(key);
  // An archived source (GLACIER, DEEP_ARCHIVE) cannot be copied until restored; GLACIER_IR can.
  if (rec.storageClass !== undefined && ARCHIVED_CLASSES.has(rec.storageClass)) throw invalidObjectState(rec.storageClass);
  const unq = (e: string): string => e.trim().replace(/^"|"$/g, "");
  const im = header(ctx, "x-amz-copy-source-if-match");
  if (im !== undefined && !im.split(",").some((e) => unq(e) === rec.etag || unq(e) === "*")) throw preconditionFailed("x-amz-copy-source-If-Match");
  const inm = header(ctx, "x-amz-copy-source-if-none-match");
  if (inm !== undefined && inm.split(",").some((e) => unq(e) === rec.etag || unq(e) === "*")) throw preconditionFailed("x-amz-copy-source-If-None-Match");
  const ius = header(ctx, "x-amz-copy-source-if-unmodified-since");
  if (ius !== undefined && Math.floor(rec.lastModified / 1000) * 1000 > Date.parse(ius)) throw preconditionFailed("x-amz-copy-source-If-Unmodified-Since");
  const ims = header(ctx, "x-amz-copy-source-if-modified-since");
  if (ims !== undefined && Math.floor(rec.lastModified / 1000) * 1000 <= Date.parse(ims)) throw preconditionFailed("x-amz-copy-source-If-Modified-Since");
  return { bucket, key, rec, label: `${bucketName}/${key}` };
}

export const tooLargeToCopy = (): S3Error =>
  invalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${FIVE_GIB}`);

export async function copyObject(ctx: Ctx, b: Bucket, key: string): Promise<void> {
  checkKey(key);
  const acl = aclHeader(ctx);
  checkAclAccepted(b, acl);
  const storageClass = storageClassHeader(ctx);
  const src = copySource(ctx);
  const encryption = checkWriteEncryption(ctx, b); // KMS is asked for a data key after IAM allowed both sides
  if (src.rec.size > FIVE_GIB) throw tooLargeToCopy();
  const directive = (header(ctx, "x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") throw invalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", directive);
  if (src.bucket === b && src.key === key && directive === "COPY" && header(ctx, "x-amz-storage-class") === undefined) {
    throw invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  await sleep(ctx.st.faults.copyTime(src.rec.size));
  const rec: ObjRecord = {
    key,
    size: src.rec.size,
    etag: wholeObjectEtag(encryption, src.rec.etag),
    content: src.rec.content,
    lastModified: ctx.st.now(),
    ...newObjectAcl(b, ctx.principal.accountId, acl),
    copySource: src.label,
    metadata: directive === "REPLACE" ? metadataFromHeaders(ctx) : { ...src.rec.metadata },
  };
  const ct = directive === "REPLACE" ? (header(ctx, "content-type") ?? DEFAULT_CONTENT_TYPE) : src.rec.contentType;
  if (ct !== undefined) rec.contentType = ct;
  if (src.rec.partSizes) rec.partSizes = src.rec.partSizes;
  // The copy is stored in the class the request names, else STANDARD: CopyObject does not keep the source's
  // class (S3 API Reference, CopyObject: "x-amz-storage-class ... the default is STANDARD"; S3 User Guide, "Copying
  // objects": a copy may change the storage class). Its ETag is the source's whatever the class.
  if (storageClass !== undefined) rec.storageClass = storageClass;
  b.put(rec);
  sendXml(ctx, s3Doc("CopyObjectResult", `<LastModified>${lastModifiedIso(rec)}</LastModified><ETag>&quot;${rec.etag}&quot;</ETag>`));
}
