import type { ObjInfo } from "./storage.js";

export interface UploadRecord {
  uploadId: string;
  partSize: number;
  sourceEtag: string;
}

/** A multipart upload the journal recorded, with the parts it saw finish. */
export interface JournalUpload extends UploadRecord {
  size: number;
  parts: Map<number, string>;
}

/** A completed copy the journal recorded: the destination ETag, the source ETag it was made from, when (ms). */
export interface CompletedRecord {
  etag: string;
  sourceEtag?: string;
  at?: number;
}

/**
 * A journal line could not be written (a full disk, a file size limit, an I/O error): not a copy error.
 * The run stops (uploads whose `start` is recorded are kept for the next run) and says which file and why.
 */
export class JournalWriteFailed extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot write the resume journal ${file}: ${reason}`);
    this.name = "JournalWriteFailed";
  }
}

/**
 * Where multipart copies in flight are remembered across runs (see state/journal-file.ts): pure
 * storage. What to do with what it holds (continue, abort, remove orphans) is decided by
 * engine/uploads.ts and engine/orphans.ts. Every write either lands as a whole line or throws
 * JournalWriteFailed.
 */
export interface UploadJournal {
  /** The upload recorded for this key, if any. */
  upload(key: string): JournalUpload | undefined;
  /** Written just before CreateMultipartUpload: a crash before `started` leaves an upload only this line points to. */
  intent(obj: ObjInfo): Promise<void>;
  started(obj: ObjInfo, rec: UploadRecord): Promise<void>;
  partDone(obj: ObjInfo, partNumber: number, etag: string): Promise<void>;
  /** Completed: `sourceEtag` is what the copy was made from (default: the object's listed ETag). */
  finished(obj: ObjInfo, destEtag: string, sourceEtag?: string): Promise<void>;
  forget(obj: ObjInfo): Promise<void>;
  /** Keys whose `intent` was never followed by a recorded upload: uploads of them may be orphaned. */
  intentKeys(): string[];
  /** When each unresolved intent of a key was written (ms since the epoch); undefined for intents of older journals. */
  intentTimes?(key: string): (number | undefined)[];
  /** When this journal was first created (ms), if it says (older journals do not). */
  createdAt?(): number | undefined;
  /** Created by this run: nothing was there before (a first run, or the file or state directory was deleted). */
  readonly fresh?: boolean;
  /** The orphans of an intent were removed (or there were none). */
  swept(key: string): Promise<void>;
  /** Upload ids this journal records. */
  uploadIds(): Set<string>;
  /** The destination ETag recorded when this flexcopy completed the object's copy (multipart, or SSE-KMS). */
  recordedEtag(key: string): string | undefined;
  /** The source ETag that copy was made from (absent in journals written before it was recorded). */
  recordedSourceEtag?(key: string): string | undefined;
  /** The whole completed record (with its time). */
  completed?(key: string): CompletedRecord | undefined;
}
