// Buckets, objects and multipart uploads. Keys are kept in a sorted array (S3 order: UTF-8 binary,
// i.e. code point order) so that listing a prefix is a binary search plus the page.
import type { Encryption } from "./access/encryption.js";
import type { Content } from "./content.js";
import type { Policy } from "../iam/document.js";
import type { Grant, ObjectInfo, ObjectOwnership } from "./types.js";
import { isoTime } from "./xml.js";
import { publicAccessBlock, type PublicAccessBlock } from "./access/public-policy.js";

export interface ObjRecord {
  key: string;
  size: number;
  etag: string; // without quotes
  content: Content;
  lastModified: number; // ms
  owner: string; // account id
  grants: Grant[];
  copySource?: string; // "bucket/key" of the CopyObject / UploadPartCopy source
  contentType?: string;
  metadata: Record<string, string>;
  storageClass?: string; // undefined = STANDARD
  partSizes?: number[]; // multipart objects
  lmIso?: string; // cached ISO time
}

export interface Part {
  partNumber: number;
  etag: string;
  size: number;
  content: Content;
  lastModified: number;
  copySource?: string;
}

export interface Upload {
  uploadId: string;
  bucket: string;
  key: string;
  initiator: string; // account id
  initiatorKind: "base" | "role";
  initiatorArn: string;
  acl?: string;
  contentType?: string;
  /** x-amz-storage-class of CreateMultipartUpload; undefined = STANDARD. */
  storageClass?: string;
  metadata: Record<string, string>;
  initiated: number;
  parts: Map<number, Part>;
}

/**
 * Storage classes whose objects are archived: not readable or copyable until restored (S3 User
 * Guide, "Working with archived objects": S3 Glacier Flexible Retrieval = GLACIER and S3 Glacier
 * Deep Archive = DEEP_ARCHIVE; S3 Glacier Instant Retrieval = GLACIER_IR "is not archived ... does
 * not require a restore"). Restores are not modelled: an archived object here is never restored.
 */
export const ARCHIVED_CLASSES = new Set(["GLACIER", "DEEP_ARCHIVE"]);

/** The storage classes ListObjectsV2 can report for an object (S3 API Reference, Object.StorageClass). */
export const STORAGE_CLASSES = ["STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"] as const;

/** Compare strings in UTF-8 byte order (UTF-16 code unit order differs only for surrogates vs U+E000..U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Characters where UTF-16 order and UTF-8 byte order can disagree (surrogates, U+E000..U+FFFF). */
const HIGH = /[\ud800-\uffff]/;
const nativeCompare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class Bucket {
  readonly objects = new Map<string, ObjRecord>();
  readonly uploads = new Map<string, Upload>();
  private keys: string[] = [];
  private high = false; // some key has a HIGH character: use compareUtf8 instead of native comparison
  /** The bucket policy as put (text) and parsed. */
  policy: { text: string; parsed: Policy } | undefined;
  ownership: ObjectOwnership = "ObjectWriter";
  /** Default encryption (GetBucketEncryption): SSE-S3 unless set otherwise. */
  encryption: Encryption = { algorithm: "AES256" };
  /** S3 Block Public Access of the bucket (access/public-policy.ts); undefined = no configuration (all off). */
  publicAccessBlock: PublicAccessBlock | undefined = publicAccessBlock(true);

  constructor(
    readonly name: string,
    readonly owner: string,
    readonly created: number,
  ) {}

  get count(): number {
    return this.keys.length;
  }

  get(key: string): ObjRecord | undefined {
    return this.objects.get(key);
  }

  put(rec: ObjRecord): void {
    if (!this.objects.has(rec.key)) {
      if (!this.high && HIGH.test(rec.key)) this.high = true;
      this.keys.splice(this.lowerBound(rec.key), 0, rec.key);
    }
    this.objects.set(rec.key, rec);
  }

  /** Replace all objects at once (one sort instead of n inserts). */
  bulkLoad(recs: Iterable<ObjRecord>): void {
    for (const r of recs) this.objects.set(r.key, r);
    this.keys = [...this.objects.keys()];
    this.high = this.keys.some((k) => HIGH.test(k));
    this.keys.sort(this.high ? compareUtf8 : nativeCompare);
  }

  delete(key: string): boolean {
    if (!this.objects.delete(key)) return false;
    const i = this.lowerBound(key);
    if (this.keys[i] === key) this.keys.splice(i, 1);
    return true;
  }

  keyAt(i: number): string | undefined {
    return this.keys[i];
  }

  /** First index whose key is >= s. */
  lowerBound(s: string): number {
    const cmp = this.high || HIGH.test(s) ? compareUtf8 : nativeCompare;
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(this.keys[mid] as string, s) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose key is > s. */
  upperBound(s: string): number {
    const i = this.lowerBound(s);
    return this.keys[i] === s ? i + 1 : i;
  }

  /** Given keys[i] starts with prefix, the first index >= i whose key does not. */
  endOfPrefix(i: number, prefix: string): number {
    let lo = i;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as string).startsWith(prefix)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  *all(): Generator<ObjRecord> {
    for (const k of this.keys) {
      const r = this.objects.get(k);
      if (r) yield r;
    }
  }
}

export function lastModifiedIso(r: ObjRecord): string {
  return (r.lmIso ??= isoTime(r.lastModified));
}

export function toInfo(r: ObjRecord): ObjectInfo {
  const info: ObjectInfo = {
    key: r.key,
    size: r.size,
    etag: r.etag,
    owner: r.owner,
    grants: r.grants.map((g) => ({ ...g })),
    metadata: { ...r.metadata },
    lastModified: lastModifiedIso(r),
  };
  if (r.copySource !== undefined) info.copySource = r.copySource;
  if (r.contentType !== undefined) info.contentType = r.contentType;
  if (r.storageClass !== undefined) info.storageClass = r.storageClass;
  return info;
}
