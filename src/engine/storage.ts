// What flexcopy asks of S3, at a glance: the storage seam the engine and setup depend on.
//
// Ten calls, no more: listing (objects, one delimiter level), HeadObject, the copies (CopyObject, or
// CreateMultipartUpload + UploadPartCopy + CompleteMultipartUpload), and the upload housekeeping
// (AbortMultipartUpload, ListParts, ListMultipartUploads). Nothing is read or written through flexcopy's
// machine: every copy is server-side. Every write carries the ACL bucket-owner-full-control; the S3
// implementation (aws/s3-store.ts) adds it, so no caller can forget it, and the S3 client refuses a write
// without it (aws/clients.ts).
//
// A call fails by throwing what S3 threw (the SDK's service errors: `name`, `$metadata.httpStatusCode`);
// the engine's Requester (request.ts) wraps each call with the retries, credential refresh and concurrency
// accounting, naming it by its S3 operation ("CopyObject", "UploadPartCopy", ...). Tests use an in-memory
// store (memory-store.test-support.ts).
import type { S3Client } from "@aws-sdk/client-s3";
import { S3Store, type CopyFrom, type ObjectHead, type ObjInfo, type UploadedPart, type WriteOptions } from "../aws/s3-store.js";

export type { CopyFrom, ObjectHead, ObjInfo, UploadedPart, WriteOptions };

/** One page of ListObjectsV2. */
export interface ListPage {
  objects: ObjInfo[];
  /** CommonPrefixes (with a delimiter). */
  prefixes: string[];
  /** The continuation token when the listing is truncated. */
  next?: string;
}

/** An incomplete multipart upload, as ListMultipartUploads shows it. */
export interface UploadInfo {
  key: string;
  uploadId: string;
  initiated?: Date;
  /** Who started it (an ARN or canonical id), as S3 reports it. */
  initiator?: string;
  /** The initiator's display name, as S3 reports it. */
  initiatorName?: string;
}

export interface ObjectStore {
  /** ListObjectsV2: one page under `prefix`; with `delimiter` "/", one level (objects and "folders"). */
  listObjects(i: { bucket: string; prefix: string; delimiter?: "/"; token?: string; maxKeys?: number }): Promise<ListPage>;
  /** HeadObject (optionally If-Match). */
  headObject(i: { bucket: string; key: string; ifMatch?: string }): Promise<ObjectHead>;
  /** CopyObject with the source's metadata (MetadataDirective COPY); up to 5 GiB. Returns the new ETag. */
  copyObject(i: { bucket: string; key: string; from: CopyFrom }): Promise<{ etag?: string }>;
  createMultipartUpload(i: { bucket: string; key: string; head: ObjectHead }): Promise<{ uploadId?: string }>;
  /** UploadPartCopy of `range` ("bytes=a-b") of the source. Returns the part's ETag. */
  uploadPartCopy(i: { bucket: string; key: string; uploadId: string; partNumber: number; from: CopyFrom; range: string }): Promise<{ etag?: string }>;
  completeMultipartUpload(i: { bucket: string; key: string; uploadId: string; parts: UploadedPart[] }): Promise<{ etag?: string }>;
  abortMultipartUpload(i: { bucket: string; key: string; uploadId: string }): Promise<void>;
  /** ListParts: one page; `next` is the part-number marker when truncated. */
  listParts(i: { bucket: string; key: string; uploadId: string; marker?: string }): Promise<{ parts: UploadedPart[]; next?: string }>;
  /** ListMultipartUploads: one page, in key order. */
  listMultipartUploads(i: {
    bucket: string;
    prefix?: string;
    keyMarker?: string;
    uploadIdMarker?: string;
  }): Promise<{ uploads: UploadInfo[]; truncated: boolean; nextKeyMarker?: string; nextUploadIdMarker?: string }>;
}

/** The store over an S3 client (aws/clients.ts: the ACL guard and the lean copy path stay in force). */
export function s3Store(client: S3Client, writes?: WriteOptions): ObjectStore {
  return new S3Store(client, writes);
}
