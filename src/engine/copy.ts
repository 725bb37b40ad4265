import type { Emit } from "./events.js";
import { partRanges, partSizeFor, type PartRange } from "./parts.js";
import { RequestError, type Requester } from "./request.js";
import { bareEtag } from "./skip.js";
import { COPY_OBJECT_MAX, MultipartGate, tailPartSize } from "./strategy.js";
import type { ObjInfo, ObjectStore } from "./storage.js";
import { JournalWriteFailed, type UploadJournal } from "./journal.js";
import type { DestinationLister } from "./dest-listing.js";
import { listObjects, type Listing } from "./listing.js";
import { multipartEtag } from "./records.js";
import { abortUpload, cleanupCommandFor, removeLostUploads, resumeUpload, settleRecordedUpload } from "./uploads.js";

export interface CopyContext {
  store: ObjectStore;
  requester: Requester;
  sourceBucket: string;
  destBucket: string;
  partSize: number;
  multipartThreshold: number;
  emit: Emit;
  /** Aborted: start no new requests (in-flight ones finish). */
  signal?: AbortSignal;
  journal?: UploadJournal;
  /** The bucket's other journals (other shards', the main one), read only: what they record decides skips too. */
  otherJournals?: UploadJournal[];
  /** What the run knows of multipart permission; one per run (see strategy.ts). */
  gate: MultipartGate;
  /** The bucket owner's (base) credentials, to list parts and abort where the role may not. */
  owner?: Listing;
  /** Lists the destination as the role, else as the owner, else not at all (dest-listing.ts); one per run. */
  destLister?: DestinationLister;
  /**
   * Why the destination refused the role's copy of `key`, from the bucket policy read before the run and
   * evaluated offline (the statement, and the smallest fix); undefined where that is not known.
   */
  explainDenied?: (key: string) => Promise<string | undefined>;
}

export const MULTIPART_HINT =
  "objects over 5 GiB need a multipart copy, which your bucket policy does not allow the provider's role: run `flexcopy policy --allow-multipart` and apply what it prints (check with `flexcopy doctor`)";

/**
 * The hint for objects over 5 GiB where parts are denied. `policyReason` (the bucket policy's evaluation, read
 * before the run): where an explicit Deny refuses the parts — typically one requiring the ACL or an encryption
 * header, which the parts cannot carry — `--allow-multipart`'s statement would not help: that Deny must exempt
 * the provider's role.
 */
export function multipartHint(policyReason?: string): string {
  const deny = policyReason === undefined ? undefined : /explicit Deny in your bucket policy statement "([^"]+)"|explicit Deny in your bucket policy/.exec(policyReason);
  if (!deny) return MULTIPART_HINT;
  const which = deny[1] ? `statement "${deny[1]}"` : "a Deny statement";
  return `objects over 5 GiB need a multipart copy, and your bucket policy's ${which} refuses its parts (UploadPartCopy and CompleteMultipartUpload carry no ACL or encryption header): let that statement exempt the provider's role, apply what \`flexcopy policy --allow-multipart\` prints, and check with \`flexcopy doctor\` (docs/bucket-policy.md)`;
}

/** An object over 5 GiB that cannot be copied because parts are denied (exit 1, with the hint). */
export class MultipartDenied extends Error {
  readonly code = "MultipartDenied";
  readonly hint: string;
  constructor(
    readonly key: string,
    policyReason?: string,
  ) {
    super(`${key}: over 5 GiB, and the bucket policy denies multipart copies`);
    this.name = "MultipartDenied";
    this.hint = multipartHint(policyReason);
  }
}

/** UploadPartCopy or CompleteMultipartUpload was AccessDenied on the destination (its upload already aborted). */
class PartsDenied extends Error {
  constructor(readonly op: string) {
    super(`${op}: AccessDenied`);
    this.name = "PartsDenied";
  }
}

export interface CopyResult {
  multipart: boolean;
  parts?: number;
  etag?: string;
}

/** The object was copied, and then its journal line could not be written: counted copied, and the run stops. */
export class UnrecordedCopy extends Error {
  constructor(
    readonly result: CopyResult,
    readonly failure: JournalWriteFailed,
  ) {
    super(failure.message);
    this.name = "UnrecordedCopy";
  }
}

export class Interrupted extends Error {
  constructor() {
    super("interrupted");
    this.name = "Interrupted";
  }
}

/** Copy one object: CopyObject, or parts where they are needed or known to help (see strategy.ts). */
export async function copyOne(ctx: CopyContext, obj: ObjInfo, opts: { tail?: boolean } = {}): Promise<CopyResult> {
  // The run's last objects, with slots idle: where parts work, the idle slots share an object that would
  // otherwise be one long CopyObject (objects from the threshold up keep the configured part size).
  const tail = opts.tail && obj.size < ctx.multipartThreshold ? tailPartSize(obj.size, ctx.requester.idleSlots) : undefined;
  // An upload an earlier run made parts of is continued (parts were allowed then; if no longer, see below).
  const plan = (ctx.journal?.upload(obj.key)?.parts.size ?? 0) > 0 ? "multipart" : await ctx.gate.plan(obj.size, tail !== undefined);
  if (plan === "single") {
    if (ctx.gate.permission === "unlikely" && obj.size >= ctx.multipartThreshold) announceCopyObjectOnly(ctx, "as read from it");
    // An upload an earlier run started for this key (no part finished) is not continued: removed, not left.
    await settleRecordedUpload(ctx, obj, undefined);
    return copySingle(ctx, obj);
  }
  if (plan === "too-large") throw new MultipartDenied(obj.key, ctx.gate.policyReason);
  try {
    // The probe's answer comes with its first part: a part copied means parts are allowed.
    const partSize = tail ?? ctx.partSize;
    const r = await copyMultipart(ctx, obj, plan === "probe" ? () => ctx.gate.settle("allowed") : undefined, partSize);
    if (plan === "probe") ctx.gate.settle("allowed");
    return r;
  } catch (err) {
    if (!(err instanceof PartsDenied)) {
      if (plan === "probe") ctx.gate.settle(undefined);
      throw err;
    }
    if (plan === "probe") ctx.gate.settle("denied");
    else ctx.gate.deny();
    announceCopyObjectOnly(ctx, `${err.op}: AccessDenied`);
    if (obj.size <= COPY_OBJECT_MAX) return copySingle(ctx, obj);
    throw new MultipartDenied(obj.key, ctx.gate.policyReason);
  }
}

/** Said once per run: multipart copies are not possible here, so objects up to 5 GiB go by CopyObject. */
export function announceCopyObjectOnly(ctx: Pick<CopyContext, "gate" | "emit">, why: string): void {
  if (ctx.gate.announced) return;
  ctx.gate.announced = true;
  ctx.emit({
    kind: "notice",
    message: `your bucket policy does not let the provider's role finish multipart copies (${why}): copying every object up to 5 GiB with CopyObject. To copy objects over 5 GiB, and large ones faster: flexcopy policy --allow-multipart`,
  });
}

/** CopyObject: metadata and content type travel with the copy; the ETag stays the source's. */
async function copySingle(ctx: CopyContext, obj: ObjInfo): Promise<CopyResult> {
  const out = await ctx.requester.send("CopyObject", obj.key, "dest", () =>
    ctx.store.copyObject({ bucket: ctx.destBucket, key: obj.key, from: { bucket: ctx.sourceBucket, key: obj.key, ifMatch: obj.etag } }),
  );
  ctx.emit({ kind: "progress", bytes: obj.size });
  // A copy whose ETag is not the source's (SSE-KMS: not an MD5 of the data) is recorded, so a re-run and
  // verify can tell it from a different object (skip.ts). Not where an upload of this key is journalled.
  const j = ctx.journal;
  const result = { multipart: false, etag: out.etag };
  if (j && out.etag && bareEtag(out.etag) !== bareEtag(obj.etag) && !j.upload(obj.key)) await recordDone(j, obj, out.etag, result);
  return result;
}

/**
 * CreateMultipartUpload + parallel UploadPartCopy + Complete. A multipart copy does not carry the
 * source's content type and metadata by itself, so they are read first and set on the upload.
 * Every part is pinned to the listed ETag, so a source that changes mid-copy fails instead of mixing.
 */
async function copyMultipart(ctx: CopyContext, obj: ObjInfo, onPartCopied?: () => void, preferredPartSize = ctx.partSize): Promise<CopyResult> {
  const { store, requester, journal } = ctx;
  const from = { bucket: ctx.sourceBucket, key: obj.key, ifMatch: obj.etag };
  // A recorded upload keeps the part size it was started with, so a re-run can continue it.
  const partSize = partSizeFor(obj.size, journal?.upload(obj.key)?.partSize ?? preferredPartSize);
  const ranges = partRanges(obj.size, partSize);
  const resumed = await resumeUpload(ctx, obj, partSize);
  let uploadId = resumed?.uploadId;
  const done = new Map<number, string>(resumed?.parts ?? []);
  if (!uploadId) {
    const head = await requester.send("HeadObject", obj.key, "source", () => store.headObject(from));
    // Written whole before the upload exists, or the run stops here and nothing is created.
    await journal?.intent(obj);
    const since = Date.now();
    let sent = 0;
    const created = await requester.send("CreateMultipartUpload", obj.key, "dest", () => {
      sent += 1;
      return store.createMultipartUpload({ bucket: ctx.destBucket, key: obj.key, head });
    });
    uploadId = created.uploadId;
    if (!uploadId) throw new Error("CreateMultipartUpload returned no upload id");
    try {
      await journal?.started(obj, { uploadId, partSize, sourceEtag: obj.etag ?? "" });
    } catch (err) {
      // An upload the journal does not record would be left: aborted now (else the intent line lets the next run find it).
      if (!(await abortUpload(ctx, obj.key, uploadId))) ctx.emit({ kind: "upload-left", key: obj.key, uploadId, command: cleanupCommand(ctx.destBucket, obj.key) });
      if (sent > 1) await removeLost(ctx, obj.key, uploadId, since);
      throw err;
    }
    // Sent more than once: an earlier attempt may have created an upload whose answer was lost.
    if (sent > 1) await removeLost(ctx, obj.key, uploadId, since);
  }
  for (const r of ranges) if (done.has(r.partNumber)) ctx.emit({ kind: "progress", bytes: r.end - r.start + 1 });

  const failFast = new AbortController();
  const stop = () => failFast.signal.aborted || ctx.signal?.aborted;
  const id = uploadId;
  const copyPart = async (r: PartRange): Promise<void> => {
    if (stop()) return;
    try {
      const out = await requester.send("UploadPartCopy", obj.key, "dest", () => {
        if (stop()) throw new Interrupted();
        return store.uploadPartCopy({ bucket: ctx.destBucket, key: obj.key, uploadId: id, partNumber: r.partNumber, from, range: r.range });
      });
      const etag = out.etag;
      if (!etag) throw new Error(`UploadPartCopy returned no ETag for part ${r.partNumber}`);
      done.set(r.partNumber, etag);
      onPartCopied?.();
      await journal?.partDone(obj, r.partNumber, etag);
      ctx.emit({ kind: "progress", bytes: r.end - r.start + 1 });
    } catch (err) {
      failFast.abort();
      throw err;
    }
  };
  let etag: string | undefined;
  try {
    const todo = ranges.filter((r) => !done.has(r.partNumber));
    // A probe sends its first part alone: where parts are denied, one request says so, not a burst of them.
    if (onPartCopied && todo.length > 1) await copyPart(todo.shift() as PartRange);
    await Promise.all(todo.map(copyPart));
    if (ctx.signal?.aborted) throw new Interrupted();
    const parts = ranges.map((r) => ({ partNumber: r.partNumber, etag: done.get(r.partNumber) ?? "" }));
    etag = await complete(ctx, obj, id, parts);
  } catch (err) {
    // Interrupted, or the journal could not be written (the upload is recorded): keep the upload and its
    // finished parts for the next run. Failed: leave nothing behind.
    if (!(err instanceof Interrupted) && !(err instanceof JournalWriteFailed) && !(journal && ctx.signal?.aborted)) {
      // An upload nobody could abort stays in the journal: the next run or `flexcopy cleanup` removes it.
      if (await abortUpload(ctx, obj.key, id)) await journal?.forget(obj);
      else ctx.emit({ kind: "upload-left", key: obj.key, uploadId: id, command: cleanupCommand(ctx.destBucket, obj.key) });
    }
    if (err instanceof RequestError && err.classified.code === "AccessDenied" && (err.op === "UploadPartCopy" || err.op === "CompleteMultipartUpload")) {
      throw new PartsDenied(err.op);
    }
    throw err;
  }
  const result = { multipart: true, parts: ranges.length, etag };
  if (journal) await recordDone(journal, obj, etag ?? "", result);
  return result;
}

/** `done` for a copy that is in the bucket; a failed write makes it an UnrecordedCopy (counted copied, the run stops). */
async function recordDone(journal: UploadJournal, obj: ObjInfo, etag: string, result: CopyResult): Promise<void> {
  try {
    await journal.finished(obj, etag);
  } catch (err) {
    if (err instanceof JournalWriteFailed) throw new UnrecordedCopy(result, err);
    throw err;
  }
}

/**
 * CompleteMultipartUpload. Answered NoSuchUpload (typically a retry after the first attempt's answer was
 * lost: S3 completed the upload, and it no longer exists), the destination is looked at (one listing of the
 * key, as the role and else the bucket owner): an object of the source's size whose ETag is the one these
 * parts make (records.ts) is this copy, completed. Anything else is the error it was.
 */
async function complete(ctx: CopyContext, obj: ObjInfo, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<string | undefined> {
  try {
    const out = await ctx.requester.send("CompleteMultipartUpload", obj.key, "dest", () => ctx.store.completeMultipartUpload({ bucket: ctx.destBucket, key: obj.key, uploadId, parts }));
    return out.etag;
  } catch (err) {
    if (!(err instanceof RequestError) || err.classified.code !== "NoSuchUpload") throw err;
    const expected = multipartEtag(parts.map((p) => p.etag));
    const there = expected === undefined ? undefined : await destObject(ctx, obj.key).catch(() => undefined);
    if (there && there.size === obj.size && bareEtag(there.etag) === expected) return there.etag;
    throw err;
  }
}

/** The destination's object of this exact key, by listing (the role may list your bucket but not read it). */
async function destObject(ctx: CopyContext, key: string): Promise<ObjInfo | undefined> {
  const listed = ctx.destLister ? ctx.destLister.list(ctx.destBucket, key) : listObjects(ctx, ctx.destBucket, key, "dest");
  for await (const o of listed) if (o.key === key) return o;
  return undefined;
}

/** Aborts the uploads a retried CreateMultipartUpload created besides `keep`; says what could not be. */
async function removeLost(ctx: CopyContext, key: string, keep: string, since: number): Promise<void> {
  const r = await removeLostUploads({ store: ctx.store, requester: ctx.requester, destBucket: ctx.destBucket, owner: ctx.owner }, key, keep, since);
  for (const id of r.left) ctx.emit({ kind: "upload-left", key, uploadId: id, command: cleanupCommand(ctx.destBucket, key) });
  if (r.unchecked) {
    ctx.emit({
      kind: "notice",
      message: `${key}: CreateMultipartUpload was sent again after its answer was lost, and nobody allowed could list the key's uploads: if the first attempt created one, it remains (${cleanupCommand(ctx.destBucket, key)})`,
    });
  }
}

/** The command that removes an upload flexcopy could not abort (the bucket owner's credentials may). */
export const cleanupCommand = cleanupCommandFor;
