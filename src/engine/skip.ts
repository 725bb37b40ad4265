import type { ObjInfo } from "./storage.js";

/**
 * Storage classes whose objects S3 refuses to copy until restored (403 InvalidObjectState): S3 Glacier
 * Flexible Retrieval and Deep Archive. GLACIER_IR (Instant Retrieval) is not archived and copies as
 * usual (S3 User Guide, "Working with archived objects").
 */
export const ARCHIVED_CLASSES: ReadonlySet<string> = new Set(["GLACIER", "DEEP_ARCHIVE"]);

export type Decision = { action: "copy" | "skip"; reason: string };

/** The fixed reason phrases, for output and tests. */
export const REASONS = {
  missing: "missing",
  forced: "forced",
  sizeDiffers: "size differs",
  etagDiffers: "etag differs",
  same: "same size and etag",
  multipartSameSize: "same size (multipart copy: etag not comparable)",
  recorded: "matches the etag recorded when it was copied",
  sourceChanged: "the source changed since it was copied",
  etagUnknown: "same size (etag unknown)",
  archived: "archived",
} as const;

/** ETag without surrounding quotes (S3 returns `"abc"`, some tools strip them). */
export function bareEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const t = etag.trim().replace(/^W\//, "");
  return t.replace(/^"(.*)"$/, "$1");
}

/** A multipart ETag ends in "-<part count>". */
export function isMultipartEtag(etag: string | undefined): boolean {
  return /-\d+$/.test(bareEtag(etag) ?? "");
}

/**
 * Copy or skip one object, with the reason. A single CopyObject keeps the source ETag, so equal
 * ETags prove the copy; a multipart copy gets a new "-N" ETag, and a copy encrypted with SSE-KMS an
 * ETag that is no MD5 of the data (S3 API Reference, Object: ETag), so those are checked against the
 * ETag recorded when they were made, else (multipart) by size alone.
 *
 * The destination's storage class is never compared: a copy made with `--storage-class` (or moved by your
 * lifecycle rules) keeps its ETag and size, so it is the same object. Above all an object you keep in GLACIER or
 * DEEP_ARCHIVE is not copied again over a class change: that would write a second copy (and, replacing an
 * archived one early, bill S3's minimum storage duration, 90 or 180 days) for nothing.
 */
export function decideCopy(
  src: ObjInfo,
  dest: ObjInfo | undefined,
  opts: { force: boolean; multipartThreshold: number; recordedEtag?: string; recordedSourceEtag?: string },
): Decision {
  const skip = (reason: string): Decision => ({ action: "skip", reason });
  // Whatever the destination holds, an archived source cannot be copied: say so instead of failing.
  const copy = (reason: string): Decision =>
    src.storageClass !== undefined && ARCHIVED_CLASSES.has(src.storageClass) ? skip(`${REASONS.archived} (${src.storageClass})`) : { action: "copy", reason };
  if (dest === undefined) return copy(REASONS.missing);
  if (opts.force) return copy(REASONS.forced);
  if (src.size !== dest.size) return copy(REASONS.sizeDiffers);

  const s = bareEtag(src.etag);
  const d = bareEtag(dest.etag);
  const recorded = bareEtag(opts.recordedEtag);
  if (d === undefined || s === undefined) return skip(REASONS.etagUnknown);
  if (s === d) return skip(REASONS.same);
  if (recorded !== undefined) {
    // We made this copy (multipart, or SSE-KMS); a different ETag now means someone replaced it since, and a
    // source ETag other than the one it was copied from means the provider replaced the source.
    const from = bareEtag(opts.recordedSourceEtag);
    if (from !== undefined && from !== s) return copy(REASONS.sourceChanged);
    return d === recorded ? skip(REASONS.recorded) : copy(REASONS.etagDiffers);
  }
  if (isMultipartEtag(d) && !isMultipartEtag(s)) return skip(REASONS.multipartSameSize);
  if (src.size >= opts.multipartThreshold) return skip(REASONS.multipartSameSize);
  return copy(REASONS.etagDiffers);
}
