// An in-memory ObjectStore (src/engine/storage.ts) for the engine's unit tests: buckets of objects,
// incomplete multipart uploads and their parts, paged listings in S3's key order, If-Match, and the
// errors S3 sends (same shape as the SDK's: `name`, `$metadata.httpStatusCode`). Several stores may share
// one `MemoryS3` (the role and the bucket owner looking at the same buckets) with different denials.
import { compareKeys } from "../../src/engine/listing.js";
import type { ListPage, ObjectHead, ObjectStore, ObjInfo, UploadedPart, UploadInfo } from "../../src/engine/storage.js";

export const s3Error = (name: string, status: number, message = name): Error => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
export const accessDenied = (): Error => s3Error("AccessDenied", 403, "Access Denied");

/** An object as stored: what the listing shows, and what HeadObject adds. */
export interface StoredObject extends ObjInfo {
  head?: ObjectHead;
}
type Stored = StoredObject;

interface Upload {
  bucket: string;
  key: string;
  uploadId: string;
  initiated: Date;
  head: ObjectHead;
  parts: Map<number, { etag: string; size: number }>;
}

/** The buckets and uploads; shared by the stores that look at them. */
export class MemoryS3 {
  readonly buckets = new Map<string, Map<string, Stored>>();
  readonly uploads = new Map<string, Upload>();
  private ids = 0;
  /** When a new upload is initiated. */
  now: () => Date = () => new Date();

  put(bucket: string, ...objects: Stored[]): this {
    const b = this.bucket(bucket);
    for (const o of objects) b.set(o.key, { etag: `"etag-${o.key}"`, ...o });
    return this;
  }

  bucket(name: string): Map<string, Stored> {
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = new Map()));
    return b;
  }

  get(bucket: string, key: string): Stored | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  /** An incomplete upload (as another run or tool left it). */
  addUpload(bucket: string, key: string, uploadId = this.nextId(), parts: [number, string][] = []): string {
    this.uploads.set(uploadId, { bucket, key, uploadId, initiated: this.now(), head: {}, parts: new Map(parts.map(([n, etag]) => [n, { etag, size: 1 }])) });
    return uploadId;
  }

  nextId(): string {
    this.ids += 1;
    return `upload-${this.ids}`;
  }
}

/** A call's input, as the store was given it (ListObjectsV2 and ListMultipartUploads: the prefix as `key`). */
export type CallInput = { bucket: string; key?: string; partNumber?: number; uploadId?: string; keyMarker?: string; uploadIdMarker?: string; token?: string };

export interface MemoryStoreOptions {
  /** Operations this identity is refused (AccessDenied), e.g. "UploadPartCopy". */
  deny?: string[];
  /** Keys a page (ListObjectsV2, ListParts, ListMultipartUploads). */
  pageSize?: number;
  /** Called before every operation; may throw (a fault) or wait (to hold a request in flight). */
  before?: (op: string, input: CallInput) => void | Promise<void>;
}

/** One identity's view of a MemoryS3; `log` lists every call as "Op bucket/key[#part]". */
export class MemoryStore implements ObjectStore {
  readonly log: string[] = [];
  readonly deny: Set<string>;

  constructor(
    readonly s3: MemoryS3 = new MemoryS3(),
    private readonly opts: MemoryStoreOptions = {},
  ) {
    this.deny = new Set(opts.deny ?? []);
  }

  private get pageSize(): number {
    return this.opts.pageSize ?? 1000;
  }

  /** The calls of one operation. */
  calls(op: string): string[] {
    return this.log.filter((l) => l.startsWith(`${op} `));
  }

  private async call(op: string, input: CallInput): Promise<void> {
    this.log.push(`${op} ${input.bucket}/${input.key ?? ""}${input.partNumber ? `#${input.partNumber}` : ""}`);
    await this.opts.before?.(op, input);
    if (this.deny.has(op)) throw accessDenied();
  }

  private source(from: { bucket: string; key: string; ifMatch?: string }): Stored {
    const o = this.s3.get(from.bucket, from.key);
    if (!o) throw s3Error("NoSuchKey", 404);
    if (from.ifMatch !== undefined && from.ifMatch !== o.etag) throw s3Error("PreconditionFailed", 412);
    return o;
  }

  private upload(bucket: string, key: string, uploadId: string): Upload {
    const u = this.s3.uploads.get(uploadId);
    if (!u || u.bucket !== bucket || u.key !== key) throw s3Error("NoSuchUpload", 404);
    return u;
  }

  async listObjects(i: { bucket: string; prefix: string; delimiter?: "/"; token?: string; maxKeys?: number }): Promise<ListPage> {
    await this.call("ListObjectsV2", { bucket: i.bucket, key: i.prefix, token: i.token });
    const b = this.s3.buckets.get(i.bucket);
    if (!b) throw s3Error("NoSuchBucket", 404);
    const entries: { sortKey: string; object?: ObjInfo; prefix?: string }[] = [];
    const seen = new Set<string>();
    for (const o of b.values()) {
      if (!o.key.startsWith(i.prefix)) continue;
      const slash = i.delimiter ? o.key.indexOf("/", i.prefix.length) : -1;
      if (slash >= 0) {
        const p = o.key.slice(0, slash + 1);
        if (!seen.has(p)) entries.push({ sortKey: p, prefix: p });
        seen.add(p);
      } else {
        entries.push({ sortKey: o.key, object: { key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified, storageClass: o.storageClass } });
      }
    }
    entries.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    const start = i.token ? entries.findIndex((e) => compareKeys(e.sortKey, i.token!) > 0) : 0;
    const size = Math.min(i.maxKeys ?? this.pageSize, this.pageSize);
    const rest = start < 0 ? [] : entries.slice(start);
    const page = rest.slice(0, size);
    return {
      objects: page.flatMap((e) => (e.object ? [e.object] : [])),
      prefixes: page.flatMap((e) => (e.prefix ? [e.prefix] : [])),
      next: rest.length > size ? page.at(-1)!.sortKey : undefined,
    };
  }

  async headObject(i: { bucket: string; key: string; ifMatch?: string }): Promise<ObjectHead> {
    await this.call("HeadObject", i);
    return this.source(i).head ?? {};
  }

  async copyObject(i: { bucket: string; key: string; from: { bucket: string; key: string; ifMatch?: string } }): Promise<{ etag?: string }> {
    await this.call("CopyObject", i);
    const src = this.source(i.from);
    this.s3.put(i.bucket, { ...src, key: i.key });
    return { etag: src.etag };
  }

  async createMultipartUpload(i: { bucket: string; key: string; head: ObjectHead }): Promise<{ uploadId?: string }> {
    await this.call("CreateMultipartUpload", i);
    const uploadId = this.s3.nextId();
    this.s3.uploads.set(uploadId, { bucket: i.bucket, key: i.key, uploadId, initiated: this.s3.now(), head: i.head, parts: new Map() });
    return { uploadId };
  }

  async uploadPartCopy(i: { bucket: string; key: string; uploadId: string; partNumber: number; from: { bucket: string; key: string; ifMatch?: string }; range: string }): Promise<{ etag?: string }> {
    await this.call("UploadPartCopy", i);
    const u = this.upload(i.bucket, i.key, i.uploadId);
    this.source(i.from);
    const m = /^bytes=(\d+)-(\d+)$/.exec(i.range);
    if (!m) throw s3Error("InvalidArgument", 400);
    const etag = `"part-${i.partNumber}"`;
    u.parts.set(i.partNumber, { etag, size: Number(m[2]) - Number(m[1]) + 1 });
    return { etag };
  }

  async completeMultipartUpload(i: { bucket: string; key: string; uploadId: string; parts: UploadedPart[] }): Promise<{ etag?: string }> {
    await this.call("CompleteMultipartUpload", i);
    const u = this.upload(i.bucket, i.key, i.uploadId);
    let size = 0;
    for (const p of i.parts) {
      const stored = u.parts.get(p.partNumber);
      if (!stored || stored.etag !== p.etag) throw s3Error("InvalidPart", 400);
      size += stored.size;
    }
    const etag = `"multipart-${i.parts.length}"`;
    this.s3.uploads.delete(i.uploadId);
    this.s3.put(i.bucket, { key: i.key, size, etag, head: u.head });
    return { etag };
  }

  async abortMultipartUpload(i: { bucket: string; key: string; uploadId: string }): Promise<void> {
    await this.call("AbortMultipartUpload", i);
    this.upload(i.bucket, i.key, i.uploadId);
    this.s3.uploads.delete(i.uploadId);
  }

  async listParts(i: { bucket: string; key: string; uploadId: string; marker?: string }): Promise<{ parts: UploadedPart[]; next?: string }> {
    await this.call("ListParts", i);
    const u = this.upload(i.bucket, i.key, i.uploadId);
    const all = [...u.parts].sort(([a], [b]) => a - b).filter(([n]) => n > Number(i.marker ?? 0));
    const page = all.slice(0, this.pageSize);
    return { parts: page.map(([partNumber, p]) => ({ partNumber, etag: p.etag })), next: all.length > page.length ? String(page.at(-1)![0]) : undefined };
  }

  async listMultipartUploads(i: { bucket: string; prefix?: string; keyMarker?: string; uploadIdMarker?: string }) {
    await this.call("ListMultipartUploads", { bucket: i.bucket, key: i.prefix, keyMarker: i.keyMarker, uploadIdMarker: i.uploadIdMarker });
    const after = (u: Upload) => !i.keyMarker || u.key > i.keyMarker || (u.key === i.keyMarker && u.uploadId > (i.uploadIdMarker ?? ""));
    const all = [...this.s3.uploads.values()]
      .filter((u) => u.bucket === i.bucket && u.key.startsWith(i.prefix ?? "") && after(u))
      .sort((a, b) => compareKeys(a.key, b.key) || (a.uploadId < b.uploadId ? -1 : 1));
    const page = all.slice(0, this.pageSize);
    const truncated = all.length > page.length;
    const uploads: UploadInfo[] = page.map((u) => ({ key: u.key, uploadId: u.uploadId, initiated: u.initiated }));
    return { uploads, truncated, nextKeyMarker: truncated ? page.at(-1)!.key : undefined, nextUploadIdMarker: truncated ? page.at(-1)!.uploadId : undefined };
  }
}
