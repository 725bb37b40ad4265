import { isAuthFailure } from "../aws/classify.js";
import { abortListed, IdentityFallback, listUploads, type Identity } from "./cleanup.js";
import type { Emit } from "./events.js";
import type { UploadJournal } from "./journal.js";
import { expectedEtag } from "./records.js";
import { bareEtag } from "./skip.js";
import type { Listing } from "./listing.js";
import { RequestError } from "./request.js";
import type { ObjInfo, UploadInfo } from "./storage.js";

/**
 * What the engine needs to continue or remove a multipart upload: the role's client (it created
 * the upload) and, when known, the bucket owner's (base) credentials. Under the provider manual's
 * bucket policy the role may create uploads but not list, list parts of, or abort them; the bucket
 * owner may (S3 grants the owner s3:ListBucketMultipartUploads, s3:ListMultipartUploadParts and
 * s3:AbortMultipartUpload on its bucket by default).
 */
export interface UploadAccess extends Listing {
  destBucket: string;
  journal?: UploadJournal;
  /** The bucket owner's (base) credentials; absent with `--credentials env`. */
  owner?: Listing;
}

const codeOf = (err: unknown): string | undefined => (err instanceof RequestError ? err.classified.code : undefined);
/** Refused to this identity (a denial, or another 403 but InvalidObjectState): the bucket owner may do it instead. */
const isDenied = (err: unknown): boolean => err instanceof RequestError && isAuthFailure(err);

/** Runs `fn` as the role, and again as the bucket owner if the role is denied. */
export async function asRoleThenOwner<T>(a: UploadAccess, fn: (l: Listing) => Promise<T>): Promise<T> {
  try {
    return await fn(a);
  } catch (err) {
    if (!a.owner || !isDenied(err)) throw err;
    return fn(a.owner);
  }
}

/**
 * Aborts an upload, as the role and else as the bucket owner. True when it is gone (aborted, or
 * already gone); false when nobody allowed could abort it (it stays in the journal for the next
 * run or `flexcopy cleanup`). Never throws: a failed abort must not hide the copy's own error.
 */
export async function abortUpload(a: UploadAccess, key: string, uploadId: string): Promise<boolean> {
  try {
    await asRoleThenOwner(a, (l) =>
      l.requester.send("AbortMultipartUpload", key, "dest", () => l.store.abortMultipartUpload({ bucket: a.destBucket, key, uploadId })),
    );
    return true;
  } catch (err) {
    return codeOf(err) === "NoSuchUpload";
  }
}

/** Parts of an upload, "gone" if the upload no longer exists, undefined if nobody may list them. */
async function listParts(a: UploadAccess, key: string, uploadId: string): Promise<Map<number, string> | "gone" | undefined> {
  try {
    return await asRoleThenOwner(a, async (l) => {
      const parts = new Map<number, string>();
      let marker: string | undefined;
      do {
        const out = await l.requester.send("ListParts", key, "dest", () => l.store.listParts({ bucket: a.destBucket, key, uploadId, marker }));
        for (const p of out.parts) parts.set(p.partNumber, p.etag);
        marker = out.next;
      } while (marker);
      return parts;
    });
  } catch (err) {
    if (codeOf(err) === "NoSuchUpload") return "gone";
    if (isDenied(err)) return undefined;
    throw err;
  }
}

/**
 * The upload to continue for this object, with its finished parts, or undefined to start fresh.
 * An upload recorded for another version of the source (ETag, size or part size changed) is
 * aborted and forgotten; if it cannot be aborted the object fails and the journal keeps the upload,
 * so it is never lost (a re-run with the owner's credentials, or `flexcopy cleanup`, removes it).
 */
export async function resumeUpload(a: UploadAccess, obj: ObjInfo, partSize: number): Promise<{ uploadId: string; parts: [number, string][] } | undefined> {
  const u = a.journal?.upload(obj.key);
  if (!a.journal || !u) return undefined;
  if (u.sourceEtag !== (obj.etag ?? "") || u.partSize !== partSize || u.size !== obj.size) {
    if (!(await abortUpload(a, obj.key, u.uploadId))) {
      throw new Error(`the incomplete upload ${u.uploadId} of an earlier version of this object could not be aborted; run flexcopy cleanup with the bucket owner's credentials`);
    }
    await a.journal.forget(obj);
    return undefined;
  }
  const listed = await listParts(a, obj.key, u.uploadId);
  if (listed === "gone") {
    await a.journal.forget(obj);
    return undefined;
  }
  // The server's list is the truth when it may be read (a part may have finished just before a
  // crash, before its journal line); otherwise the journal's own record.
  return { uploadId: u.uploadId, parts: [...(listed ?? u.parts)] };
}

/** What became of the uploads a retried CreateMultipartUpload may have created besides the one it returned. */
export interface LostUploads {
  removed: number;
  /** Found but nobody allowed could abort them. */
  left: string[];
  /** Nobody allowed could list the key's uploads: one may remain unseen. */
  unchecked: boolean;
}

/**
 * A CreateMultipartUpload that was sent more than once (its response lost to a reset or timeout, then
 * retried) may have created an upload on each attempt; only the last one's id came back. The others
 * are found with one ListMultipartUploads of the key (the bucket owner first: under the manual's policy
 * the role may not list uploads) and aborted: those started since `since` (minus a margin for clock
 * skew) and not `keep`. Never throws.
 */
export async function removeLostUploads(a: UploadAccess, key: string, keep: string, since: number): Promise<LostUploads> {
  const ids: Identity[] = a.owner ? [{ name: "base", listing: a.owner }, { name: "role", listing: a }] : [{ name: "role", listing: a }];
  const lister = new IdentityFallback("ListMultipartUploads", ids);
  const aborter = new IdentityFallback("AbortMultipartUpload", ids);
  const out: LostUploads = { removed: 0, left: [], unchecked: false };
  const lost: UploadInfo[] = [];
  try {
    for await (const u of listUploads(lister, a.destBucket, key)) {
      if (u.key === key && u.uploadId !== keep && (u.initiated === undefined || u.initiated.getTime() >= since - LOST_UPLOAD_SKEW_MS)) lost.push(u);
    }
  } catch {
    out.unchecked = true;
    return out;
  }
  for (const u of lost) {
    try {
      await abortListed(aborter, a.destBucket, u);
      out.removed += 1;
    } catch {
      out.left.push(u.uploadId);
    }
  }
  return out;
}

/** How far S3's clock may be off ours when telling this run's lost uploads from older ones (15 min: SigV4's own limit). */
export const LOST_UPLOAD_SKEW_MS = 15 * 60_000;

/**
 * An object this run does not copy in parts (skipped, or copied with CopyObject) whose upload the journal
 * still holds: the upload is never left behind. Where the destination holds what the upload would have made
 * (its Complete's answer was lost, or the run died right after it), the copy is recorded as done; otherwise
 * the upload is aborted (as the role, else the bucket owner) and forgotten, or said to be left with the
 * cleanup command where nobody may abort it. Journal write failures are thrown (JournalWriteFailed).
 */
export async function settleRecordedUpload(a: UploadAccess & { emit: Emit }, obj: ObjInfo, dest: ObjInfo | undefined): Promise<void> {
  const u = a.journal?.upload(obj.key);
  if (!a.journal || !u) return;
  const expected = expectedEtag(u);
  if (dest && expected !== undefined && dest.size === u.size && bareEtag(dest.etag) === expected) {
    await a.journal.finished(obj, dest.etag ?? expected, u.sourceEtag);
    return;
  }
  if (await abortUpload(a, obj.key, u.uploadId)) await a.journal.forget(obj);
  else a.emit({ kind: "upload-left", key: obj.key, uploadId: u.uploadId, command: cleanupCommandFor(a.destBucket, obj.key) });
}

/** The command that removes an upload flexcopy could not abort (the bucket owner's credentials may). */
export function cleanupCommandFor(bucket: string, key: string): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `flexcopy cleanup --dest-bucket ${q(bucket)} --prefix ${q(key)}`;
}
