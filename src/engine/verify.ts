import pLimit from "p-limit";
import { compareKeys, listObjects, type Listing } from "./listing.js";
import type { ObjInfo } from "./skip.js";

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
}

export interface DayVerify extends VerifyCounts {
  day: string;
  /** Problems and size-only notes of the day, in key order. */
  findings: VerifyFinding[];
}

export interface VerifyReport extends VerifyCounts {
  days: number;
  /** missing + sizeMismatch + etagMismatch + extra. */
  problems: number;
  /** The signal stopped the run before every unit was verified. */
  interrupted: boolean;
}

export interface VerifyDeps {
  /** Lists both buckets; the role may list the destination but never reads objects there. */
  listing: Listing;
  sourceBucket: string;
  destBucket: string;
  /** Each day's result, in the order of `units`, as soon as it and the days before it are done. */
  onDay?: (day: DayVerify) => void;
}

export interface VerifyOptions {
  /** The destination ETag the resume journal recorded for a multipart copy; undefined if none. */
  recordedEtag?: (key: string) => string | undefined;
  /** Days listed at once. Default 8. */
  dayConcurrency?: number;
  signal?: AbortSignal;
}

export function emptyCounts(): VerifyCounts {
  return { ok: 0, missing: 0, sizeMismatch: 0, etagMismatch: 0, extra: 0, sizeOnly: 0 };
}

export function problemCount(c: VerifyCounts): number {
  return c.missing + c.sizeMismatch + c.etagMismatch + c.extra;
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^W\//, "").replace(/"/g, "");

/** A multipart ETag ends in "-<parts>"; it is not an MD5 of the content and differs between copies. */
export const isMultipartEtag = (etag: string | undefined): boolean => /-\d+$/.test(unquote(etag) ?? "");

/**
 * Compares one source object with its destination counterpart (both present, same key).
 * Single-part copies keep the source ETag; a multipart copy gets a new one, which is checked against
 * the ETag recorded when flexcopy completed it, or else only the size is checked.
 */
export function compareObject(s: ObjInfo, d: ObjInfo, recorded?: string): { status: "ok" | VerifyStatus; note: string } {
  if (s.size !== d.size) return { status: "size-mismatch", note: `source ${s.size} bytes, destination ${d.size} bytes` };
  const se = unquote(s.etag);
  const de = unquote(d.etag);
  if (se !== undefined && se === de) return { status: "ok", note: "" };
  if (de === undefined || se === undefined) return { status: "size-only", note: "size only (no ETag listed)" };
  if (isMultipartEtag(de) || isMultipartEtag(se)) {
    const rec = unquote(recorded);
    if (rec === undefined) return { status: "size-only", note: "size only (multipart)" };
    if (rec === de) return { status: "ok", note: "" };
    return { status: "etag-mismatch", note: `destination ETag ${de} differs from ${rec} recorded when flexcopy copied it` };
  }
  return { status: "etag-mismatch", note: `source ETag ${se}, destination ETag ${de}` };
}

/**
 * Full outer merge join of two listings in S3 key order: [source, dest] with either side missing.
 * Holds one page of each listing, however many objects the prefix has.
 */
export async function* joinListings(
  source: AsyncIterable<ObjInfo>,
  dest: AsyncIterable<ObjInfo>,
): AsyncGenerator<[ObjInfo | undefined, ObjInfo | undefined]> {
  const si = source[Symbol.asyncIterator]();
  const di = dest[Symbol.asyncIterator]();
  try {
    let s = await si.next();
    let d = await di.next();
    while (!s.done || !d.done) {
      const order = s.done ? 1 : d.done ? -1 : compareKeys(s.value.key, d.value.key);
      if (order === 0 && !s.done && !d.done) {
        yield [s.value, d.value];
        s = await si.next();
        d = await di.next();
      } else if (order < 0 && !s.done) {
        yield [s.value, undefined];
        s = await si.next();
      } else if (!d.done) {
        yield [undefined, d.value];
        d = await di.next();
      }
    }
  } finally {
    await si.return?.();
    await di.return?.();
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

/** Verifies one day (or prefix unit): lists both sides and compares them key by key. */
export async function verifyDay(deps: VerifyDeps, day: string, opts: VerifyOptions = {}): Promise<DayVerify> {
  const { listing, sourceBucket, destBucket } = deps;
  const result: DayVerify = { day, ...emptyCounts(), findings: [] };
  const pairs = joinListings(listObjects(listing, sourceBucket, day, "source"), listObjects(listing, destBucket, day, "dest"));
  for await (const [s, d] of pairs) {
    let status: "ok" | VerifyStatus;
    let note: string;
    if (s === undefined && d !== undefined) {
      status = "extra";
      note = `in the destination only (${d.size} bytes)`;
    } else if (s !== undefined && d === undefined) {
      status = "missing";
      note = `not in the destination (${s.size} bytes in the source)`;
    } else if (s !== undefined && d !== undefined) {
      ({ status, note } = compareObject(s, d, opts.recordedEtag?.(s.key)));
    } else continue;
    tally(result, status);
    if (status !== "ok") result.findings.push({ day, key: (s ?? d)!.key, status, note });
  }
  return result;
}

/**
 * Verifies the given units (day prefixes from planDays, or prefix selectors): every source object
 * must be in the destination with the same size (and ETag where comparable), and the destination
 * must hold nothing else under those prefixes. Only listings are used (ListObjectsV2 on both
 * buckets), never HeadObject/GetObject on the destination. Days run a few at a time; results are
 * reported through `deps.onDay` in unit order. Listing errors (e.g. AccessDenied) are thrown.
 */
export async function runVerify(deps: VerifyDeps, units: string[], opts: VerifyOptions = {}): Promise<VerifyReport> {
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
    deps.onDay?.(day);
  }
  if (failure) throw failure.e;
  total.problems = problemCount(total);
  total.interrupted = total.days < units.length;
  return total;
}
