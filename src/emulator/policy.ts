// Who may do what (the manual's setup):
//  - base user (customer account): STS; owner of the destination buckets (full access there); nothing on the source.
//  - assumed role (provider account): list the source bucket; read source objects within contractedPeriods;
//    on a destination bucket exactly the bucket policy: s3:ListBucket, and s3:PutObject / s3:PutObjectAcl only
//    with x-amz-acl: bucket-owner-full-control (parts/complete/abort/list-parts of uploads it created).
import { accessDenied } from "./errors.js";
import type { Bucket, ObjRecord, Upload } from "./store.js";
import type { Grant, Principal } from "./types.js";

export const REQUIRED_ACL = "bucket-owner-full-control";

export interface PolicyConfig {
  sourceBucket: string;
  bucketPolicy: boolean;
  entitled: (key: string) => boolean;
}

const DATE_ENTRY = /^(\d{4})(?:\/(\d{1,2})(?:\/(\d{1,2}))?)?$/;
const KEY_DATE = /^(?:testdata\/)?(\d{4})\/(\d{1,2})\/(\d{1,2})(?:\/|$)/;

const pad = (s: string): string => (s.length === 1 ? `0${s}` : s);

function normDate(e: string): string | undefined {
  const m = DATE_ENTRY.exec(e.replace(/\/+$/, ""));
  if (!m) return undefined;
  return [m[1], m[2], m[3]].filter((x): x is string => x !== undefined).map(pad).join("/");
}

/** "2021/05/31" of a key whose path starts with a date (optionally after "testdata/"). */
export function keyDate(key: string): string | undefined {
  const m = KEY_DATE.exec(key);
  return m ? `${m[1]}/${pad(m[2] as string)}/${pad(m[3] as string)}` : undefined;
}

/**
 * Build the entitlement test for contractedPeriods: "2021", "2021/05", "2021/05/31", ranges
 * "2021/05/10..2021/06/03" (inclusive, either end may be a year or month), or plain key prefixes
 * ("testdata", "ConnectionSpec"). undefined = everything.
 */
export function contractMatcher(periods: string[] | undefined): (key: string) => boolean {
  if (periods === undefined) return () => true;
  const dateTests: ((d: string) => boolean)[] = [];
  const prefixes: string[] = [];
  for (const raw of periods) {
    const e = raw.trim();
    if (!e) continue;
    const range = e.split("..");
    if (range.length === 2) {
      const lo = normDate(range[0] as string);
      const hi = normDate(range[1] as string);
      if (lo !== undefined && hi !== undefined) {
        const loFull = lo.length === 4 ? `${lo}/01/01` : lo.length === 7 ? `${lo}/01` : lo;
        dateTests.push((d) => d >= loFull && d.slice(0, hi.length) <= hi);
        continue;
      }
    }
    const d = normDate(e);
    if (d !== undefined) dateTests.push((x) => x === d || x.startsWith(`${d}/`));
    else prefixes.push(e);
  }
  return (key) => {
    const d = keyDate(key);
    if (d !== undefined && dateTests.some((t) => t(d))) return true;
    return prefixes.some((p) => key.startsWith(p));
  };
}

const isDest = (cfg: PolicyConfig, bucket: Bucket): boolean => bucket.name !== cfg.sourceBucket;

/** s3:ListBucket (ListObjects, ListObjectsV2, HeadBucket). */
export function checkList(cfg: PolicyConfig, p: Principal, bucket: Bucket): void {
  if (p.kind === "anonymous") throw accessDenied();
  if (p.accountId === bucket.owner) return;
  if (p.kind === "role" && isDest(cfg, bucket) && cfg.bucketPolicy) return;
  throw accessDenied();
}

/** Bucket-owner-only operations (GetBucketLocation, ListMultipartUploads). */
export function checkOwner(p: Principal, bucket: Bucket): void {
  if (p.kind === "anonymous" || p.accountId !== bucket.owner) throw accessDenied();
}

/** s3:GetObject / HeadObject / GetObjectAcl / copy source. */
export function checkRead(cfg: PolicyConfig, p: Principal, bucket: Bucket, key: string, rec?: ObjRecord): void {
  if (p.kind === "anonymous") throw accessDenied();
  if (!isDest(cfg, bucket)) {
    if (p.kind === "role" && cfg.entitled(key)) return;
    throw accessDenied();
  }
  if (p.kind !== "base" || p.accountId !== bucket.owner) throw accessDenied();
  // The bucket owner reads objects it owns or that grant it access (bucket-owner-full-control).
  if (rec && rec.owner !== p.accountId && !rec.grants.some((g) => g.grantee === p.accountId)) throw accessDenied();
}

/** s3:PutObject / PutObjectAcl (PutObject, CopyObject destination, CreateMultipartUpload). */
export function checkWrite(cfg: PolicyConfig, p: Principal, bucket: Bucket, acl: string | undefined): void {
  if (p.kind === "anonymous" || !isDest(cfg, bucket)) throw accessDenied();
  if (p.accountId === bucket.owner) return;
  if (p.kind === "role" && cfg.bucketPolicy && acl === REQUIRED_ACL) return;
  throw accessDenied();
}

/** DeleteObject: only the destination bucket's owner. */
export function checkDelete(cfg: PolicyConfig, p: Principal, bucket: Bucket): void {
  if (p.kind === "anonymous" || !isDest(cfg, bucket) || p.accountId !== bucket.owner) throw accessDenied();
}

/** UploadPart / UploadPartCopy / Complete / Abort / ListParts: the bucket owner or the upload's initiator. */
export function checkUpload(cfg: PolicyConfig, p: Principal, bucket: Bucket, up: Upload): void {
  if (p.kind === "anonymous") throw accessDenied();
  if (p.accountId === bucket.owner && p.kind === "base") return;
  if (p.kind === "role" && up.initiatorKind === "role" && cfg.bucketPolicy) return;
  throw accessDenied();
}

export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
export const AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
export const CANNED_ACLS = new Set(["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"]);

/** Grants a canned ACL gives (owner always has FULL_CONTROL). */
export function grantsFor(acl: string | undefined, owner: string, bucketOwner: string): Grant[] {
  const g: Grant[] = [{ grantee: owner, permission: "FULL_CONTROL" }];
  switch (acl) {
    case "bucket-owner-full-control":
      if (bucketOwner !== owner) g.push({ grantee: bucketOwner, permission: "FULL_CONTROL" });
      break;
    case "bucket-owner-read":
      if (bucketOwner !== owner) g.push({ grantee: bucketOwner, permission: "READ" });
      break;
    case "public-read":
      g.push({ grantee: ALL_USERS, permission: "READ" });
      break;
    case "public-read-write":
      g.push({ grantee: ALL_USERS, permission: "READ" }, { grantee: ALL_USERS, permission: "WRITE" });
      break;
    case "authenticated-read":
      g.push({ grantee: AUTH_USERS, permission: "READ" });
      break;
  }
  return g;
}
