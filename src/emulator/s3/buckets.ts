// Bucket-level S3 operations: ListBuckets, HeadBucket, GetBucketLocation, ListObjects(V2), ListMultipartUploads.
import { invalidArgument } from "../errors.js";
import { send, sendXml, type Ctx } from "../http.js";
import { lastModifiedIso, type Bucket, type ObjRecord } from "../store.js";
import { el, esc, isoTime, ownerXml, s3Doc } from "../xml.js";

export function listBuckets(ctx: Ctx): void {
  const acct = ctx.principal.accountId;
  let inner = "";
  for (const b of ctx.st.buckets.values()) {
    if (b.owner !== acct) continue;
    const region = ctx.st.faults.regionOf(b.name, ctx.st.cfg.region);
    inner += `<Bucket><Name>${esc(b.name)}</Name><CreationDate>${isoTime(b.created)}</CreationDate><BucketRegion>${region}</BucketRegion></Bucket>`;
  }
  sendXml(ctx, s3Doc("ListAllMyBucketsResult", `${ownerXml("Owner", acct)}<Buckets>${inner}</Buckets>`));
}

export function headBucket(ctx: Ctx, b: Bucket): void {
  send(ctx, 200, undefined, { "x-amz-bucket-region": ctx.st.faults.regionOf(b.name, ctx.st.cfg.region), "x-amz-access-point-alias": "false" });
}

export function getBucketLocation(ctx: Ctx, b: Bucket): void {
  const region = ctx.st.faults.regionOf(b.name, ctx.st.cfg.region);
  sendXml(ctx, s3Doc("LocationConstraint", region === "us-east-1" ? "" : esc(region)));
}

interface Page {
  contents: ObjRecord[];
  prefixes: string[];
  truncated: boolean;
  last?: string;
}

/**
 * One page of a listing: binary search to the start, then walk; each common prefix is skipped with
 * another binary search, so the cost is O(log n + page). `skip` (a previous page's last common prefix)
 * is not returned again.
 */
export function listPage(b: Bucket, prefix: string, delimiter: string, maxKeys: number, after?: string, skip?: string): Page {
  const page: Page = { contents: [], prefixes: [], truncated: false };
  if (maxKeys <= 0) return page; // max-keys=0: an empty, untruncated page
  let i = b.lowerBound(prefix);
  if (after !== undefined) i = Math.max(i, b.upperBound(after));
  let n = 0;
  for (;;) {
    const k = b.keyAt(i);
    if (k === undefined || !k.startsWith(prefix)) break;
    if (delimiter) {
      const d = k.indexOf(delimiter, prefix.length);
      if (d >= 0) {
        const cp = k.slice(0, d + delimiter.length);
        if (cp !== skip) {
          if (n >= maxKeys) {
            page.truncated = true;
            break;
          }
          page.prefixes.push(cp);
          page.last = cp;
          n++;
        }
        i = b.endOfPrefix(i, cp);
        continue;
      }
    }
    if (n >= maxKeys) {
      page.truncated = true;
      break;
    }
    const rec = b.get(k);
    if (rec) page.contents.push(rec);
    page.last = k;
    n++;
    i++;
  }
  return page;
}

function maxKeysParam(ctx: Ctx, name: string): number {
  const raw = ctx.q.get(name);
  if (raw === undefined) return 1000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw invalidArgument("Provided max-keys not an integer or within integer range", name, raw);
  return Math.min(n, 1000);
}

function encoder(ctx: Ctx): (s: string) => string {
  const enc = ctx.q.get("encoding-type");
  if (enc === undefined) return esc;
  if (enc !== "url") throw invalidArgument("Invalid Encoding Method specified in Request", "encoding-type", enc);
  return (s) => encodeURIComponent(s).replace(/%2F/g, "/");
}

function contentsXml(r: ObjRecord, enc: (s: string) => string, owner: boolean): string {
  return (
    `<Contents><Key>${enc(r.key)}</Key><LastModified>${lastModifiedIso(r)}</LastModified><ETag>&quot;${r.etag}&quot;</ETag>` +
    `<Size>${r.size}</Size>${owner ? ownerXml("Owner", r.owner) : ""}<StorageClass>${r.storageClass ?? "STANDARD"}</StorageClass></Contents>`
  );
}

const tokenOf = (last: string): string => Buffer.from(`1:${last}`, "utf8").toString("base64");

function fromToken(t: string): string {
  const s = Buffer.from(t, "base64").toString("utf8");
  if (!s.startsWith("1:")) throw invalidArgument("The continuation token provided is incorrect", "continuation-token", t);
  return s.slice(2);
}

export function listObjectsV2(ctx: Ctx, b: Bucket): void {
  const prefix = ctx.q.get("prefix") ?? "";
  const delimiter = ctx.q.get("delimiter") ?? "";
  const maxKeys = maxKeysParam(ctx, "max-keys");
  const token = ctx.q.get("continuation-token");
  const startAfter = ctx.q.get("start-after");
  const enc = encoder(ctx);
  const resume = token !== undefined ? fromToken(token) : undefined;
  const page = listPage(b, prefix, delimiter, maxKeys, resume ?? startAfter, resume);
  const fetchOwner = ctx.q.get("fetch-owner") === "true";
  let inner =
    `<Name>${esc(b.name)}</Name><Prefix>${enc(prefix)}</Prefix>` +
    (delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : "") +
    `<MaxKeys>${maxKeys}</MaxKeys>` +
    (ctx.q.has("encoding-type") ? "<EncodingType>url</EncodingType>" : "") +
    `<KeyCount>${page.contents.length + page.prefixes.length}</KeyCount><IsTruncated>${page.truncated}</IsTruncated>` +
    (token !== undefined ? el("ContinuationToken", token) : "") +
    (page.truncated && page.last !== undefined ? el("NextContinuationToken", tokenOf(page.last)) : "") +
    (startAfter !== undefined ? `<StartAfter>${enc(startAfter)}</StartAfter>` : "");
  for (const r of page.contents) inner += contentsXml(r, enc, fetchOwner);
  for (const p of page.prefixes) inner += `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`;
  sendXml(ctx, s3Doc("ListBucketResult", inner));
}

export function listObjectsV1(ctx: Ctx, b: Bucket): void {
  const prefix = ctx.q.get("prefix") ?? "";
  const delimiter = ctx.q.get("delimiter") ?? "";
  const maxKeys = maxKeysParam(ctx, "max-keys");
  const marker = ctx.q.get("marker") ?? "";
  const enc = encoder(ctx);
  const page = listPage(b, prefix, delimiter, maxKeys, marker || undefined, marker || undefined);
  let inner =
    `<Name>${esc(b.name)}</Name><Prefix>${enc(prefix)}</Prefix><Marker>${enc(marker)}</Marker><MaxKeys>${maxKeys}</MaxKeys>` +
    (delimiter ? `<Delimiter>${enc(delimiter)}</Delimiter>` : "") +
    (ctx.q.has("encoding-type") ? "<EncodingType>url</EncodingType>" : "") +
    `<IsTruncated>${page.truncated}</IsTruncated>` +
    (page.truncated && page.last !== undefined ? `<NextMarker>${enc(page.last)}</NextMarker>` : "");
  for (const r of page.contents) inner += contentsXml(r, enc, true);
  for (const p of page.prefixes) inner += `<CommonPrefixes><Prefix>${enc(p)}</Prefix></CommonPrefixes>`;
  sendXml(ctx, s3Doc("ListBucketResult", inner));
}

export function listMultipartUploads(ctx: Ctx, b: Bucket): void {
  const prefix = ctx.q.get("prefix") ?? "";
  const keyMarker = ctx.q.get("key-marker") ?? "";
  const idMarker = ctx.q.get("upload-id-marker") ?? "";
  const max = maxKeysParam(ctx, "max-uploads");
  const sorted = [...b.uploads.values()]
    .filter((u) => u.key.startsWith(prefix))
    .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.initiated - y.initiated));
  // One key's uploads are ordered by initiation time, so the upload-id marker is a position in
  // that order (after the marked upload), not a string comparison of ids.
  const at = idMarker ? sorted.findIndex((u) => u.key === keyMarker && u.uploadId === idMarker) : -1;
  const ups = at >= 0 ? sorted.slice(at + 1) : sorted.filter((u) => !keyMarker || u.key > keyMarker);
  const page = ups.slice(0, max);
  const truncated = ups.length > page.length;
  const lastUp = page[page.length - 1];
  let inner =
    `<Bucket>${esc(b.name)}</Bucket><KeyMarker>${esc(keyMarker)}</KeyMarker><UploadIdMarker>${esc(idMarker)}</UploadIdMarker>` +
    (truncated && lastUp ? `<NextKeyMarker>${esc(lastUp.key)}</NextKeyMarker><NextUploadIdMarker>${lastUp.uploadId}</NextUploadIdMarker>` : "") +
    `<Prefix>${esc(prefix)}</Prefix><MaxUploads>${max}</MaxUploads><IsTruncated>${truncated}</IsTruncated>`;
  for (const u of page) {
    inner +=
      `<Upload><Key>${esc(u.key)}</Key><UploadId>${u.uploadId}</UploadId>${ownerXml("Initiator", u.initiator)}${ownerXml("Owner", u.initiator)}` +
      `<StorageClass>${u.storageClass ?? "STANDARD"}</StorageClass><Initiated>${isoTime(u.initiated)}</Initiated></Upload>`;
  }
  sendXml(ctx, s3Doc("ListMultipartUploadsResult", inner));
}
