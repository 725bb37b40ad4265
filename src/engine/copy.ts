import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { OWNER_FULL_CONTROL } from "../aws/acl.js";
import type { Emit } from "./events.js";
import { partRanges, partSizeFor } from "./parts.js";
import type { Requester } from "./request.js";
import type { ObjInfo } from "./skip.js";
import type { UploadJournal } from "./journal.js";
import type { Listing } from "./listing.js";
import { abortUpload, resumeUpload } from "./uploads.js";

export interface CopyContext {
  s3: S3Client;
  requester: Requester;
  sourceBucket: string;
  destBucket: string;
  partSize: number;
  multipartThreshold: number;
  emit: Emit;
  /** Aborted: start no new requests (in-flight ones finish). */
  signal?: AbortSignal;
  journal?: UploadJournal;
  /** The bucket owner's (base) credentials, to list parts and abort where the role may not. */
  owner?: Listing;
}

export interface CopyResult {
  multipart: boolean;
  parts?: number;
  etag?: string;
}

/** `x-amz-copy-source`: bucket/key with each path segment URL-encoded (spaces, `+`, `%`, Japanese). */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

export class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

export function copyOne(ctx: CopyContext, obj: ObjInfo): Promise<CopyResult> {
  return obj.size >= ctx.multipartThreshold ? copyMultipart(ctx, obj) : copySingle(ctx, obj);
}

/** CopyObject: metadata and content type travel with the copy; the ETag stays the source's. */
async function copySingle(ctx: CopyContext, obj: ObjInfo): Promise<CopyResult> {
  const out = await ctx.requester.send("CopyObject", obj.key, "dest", () =>
    ctx.s3.send(
      new CopyObjectCommand({
        Bucket: ctx.destBucket,
        Key: obj.key,
        CopySource: copySource(ctx.sourceBucket, obj.key),
        CopySourceIfMatch: obj.etag,
        MetadataDirective: "COPY",
        ACL: OWNER_FULL_CONTROL,
      }),
    ),
  );
  ctx.emit({ kind: "progress", bytes: obj.size });
  return { multipart: false, etag: out.CopyObjectResult?.ETag };
}

/**
 * CreateMultipartUpload + parallel UploadPartCopy + Complete. A multipart copy does not carry the
 * source's content type and metadata by itself, so they are read first and set on the upload.
 * Every part is pinned to the listed ETag, so a source that changes mid-copy fails instead of mixing.
 */
async function copyMultipart(ctx: CopyContext, obj: ObjInfo): Promise<CopyResult> {
  const { s3, requester, journal } = ctx;
  const partSize = partSizeFor(obj.size, ctx.partSize);
  const ranges = partRanges(obj.size, partSize);
  const resumed = await resumeUpload(ctx, obj, partSize);
  let uploadId = resumed?.uploadId;
  const done = new Map<number, string>(resumed?.parts ?? []);
  if (!uploadId) {
    const head = await requester.send("HeadObject", obj.key, "source", () =>
      s3.send(new HeadObjectCommand({ Bucket: ctx.sourceBucket, Key: obj.key, IfMatch: obj.etag })),
    );
    await journal?.intent(obj);
    const created = await requester.send("CreateMultipartUpload", obj.key, "dest", () =>
      s3.send(
        new CreateMultipartUploadCommand({
          Bucket: ctx.destBucket,
          Key: obj.key,
          ACL: OWNER_FULL_CONTROL,
          ContentType: head.ContentType,
          ContentEncoding: head.ContentEncoding,
          ContentDisposition: head.ContentDisposition,
          ContentLanguage: head.ContentLanguage,
          CacheControl: head.CacheControl,
          Expires: head.Expires,
          Metadata: head.Metadata,
        }),
      ),
    );
    uploadId = created.UploadId;
    if (!uploadId) throw new Error("CreateMultipartUpload returned no upload id");
    await journal?.started(obj, { uploadId, partSize, sourceEtag: obj.etag ?? "" });
  }
  for (const r of ranges) if (done.has(r.partNumber)) ctx.emit({ kind: "progress", bytes: r.end - r.start + 1 });

  const failFast = new AbortController();
  const stop = () => failFast.signal.aborted || ctx.signal?.aborted;
  const id = uploadId;
  try {
    await Promise.all(
      ranges
        .filter((r) => !done.has(r.partNumber))
        .map(async (r) => {
          if (stop()) return;
          try {
            const out = await requester.send("UploadPartCopy", obj.key, "dest", () => {
              if (stop()) throw new Interrupted();
              return s3.send(
                new UploadPartCopyCommand({
                  Bucket: ctx.destBucket,
                  Key: obj.key,
                  UploadId: id,
                  PartNumber: r.partNumber,
                  CopySource: copySource(ctx.sourceBucket, obj.key),
                  CopySourceIfMatch: obj.etag,
                  CopySourceRange: r.range,
                }),
              );
            });
            const etag = out.CopyPartResult?.ETag;
            if (!etag) throw new Error(`UploadPartCopy returned no ETag for part ${r.partNumber}`);
            done.set(r.partNumber, etag);
            await journal?.partDone(obj, r.partNumber, etag);
            ctx.emit({ kind: "progress", bytes: r.end - r.start + 1 });
          } catch (err) {
            failFast.abort();
            throw err;
          }
        }),
    );
    if (ctx.signal?.aborted) throw new Interrupted();
    const out = await requester.send("CompleteMultipartUpload", obj.key, "dest", () =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: ctx.destBucket,
          Key: obj.key,
          UploadId: id,
          MultipartUpload: { Parts: ranges.map((r) => ({ PartNumber: r.partNumber, ETag: done.get(r.partNumber) })) },
        }),
      ),
    );
    await journal?.finished(obj, out.ETag ?? "");
    return { multipart: true, parts: ranges.length, etag: out.ETag };
  } catch (err) {
    // Interrupted: keep the upload and its finished parts for the next run. Failed: leave nothing behind.
    if (!(err instanceof Interrupted) && !(journal && ctx.signal?.aborted)) {
      // An upload nobody could abort stays in the journal: the next run or `flexcopy cleanup` removes it.
      if (await abortUpload(ctx, obj.key, id)) await journal?.forget(obj);
    }
    throw err;
  }
}
