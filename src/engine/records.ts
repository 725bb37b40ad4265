import { createHash } from "node:crypto";
import type { CompletedRecord, JournalUpload, UploadJournal } from "./journal.js";
import { bareEtag } from "./skip.js";

/**
 * The ETag S3 gives an object completed from these parts: the MD5 of the parts' binary MD5s, one after
 * the other, then "-" and the part count. The S3 API Reference calls an ETag opaque ("may or may not be an
 * MD5 digest of the object data"); this rule is S3's observed behaviour, relayed from an AWS employee in
 * https://github.com/basho/riak_cs/issues/855 and described as S3's in Cloudflare R2's docs
 * (developers.cloudflare.com/r2/objects/multipart-objects), and the emulator's. Where S3 answers otherwise
 * the expected ETag does not match and flexcopy does what it did without it: a copy is never counted as
 * made on a guess. Undefined where a part ETag is no MD5 (32 hex digits).
 */
export function multipartEtag(partEtags: string[]): string | undefined {
  const hex = partEtags.map((e) => bareEtag(e) ?? "");
  if (hex.length === 0 || hex.some((h) => !/^[0-9a-f]{32}$/i.test(h))) return undefined;
  const md5 = createHash("md5");
  for (const h of hex) md5.update(Buffer.from(h, "hex"));
  return `${md5.digest("hex")}-${hex.length}`;
}

/**
 * The ETag the journal's recorded upload would have once completed: known when the journal saw every
 * part finish (parts 1..N of its part size). A `start` without its `done` (the Complete's answer lost, or a
 * crash after it) is then still a proof of which copy the destination holds.
 */
export function expectedEtag(u: JournalUpload): string | undefined {
  const count = Math.max(1, Math.ceil(u.size / u.partSize));
  const etags: string[] = [];
  for (let n = 1; n <= count; n++) {
    const e = u.parts.get(n);
    if (e === undefined) return undefined;
    etags.push(e);
  }
  return multipartEtag(etags);
}

/** What the journals say of a key's copy: a completed record, or the one a recorded upload would make. */
export interface KeyRecord {
  /** The destination ETag this flexcopy made (or would make, `pending`). */
  etag: string;
  /** The source ETag it was copied from. */
  sourceEtag?: string;
  /** From a recorded upload not (yet) known to be completed. */
  pending?: boolean;
}

/**
 * One rule for fetch and verify: what every journal of the bucket records of `key` (the run's own first,
 * then those of other shards or the main one). The newest completed record wins (by its time; records
 * without a time count as oldest); with none, an upload whose parts are all recorded gives its expected ETag.
 */
export function journalRecord(journals: readonly (UploadJournal | undefined)[], key: string): KeyRecord | undefined {
  let best: CompletedRecord | undefined;
  for (const j of journals) {
    if (!j) continue;
    const c = j.completed?.(key) ?? completedOf(j, key);
    if (c && (best === undefined || (c.at ?? -1) > (best.at ?? -1))) best = c;
  }
  for (const j of journals) {
    const u = j?.upload(key);
    const etag = u && expectedEtag(u);
    // A recorded upload newer than the completed record (it is only forgotten or completed later).
    if (u && etag) return { etag, sourceEtag: u.sourceEtag, pending: true };
  }
  return best && { etag: best.etag, ...(best.sourceEtag === undefined ? {} : { sourceEtag: best.sourceEtag }) };
}

function completedOf(j: UploadJournal, key: string): CompletedRecord | undefined {
  const etag = j.recordedEtag(key);
  if (etag === undefined) return undefined;
  const sourceEtag = j.recordedSourceEtag?.(key);
  return sourceEtag === undefined ? { etag } : { etag, sourceEtag };
}
