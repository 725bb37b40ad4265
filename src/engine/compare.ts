import { decideCopy, REASONS } from "./skip.js";
import type { ObjInfo } from "./storage.js";

export type CompareStatus = "ok" | "missing" | "size-mismatch" | "etag-mismatch" | "extra";

export interface Comparison {
  key: string;
  status: CompareStatus;
  note?: string;
}

export const SIZE_ONLY_NOTE = "size only (multipart)";

/**
 * Compares one day's source and destination listings (full keys; a copy keeps the source key).
 * Uses the same rules as the skip decision, so whatever this reports as a problem a re-run of
 * fetch copies again: single-part copies keep the source ETag; a multipart copy is checked
 * against the ETag recorded when it was made, else by size alone (note "size only (multipart)").
 * Results are in key order; keys only in the destination are "extra".
 */
export function compareDay(
  src: ObjInfo[],
  dest: ObjInfo[],
  opts: { recorded?: Map<string, string>; recordedSource?: Map<string, string>; multipartThreshold: number },
): Comparison[] {
  const destByKey = new Map(dest.map((d) => [d.key, d]));
  const srcKeys = new Set(src.map((s) => s.key));
  const out: Comparison[] = [];
  for (const s of src) {
    const recordedEtag = opts.recorded?.get(s.key);
    const recordedSourceEtag = opts.recordedSource?.get(s.key);
    const d = destByKey.get(s.key);
    const decision = decideCopy(s, d, {
      force: false,
      multipartThreshold: opts.multipartThreshold,
      ...(recordedEtag === undefined ? {} : { recordedEtag }),
      ...(recordedSourceEtag === undefined ? {} : { recordedSourceEtag }),
    });
    out.push(toComparison(s.key, decision.reason, recordedEtag !== undefined));
  }
  for (const d of dest) {
    if (!srcKeys.has(d.key)) out.push({ key: d.key, status: "extra" });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function toComparison(key: string, reason: string, recorded: boolean): Comparison {
  switch (reason) {
    case REASONS.same:
      return { key, status: "ok" };
    case REASONS.recorded:
      return { key, status: "ok", note: "matches the etag recorded when it was copied" };
    case REASONS.multipartSameSize:
      return { key, status: "ok", note: SIZE_ONLY_NOTE };
    case REASONS.etagUnknown:
      return { key, status: "ok", note: "size only (etag unknown)" };
    case REASONS.missing:
      return { key, status: "missing" };
    case REASONS.sizeDiffers:
      return { key, status: "size-mismatch" };
    case REASONS.sourceChanged:
      return { key, status: "etag-mismatch", note: "the source changed since it was copied" };
    default:
      return recorded
        ? { key, status: "etag-mismatch", note: "differs from the etag recorded when it was copied" }
        : { key, status: "etag-mismatch" };
  }
}
