import type { CopyContext } from "./copy.js";
import type { ObjInfo } from "./skip.js";

export interface UploadRecord {
  uploadId: string;
  partSize: number;
  sourceEtag: string;
}

/**
 * Where multipart copies in flight are remembered across runs (see state/journal-file.ts), so a
 * re-run continues an upload instead of starting over.
 */
export interface UploadJournal {
  /** An upload to continue for this object, with its finished parts; undefined to start fresh. */
  resume(ctx: CopyContext, obj: ObjInfo, partSize: number): Promise<{ uploadId: string; parts: [number, string][] } | undefined>;
  started(obj: ObjInfo, rec: UploadRecord): Promise<void>;
  partDone(obj: ObjInfo, partNumber: number, etag: string): Promise<void>;
  finished(obj: ObjInfo, destEtag: string): Promise<void>;
  forget(obj: ObjInfo): Promise<void>;
  /** An earlier run started a multipart upload of this key with finished parts (so parts were allowed then). */
  hasParts(key: string): boolean;
  /** The destination ETag recorded when this flexcopy completed the object's multipart copy. */
  recordedEtag(key: string): string | undefined;
}
