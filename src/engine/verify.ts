import type { DestinationLister } from "./dest-listing.js";
import pLimit from "p-limit";
import { compareDay, type Comparison } from "./compare.js";
import { listObjects, type Listing } from "./listing.js";
import { ARCHIVED_CLASSES, bareEtag } from "./skip.js";
import type { ObjInfo } from "./storage.js";

/**
 * What verify says of one key. Problems: missing (in the source, not in the destination),
 * size-mismatch, etag-mismatch, extra (in the destination, not in the source). "size-only" is not a
 * problem: the sizes match but the ETags cannot be compared (a multipart copy whose ETag the
 * journal did not record).
 */
export type VerifyStatus = "missing" | "size-mismatch" | "etag-mismatch" | "extra" | "size-only";

export interface VerifyFinding {
  day: string;
  key: string;
  status: VerifyStatus;
  note: string;
}

export interface VerifyCounts {
  ok: number;
  missing: number;
  sizeMismatch: number;
  etagMismatch: number;
  extra: number;
  /** Counted in `ok` too: matched by size because the ETags were not comparable. */
  sizeOnly: number;
  /** Source objects of days outside the contract (none copied, the source denied): not problems. */
  notEntitled: number;
  /** Source objects in GLACIER / DEEP_ARCHIVE not in the destination: fetch cannot copy them; not problems. */
  archived: number;
}

/** Objects of the destination by storage class (a listing without one: STANDARD). */
export type ClassCounts = Record<string, number>;

export interface DayVerify extends VerifyCounts {
  day: string;
  /** The verified objects of your bucket by storage class (`--storage-class`, lifecycle rules). */
  storageClasses?: ClassCounts;
  /** Problems and size-only notes of the day, in key order. */
  findings: VerifyFinding[];
}

export interface VerifyReport extends VerifyCounts {
  days: number;
  /** The verified objects of your bucket by storage class, over every day. */
  storageClasses?: ClassCounts;
  /** missing + sizeMismatch + etagMismatch + extra. */
  problems: number;
  /** The signal stopped the run before every unit was verified. */
  interrupted: boolean;
}

export interface VerifyDeps {
  /** Lists both buckets; the role may list the destination but never reads objects there. */
  listing: Listing;
  /** Lists the destination (dest-listing.ts: the role, else your credentials); default: `listing` alone. */
  destLister?: DestinationLister;
  sourceBucket: string;
  destBucket: string;
  /** Each day's result, in the order of `units`, as soon as it and the days before it are done. */
  onDay?: (day: DayVerify) => void;
}

export interface VerifyOptions {
  /** The destination ETag the resume journal recorded for a multipart copy; undefined if none. */
  recordedEtag?: (key: string) => string | undefined;
  /** The source ETag that recorded copy was made from. */
  recordedSourceEtag?: (key: string) => string | undefined;
  /** fetch's --multipart-threshold (config's multipartThreshold): objects at least this large were copied in parts. */
  multipartThreshold: number;
  /**
   * Whether the provider's role may read a source object (one HeadObject). Asked only for a day of
   * which nothing is in the destination: a denied day is counted as not entitled, not as missing.
   */
  entitled?: (day: string, key: string) => Promise<boolean>;
  /** --include/--exclude/--match: objects (listed under a unit) to leave out on both sides. */
  keep?: (key: string, unit: string) => boolean;
  /** Days listed at once. Default 8. */
  dayConcurrency?: number;
  signal?: AbortSignal;
}

export function emptyCounts(): VerifyCounts {
  return { ok: 0, missing: 0, sizeMismatch: 0, etagMismatch: 0, extra: 0, sizeOnly: 0, notEntitled: 0, archived: 0 };
}

export function problemCount(c: VerifyCounts): number {
  return c.missing + c.sizeMismatch + c.etagMismatch + c.extra;
}

async function collect(items: AsyncIterable<ObjInfo>): Promise<ObjInfo[]> {
  const out: ObjInfo[] = [];
  for await (const o of items) out.push(o);
  return out;
}

const etagOf = (o: ObjInfo | undefined): string => bareEtag(o?.etag) ?? "?";

/** The status and note of one comparison, with the sizes and ETags that explain it. */
function finding(c: Comparison, s: ObjInfo | undefined, d: ObjInfo | undefined): { status: "ok" | VerifyStatus; note: string } {
  switch (c.status) {
    case "ok":
      return c.note?.startsWith("size only") ? { status: "size-only", note: c.note } : { status: "ok", note: c.note ?? "" };
    case "missing":
      return { status: "missing", note: `${s?.size ?? "?"} bytes in the source, not in the destination` };
    case "size-mismatch":
      return { status: "size-mismatch", note: `source ${s?.size ?? "?"} bytes, destination ${d?.size ?? "?"} bytes` };
    case "etag-mismatch":
      return { status: "etag-mismatch", note: `${c.note ? `${c.note}: ` : ""}source ETag ${etagOf(s)}, destination ETag ${etagOf(d)}` };
    case "extra":
      return { status: "extra", note: `${d?.size ?? "?"} bytes in the destination, not in the source` };
  }
}

function tally(c: VerifyCounts, status: "ok" | VerifyStatus): void {
  if (status === "ok") c.ok += 1;
  else if (status === "size-only") {
    c.ok += 1;
    c.sizeOnly += 1;
  } else if (status === "missing") c.missing += 1;
  else if (status === "size-mismatch") c.sizeMismatch += 1;
  else if (status === "etag-mismatch") c.etagMismatch += 1;
  else c.extra += 1;
}

function addClass(c: ClassCounts, storageClass: string, n: number): void {
  c[storageClass] = (c[storageClass] ?? 0) + n;
}

/** Verifies one day (or prefix unit): lists both sides and compares them key by key. */
export async function verifyDay(deps: VerifyDeps, day: string, opts: VerifyOptions): Promise<DayVerify> {
  const { listing, sourceBucket, destBucket } = deps;
  const result: DayVerify = { day, ...emptyCounts(), findings: [] };
  // One day is at most a few hundred objects: both listings are held, then compared like fetch's skip rule.
  const keep = (o: ObjInfo) => !opts.keep || opts.keep(o.key, day);
  const [listed, dest] = await Promise.all([
    collect(listObjects(listing, sourceBucket, day, "source")).then((l) => l.filter(keep)),
    collect(deps.destLister ? deps.destLister.list(destBucket, day) : listObjects(listing, destBucket, day, "dest")).then((l) => l.filter(keep)),
  ]);
  const inDest = new Set(dest.map((o) => o.key));
  for (const o of dest) addClass((result.storageClasses ??= {}), o.storageClass ?? "STANDARD", 1);
  const archived = (o: ObjInfo) => o.storageClass !== undefined && ARCHIVED_CLASSES.has(o.storageClass) && !inDest.has(o.key);
  const src = listed.filter((o) => !archived(o));
  result.archived = listed.length - src.length;
  if (dest.length === 0 && src[0] && opts.entitled && !(await opts.entitled(day, src[0].key))) {
    result.notEntitled = src.length;
    return result;
  }
  const recorded = new Map<string, string>();
  const recordedSource = new Map<string, string>();
  if (opts.recordedEtag) {
    for (const s of src) {
      const etag = opts.recordedEtag(s.key);
      if (etag !== undefined) recorded.set(s.key, etag);
      const from = opts.recordedSourceEtag?.(s.key);
      if (from !== undefined) recordedSource.set(s.key, from);
    }
  }
  const srcByKey = new Map(src.map((o) => [o.key, o]));
  const destByKey = new Map(dest.map((o) => [o.key, o]));
  for (const c of compareDay(src, dest, { recorded, recordedSource, multipartThreshold: opts.multipartThreshold })) {
    const { status, note } = finding(c, srcByKey.get(c.key), destByKey.get(c.key));
    tally(result, status);
    if (status !== "ok") result.findings.push({ day, key: c.key, status, note });
  }
  return result;
}

/**
 * Verifies the given units (day prefixes from planDays, or prefix selectors): every source object
 * must be in the destination with the same size (and ETag where comparable), and the destination
 * must hold nothing else under those prefixes. The rules are fetch's skip rules (compareDay), so
 * every missing or mismatched object is one that a re-run of fetch copies again. Only listings are
 * used (ListObjectsV2 on both buckets), never HeadObject/GetObject on the destination. Days run a
 * few at a time; results are reported through `deps.onDay` in unit order. Listing errors (e.g.
 * AccessDenied) are thrown.
 */
export async function runVerify(deps: VerifyDeps, units: string[], opts: VerifyOptions): Promise<VerifyReport> {
  const total: VerifyReport = { days: 0, ...emptyCounts(), problems: 0, interrupted: false };
  const limit = pLimit(Math.max(1, opts.dayConcurrency ?? 8));
  // The first listing error stops further days from starting and is rethrown once the rest settle.
  let failure: { e: unknown } | undefined;
  const pending = units.map((day) =>
    limit(async () => {
      if (failure || opts.signal?.aborted) return undefined;
      try {
        return await verifyDay(deps, day, opts);
      } catch (e) {
        failure ??= { e };
        return undefined;
      }
    }),
  );
  for (const p of pending) {
    const day = await p;
    if (failure || day === undefined) continue;
    total.days += 1;
    for (const k of Object.keys(emptyCounts()) as (keyof VerifyCounts)[]) total[k] += day[k];
    for (const [sc, n] of Object.entries(day.storageClasses ?? {})) addClass((total.storageClasses ??= {}), sc, n);
    deps.onDay?.(day);
  }
  if (failure) throw failure.e;
  total.problems = problemCount(total);
  total.interrupted = total.days < units.length;
  return total;
}
