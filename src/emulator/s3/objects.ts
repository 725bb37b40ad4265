// Object-level S3 operations: HeadObject, GetObject, PutObject, DeleteObject(s), Get/PutObjectAcl, GetObjectTagging.
import { checkWriteEncryption, wholeObjectEtag } from "../access/encryption.js";
import type { OutgoingHttpHeaders } from "node:http";
import { bytesContent, md5hex, readContent } from "../content.js";
import { accessDenied, invalidArgument, invalidObjectState, malformedXml, noSuchKey, notImplemented, preconditionFailed, S3Error } from "../errors.js";
import { header, payload, send, sendStream, sendXml, type Ctx } from "../http.js";
import { decide, checkObjectAcl } from "../access/authorize.js";
import { ALL_USERS, AUTH_USERS, CANNED_ACLS, aclNotSupported, checkAclAccepted, grantsFor, newObjectAcl } from "../access/acl.js";
import { checkPublicAcl } from "../access/public-policy.js";
import { ARCHIVED_CLASSES, STORAGE_CLASSES, type Bucket, type ObjRecord } from "../store.js";
import { esc, ownerXml, parseXml, s3Doc, text } from "../xml.js";

export const DEFAULT_CONTENT_TYPE = "binary/octet-stream";

/** x-amz-meta-* request headers (names lower-cased, as S3 stores them). */
export function metadataFromHeaders(ctx: Ctx): Record<string, string> {
  const m: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (k.startsWith("x-amz-meta-") && v !== undefined) m[k.slice(11)] = Array.isArray(v) ? v.join(",") : v;
  }
  return m;
}

/** The x-amz-acl header, validated. */
export function aclHeader(ctx: Ctx): string | undefined {
  const acl = header(ctx, "x-amz-acl");
  if (acl !== undefined && !CANNED_ACLS.has(acl)) throw new S3Error(400, "InvalidArgument", "", { ArgumentName: "x-amz-acl", ArgumentValue: acl });
  return acl;
}

/**
 * The x-amz-storage-class header of a write that takes it (PutObject, CopyObject, CreateMultipartUpload: S3 API
 * Reference, "x-amz-storage-class ... By default, Amazon S3 uses the STANDARD Storage Class to store newly created
 * objects"), validated: an unknown class is 400 InvalidStorageClass ("The storage class you specified is not
 * valid", S3 API Reference, Error responses). Undefined: STANDARD, which the records leave unset.
 */
export function storageClassHeader(ctx: Ctx): string | undefined {
  const sc = header(ctx, "x-amz-storage-class");
  if (sc === undefined) return undefined;
  if (!(STORAGE_CLASSES as readonly string[]).includes(sc)) {
    throw new S3Error(400, "InvalidStorageClass", "The storage class you specified is not valid", { StorageClassRequested: sc });
  }
  return sc === "STANDARD" ? undefined : sc;
}

export function checkKey(key: string): void {
  if (Buffer.byteLength(key) > 1024) throw new S3Error(400, "KeyTooLongError", "Your key is too long", { MaxSizeAllowed: "1024" });
}

function objectHeaders(r: ObjRecord): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {
    etag: `"${r.etag}"`,
    "last-modified": new Date(r.lastModified).toUTCString(),
    "content-type": r.contentType ?? DEFAULT_CONTENT_TYPE,
    "accept-ranges": "bytes",
  };
  for (const [k, v] of Object.entries(r.metadata)) h[`x-amz-meta-${k}`] = v;
  // S3 returns x-amz-storage-class on HEAD/GET for every class but STANDARD.
  if (r.storageClass !== undefined) h["x-amz-storage-class"] = r.storageClass;
  return h;
}

/** GetObject query parameters that override response headers (used by presigned downloads). */
const RESPONSE_OVERRIDES: [string, string][] = [
  ["response-content-type", "content-type"],
  ["response-content-disposition", "content-disposition"],
  ["response-content-encoding", "content-encoding"],
  ["response-content-language", "content-language"],
  ["response-cache-control", "cache-control"],
  ["response-expires", "expires"],
];

const unquote = (s: string): string => s.trim().replace(/^"|"$/g, "");

/** If-Match / If-None-Match / If-(Un)Modified-Since on GET/HEAD: 412 or 304. */
function conditions(ctx: Ctx, r: ObjRecord): number | undefined {
  const ifMatch = header(ctx, "if-match");
  if (ifMatch !== undefined && !ifMatch.split(",").some((e) => unquote(e) === "*" || unquote(e) === r.etag)) return 412;
  const ius = header(ctx, "if-unmodified-since");
  if (ifMatch === undefined && ius !== undefined && Math.floor(r.lastModified / 1000) * 1000 > Date.parse(ius)) return 412;
  const ifNone = header(ctx, "if-none-match");
  if (ifNone !== undefined && ifNone.split(",").some((e) => unquote(e) === "*" || unquote(e) === r.etag)) return 304;
  const ims = header(ctx, "if-modified-since");
  if (ifNone === undefined && ims !== undefined && Math.floor(r.lastModified / 1000) * 1000 <= Date.parse(ims)) return 304;
  return undefined;
}

/** Parse a Range header: [start, endInclusive] | undefined (whole object) | "invalid" (416). */
function parseRange(h: string | undefined, size: number): [number, number] | undefined | "invalid" {
  if (h === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // malformed ranges are ignored, as S3 does
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "invalid";
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return "invalid";
  if (end < start) return undefined;
  return [start, end];
}

export async function getObject(ctx: Ctx, b: Bucket, key: string): Promise<void> {
  const rec = b.get(key);
  checkObjectAcl(ctx, b, rec, ctx.method === "HEAD" ? "HeadObject" : "GetObject");
  if (!rec) throw noSuchKey(key);
  // GET of an archived object before a restore: InvalidObjectState (HEAD still answers, with its class).
  if (ctx.method !== "HEAD" && rec.storageClass !== undefined && ARCHIVED_CLASSES.has(rec.storageClass)) throw invalidObjectState(rec.storageClass);
  const cond = conditions(ctx, rec);
  if (cond === 412) throw preconditionFailed(header(ctx, "if-match") !== undefined ? "If-Match" : "If-Unmodified-Since");
  const h = objectHeaders(rec);
  if (cond === 304) return send(ctx, 304, undefined, { etag: h.etag, "last-modified": h["last-modified"] });
  let start = 0;
  let end = rec.size - 1;
  let status = 200;
  const pn = ctx.q.get("partNumber");
  if (pn !== undefined) {
    const n = Number(pn);
    if (!Number.isInteger(n) || n < 1 || n > 10000) throw invalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", pn);
    const sizes = rec.partSizes ?? [rec.size];
    if (n > sizes.length) throw new S3Error(416, "InvalidPartNumber", "The requested partnumber is not satisfiable", { PartNumberRequested: pn, ActualPartCount: String(sizes.length) });
    for (let i = 0; i < n - 1; i++) start += sizes[i] ?? 0;
    end = start + (sizes[n - 1] ?? 0) - 1;
    if (rec.partSizes) h["x-amz-mp-parts-count"] = String(sizes.length);
    status = 206;
  } else {
    const range = parseRange(header(ctx, "range"), rec.size);
    if (range === "invalid") {
      throw new S3Error(416, "InvalidRange", "The requested range is not satisfiable", { RangeRequested: header(ctx, "range") ?? "", ActualObjectSize: String(rec.size) }, { "content-range": `bytes */${rec.size}` });
    }
    if (range) {
      [start, end] = range;
      status = 206;
    }
  }
  if (status === 206) h["content-range"] = `bytes ${start}-${end}/${rec.size}`;
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const v = ctx.q.get(param);
    if (v !== undefined) h[name] = v;
  }
  h["content-length"] = Math.max(0, end - start + 1);
  if (ctx.method === "HEAD") return send(ctx, status, undefined, h);
  await sendStream(ctx, status, h, readContent(rec.content, start, end + 1));
}

export function putObject(ctx: Ctx, b: Bucket, key: string): void {
  checkKey(key);
  const acl = aclHeader(ctx);
  checkAclAccepted(b, acl);
  const encryption = checkWriteEncryption(ctx, b);
  const storageClass = storageClassHeader(ctx);
  const data = payload(ctx);
  const md5 = header(ctx, "content-md5");
  if (md5 !== undefined && Buffer.from(md5, "base64").toString("hex") !== md5hex(data)) {
    throw new S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.", { ExpectedDigest: md5 });
  }
  const etag = wholeObjectEtag(encryption, md5hex(data));
  const rec: ObjRecord = {
    key,
    size: data.length,
    etag,
    content: bytesContent(Buffer.from(data)),
    lastModified: ctx.st.now(),
    ...newObjectAcl(b, ctx.principal.accountId, acl),
    contentType: header(ctx, "content-type") ?? DEFAULT_CONTENT_TYPE,
    metadata: metadataFromHeaders(ctx),
  };
  if (storageClass !== undefined) rec.storageClass = storageClass;
  b.put(rec);
  send(ctx, 200, undefined, { etag: `"${etag}"` });
}

export function deleteObject(ctx: Ctx, b: Bucket, key: string): void {
  b.delete(key);
  send(ctx, 204, undefined);
}

export function deleteObjects(ctx: Ctx, b: Bucket): void {
  const doc = parseXml(ctx.body);
  const del = doc?.Delete as Record<string, unknown> | undefined;
  if (!del || typeof del !== "object") throw malformedXml();
  const objs = (del.Object as unknown[] | undefined) ?? [];
  if (objs.length === 0 || objs.length > 1000) throw malformedXml();
  const quiet = text(del.Quiet)?.trim() === "true";
  let inner = "";
  for (const o of objs) {
    const key = text((o as Record<string, unknown>).Key);
    if (key === undefined) throw malformedXml();
    try {
      // DeleteObjects is authorised per key as s3:DeleteObject (S3 API reference, DeleteObjects).
      const d = decide(ctx, "DeleteObjects", b, key);
      if (!d.allowed) throw accessDenied();
      b.delete(key);
      if (!quiet) inner += `<Deleted><Key>${esc(key)}</Key></Deleted>`;
    } catch (e) {
      const err = e instanceof S3Error ? e : accessDenied();
      inner += `<Error><Key>${esc(key)}</Key><Code>${err.code}</Code><Message>${esc(err.message)}</Message></Error>`;
    }
  }
  sendXml(ctx, s3Doc("DeleteResult", inner));
}

function granteeXml(g: string): string {
  if (g === ALL_USERS || g === AUTH_USERS) {
    return `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>${g}</URI></Grantee>`;
  }
  return `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${ownerXml("X", g).slice(3, -4)}</Grantee>`;
}

export function getObjectAcl(ctx: Ctx, b: Bucket, key: string): void {
  const rec = b.get(key);
  checkObjectAcl(ctx, b, rec, "GetObjectAcl");
  if (!rec) throw noSuchKey(key);
  let grants = "";
  for (const g of rec.grants) grants += `<Grant>${granteeXml(g.grantee)}<Permission>${g.permission}</Permission></Grant>`;
  sendXml(ctx, s3Doc("AccessControlPolicy", `${ownerXml("Owner", rec.owner)}<AccessControlList>${grants}</AccessControlList>`));
}

export function putObjectAcl(ctx: Ctx, b: Bucket, key: string): void {
  const acl = aclHeader(ctx);
  if (b.ownership === "BucketOwnerEnforced") throw aclNotSupported();
  if (acl === undefined) throw notImplemented("AccessControlPolicy body (only the x-amz-acl header is supported)");
  checkPublicAcl(b.publicAccessBlock, acl);
  const rec = b.get(key);
  // Changing another account's object's ACL needs WRITE_ACP from its ACL (authorize.ts, objectAclAllows).
  checkObjectAcl(ctx, b, rec, "PutObjectAcl");
  if (!rec) throw noSuchKey(key);
  rec.grants = grantsFor(acl, rec.owner, b.owner);
  send(ctx, 200, undefined);
}

export function getObjectTagging(ctx: Ctx, b: Bucket, key: string): void {
  const rec = b.get(key);
  checkObjectAcl(ctx, b, rec, "GetObjectTagging");
  if (!rec) throw noSuchKey(key);
  sendXml(ctx, s3Doc("Tagging", "<TagSet></TagSet>"));
}
