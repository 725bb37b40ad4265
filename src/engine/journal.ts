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

/**
 * Where multipart copies in flight are remembered across runs (see state/journal-file.ts): pure
 * storage. What to do with what it holds (continue, abort, remove orphans) is decided by
 * engine/uploads.ts and engine/orphans.ts.
 */
export interface UploadJournal {
  /** The upload recorded for this key, if any. */
  upload(key: string): JournalUpload | undefined;
  /** Written just before CreateMultipartUpload: a crash before `started` leaves an upload only this line points to. */
  intent(obj: ObjInfo): Promise<void>;
  started(obj: ObjInfo, rec: UploadRecord): Promise<void>;
  partDone(obj: ObjInfo, partNumber: number, etag: string): Promise<void>;
  finished(obj: ObjInfo, destEtag: string): Promise<void>;
  forget(obj: ObjInfo): Promise<void>;
  /** Keys whose `intent` was never followed by a recorded upload: uploads of them may be orphaned. */
  intentKeys(): string[];
  /** The orphans of an intent were removed (or there were none). */
  swept(key: string): Promise<void>;
  /** Upload ids this journal records. */
  uploadIds(): Set<string>;
  /** The destination ETag recorded when this flexcopy completed the object's copy (multipart, or SSE-KMS). */
  recordedEtag(key: string): string | undefined;
  /** The source ETag that copy was made from (absent in journals written before it was recorded). */
  recordedSourceEtag?(key: string): string | undefined;
}
