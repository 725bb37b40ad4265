// The S3 implementation of the engine's storage seam (engine/storage.ts holds the interface; the data
// shapes it passes are defined here, in the lower layer, and re-exported there, so they are written once).
// The only place outside the client set-up that builds S3 commands for the engine.
import {
  type ServerSideEncryption,
  type StorageClass,
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { OWNER_FULL_CONTROL } from "./acl.js";

/** What the listing says about an object. */
export interface ObjInfo {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
  /** As the listing shows it; absent means STANDARD. */
  storageClass?: string;
}

/** What a multipart copy carries over from the source (S3 does not copy it by itself). */
export interface ObjectHead {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: Date;
  metadata?: Record<string, string>;
}

/** An object to copy from: pinned to the listed ETag (`ifMatch`), so a source changed mid-copy fails. */
export interface CopyFrom {
  bucket: string;
  key: string;
  ifMatch?: string;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** `x-amz-copy-source`: bucket/key with each path segment URL-encoded (spaces, `+`, `%`, Japanese). */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * What every object-creating write carries besides the ACL: the server-side encryption header, for a bucket
 * policy that denies writes without it (`s3:x-amz-server-side-encryption`; AWS Config's
 * s3-bucket-server-side-encryption-enabled and Macie's "denies unencrypted object uploads" look for such
 * policies). Undefined: no header, the bucket's default encryption applies.
 */
export interface WriteOptions {
  sse?: "AES256" | "aws:kms";
  sseKmsKeyId?: string;
  /**
   * x-amz-storage-class (`--storage-class`), as `aws s3 cp --storage-class` sends it: on CopyObject and
   * CreateMultipartUpload, the requests that take it (S3 API Reference); UploadPartCopy and Complete do not.
   * Undefined: no header, S3 stores STANDARD.
   */
  storageClass?: string;
}

export class S3Store {
  private readonly sse: { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string; StorageClass?: StorageClass };

  constructor(
    private readonly s3: S3Client,
    writes: WriteOptions = {},
  ) {
    this.sse = {
      ...(writes.sse ? { ServerSideEncryption: writes.sse as ServerSideEncryption } : {}),
      ...(writes.sseKmsKeyId ? { SSEKMSKeyId: writes.sseKmsKeyId } : {}),
      ...(writes.storageClass ? { StorageClass: writes.storageClass as StorageClass } : {}),
    };
  }

  async listObjects(i: { bucket: string; prefix: string; delimiter?: "/"; token?: string; maxKeys?: number }): Promise<{ objects: ObjInfo[]; prefixes: string[]; next?: string }> {
    const out = await this.s3.send(new ListObjectsV2Command({ Bucket: i.bucket, Prefix: i.prefix, Delimiter: i.delimiter, ContinuationToken: i.token, MaxKeys: i.maxKeys }));
    const objects: ObjInfo[] = [];
    for (const o of out.Contents ?? []) {
      if (o.Key !== undefined) objects.push({ key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified, storageClass: o.StorageClass });
    }
    const prefixes = (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [p.Prefix] : []));
    return { objects, prefixes, next: out.IsTruncated ? out.NextContinuationToken : undefined };
  }

  async headObject(i: { bucket: string; key: string; ifMatch?: string }): Promise<ObjectHead> {
    const h = await this.s3.send(new HeadObjectCommand({ Bucket: i.bucket, Key: i.key, IfMatch: i.ifMatch }));
    return {
      contentType: h.ContentType,
      contentEncoding: h.ContentEncoding,
      contentDisposition: h.ContentDisposition,
      contentLanguage: h.ContentLanguage,
      cacheControl: h.CacheControl,
      expires: h.Expires,
      metadata: h.Metadata,
    };
  }

  async copyObject(i: { bucket: string; key: string; from: CopyFrom }): Promise<{ etag?: string }> {
    const out = await this.s3.send(
      new CopyObjectCommand({
        Bucket: i.bucket,
        Key: i.key,
        CopySource: copySource(i.from.bucket, i.from.key),
        CopySourceIfMatch: i.from.ifMatch,
        MetadataDirective: "COPY",
        ACL: OWNER_FULL_CONTROL,
        ...this.sse,
      }),
    );
    return { etag: out.CopyObjectResult?.ETag };
  }

  async createMultipartUpload(i: { bucket: string; key: string; head: ObjectHead }): Promise<{ uploadId?: string }> {
    const h = i.head;
    const out = await this.s3.send(
      new CreateMultipartUploadCommand({
        Bucket: i.bucket,
        Key: i.key,
        ACL: OWNER_FULL_CONTROL,
        ...this.sse,
        ContentType: h.contentType,
        ContentEncoding: h.contentEncoding,
        ContentDisposition: h.contentDisposition,
        ContentLanguage: h.contentLanguage,
        CacheControl: h.cacheControl,
        Expires: h.expires,
        Metadata: h.metadata,
      }),
    );
    return { uploadId: out.UploadId };
  }

  async uploadPartCopy(i: { bucket: string; key: string; uploadId: string; partNumber: number; from: CopyFrom; range: string }): Promise<{ etag?: string }> {
    const out = await this.s3.send(
      new UploadPartCopyCommand({
        Bucket: i.bucket,
        Key: i.key,
        UploadId: i.uploadId,
        PartNumber: i.partNumber,
        CopySource: copySource(i.from.bucket, i.from.key),
        CopySourceIfMatch: i.from.ifMatch,
        CopySourceRange: i.range,
      }),
    );
    return { etag: out.CopyPartResult?.ETag };
  }

  async completeMultipartUpload(i: { bucket: string; key: string; uploadId: string; parts: UploadedPart[] }): Promise<{ etag?: string }> {
    const out = await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: i.bucket,
        Key: i.key,
        UploadId: i.uploadId,
        MultipartUpload: { Parts: i.parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }),
    );
    return { etag: out.ETag };
  }

  async abortMultipartUpload(i: { bucket: string; key: string; uploadId: string }): Promise<void> {
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: i.bucket, Key: i.key, UploadId: i.uploadId }));
  }

  async listParts(i: { bucket: string; key: string; uploadId: string; marker?: string }): Promise<{ parts: UploadedPart[]; next?: string }> {
    const out = await this.s3.send(new ListPartsCommand({ Bucket: i.bucket, Key: i.key, UploadId: i.uploadId, PartNumberMarker: i.marker }));
    const parts: UploadedPart[] = [];
    for (const p of out.Parts ?? []) if (p.PartNumber && p.ETag) parts.push({ partNumber: p.PartNumber, etag: p.ETag });
    return { parts, next: out.IsTruncated ? out.NextPartNumberMarker : undefined };
  }

  async listMultipartUploads(i: { bucket: string; prefix?: string; keyMarker?: string; uploadIdMarker?: string }) {
    const out = await this.s3.send(new ListMultipartUploadsCommand({ Bucket: i.bucket, Prefix: i.prefix, KeyMarker: i.keyMarker, UploadIdMarker: i.uploadIdMarker }));
    const uploads = (out.Uploads ?? []).flatMap((u) =>
      u.Key === undefined || u.UploadId === undefined
        ? []
        : [{ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated, initiator: u.Initiator?.ID ?? u.Initiator?.DisplayName, initiatorName: u.Initiator?.DisplayName }],
    );
    return { uploads, truncated: out.IsTruncated === true, nextKeyMarker: out.NextKeyMarker, nextUploadIdMarker: out.NextUploadIdMarker };
  }
}
