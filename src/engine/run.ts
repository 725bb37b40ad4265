import pLimit from "p-limit";
import { classifyError, isAccessDenied } from "../aws/classify.js";
import { ContractGate, sourceReadable } from "./contract.js";
import { copyOne, Interrupted, MultipartDenied, UnrecordedCopy, type CopyContext } from "./copy.js";
import { JournalWriteFailed } from "./journal.js";
import { journalRecord } from "./records.js";
import { settleRecordedUpload } from "./uploads.js";
import { emptySummary, type RunSummary } from "./events.js";
import { DestinationLister } from "./dest-listing.js";
import { Refusals } from "./refusals.js";
import { listObjects, pairListings } from "./listing.js";
import { EndpointGone, RequestError } from "./request.js";
import { decideCopy, REASONS } from "./skip.js";
import type { ObjInfo } from "./storage.js";

export interface RunOptions {
  force: boolean;
  dryRun: boolean;
  /** Objects being copied at once (each may have many parts in flight); bounds memory, not requests. */
  maxObjectsInFlight: number;
  /** Only these keys (e.g. `--retry-failed`); everything else in the units is left alone. */
  onlyKeys?: Set<string>;
  /** --include/--exclude/--match: false leaves the object (listed under `unit`) out entirely. */
  filter?: (key: string, unit: string) => boolean;
  /** A dry run's plan, per unit: the sizes of the objects it would copy (inside the contract), for the cost estimate. */
  planned?: (unit: string, sizes: number[]) => void;
  now?: () => number;
  /** Copies in flight and none finished for this long: a `stalled` warning (default STALL_WARN_MS). */
  stallWarnMs?: number;
}

/**
 * Nothing finished for a minute while copies are in flight: said (`stalled`), so a stalled connection does not
 * look like a hang. FLEX days finish a part every few seconds at any concurrency; a minute of silence is not normal.
 * Said again every STALL_REPEAT_MS while it lasts.
 */
export const STALL_WARN_MS = 60_000;
const STALL_REPEAT_MS = 5 * 60_000;

/**
 * Thrown when the destination refused every copy and nothing was copied (exit 3, not 10,000 failures); decided
 * only once every copy in flight has settled (refusals.ts).
 */
export class DestinationDenied extends Error {
  constructor(
    readonly hint: string,
    units?: string,
  ) {
    super(`the destination bucket refused the copy (AccessDenied)${units ? ` in ${units}` : ""}; nothing was copied`);
    this.name = "DestinationDenied";
  }
}

interface DayCount {
  objects: number;
  bytes: number;
  toCopy: number;
  toCopyBytes: number;
  /** Objects that would be copied but lie outside the contract (the role may not read the day). */
  notEntitled: number;
  notEntitledBytes: number;
}

/** The run's destination lister (dest-listing.ts): the context's, or one made for it on first use. */
function destLister(ctx: CopyContext): DestinationLister {
  ctx.destLister ??= new DestinationLister({ store: ctx.store, requester: ctx.requester }, ctx.owner, (message) => ctx.emit({ kind: "notice", message }));
  return ctx.destLister;
}

async function* pairs(ctx: CopyContext, opts: RunOptions, prefix: string): AsyncGenerator<[ObjInfo, ObjInfo | undefined]> {
  const l = { store: ctx.store, requester: ctx.requester };
  const all = pairListings(listObjects(l, ctx.sourceBucket, prefix, "source"), destLister(ctx).list(ctx.destBucket, prefix));
  for await (const pair of all) if (keep(opts, pair[0].key, prefix)) yield pair;
}

function keep(opts: RunOptions, key: string, unit: string): boolean {
  return (!opts.onlyKeys || opts.onlyKeys.has(key)) && (!opts.filter || opts.filter(key, unit));
}

function decide(ctx: CopyContext, opts: RunOptions, s: ObjInfo, d: ObjInfo | undefined) {
  // What every journal of the bucket records (records.ts), as verify reads it.
  const r = journalRecord([ctx.journal, ...(ctx.otherJournals ?? [])], s.key);
  return decideCopy(s, d, { force: opts.force, multipartThreshold: ctx.multipartThreshold, recordedEtag: r?.etag, recordedSourceEtag: r?.sourceEtag });
}

async function countDay(ctx: CopyContext, opts: RunOptions, prefix: string): Promise<DayCount> {
  const c: DayCount = { objects: 0, bytes: 0, toCopy: 0, toCopyBytes: 0, notEntitled: 0, notEntitledBytes: 0 };
  let first: string | undefined;
  const sizes: number[] = [];
  for await (const [s, d] of pairs(ctx, opts, prefix)) {
    c.objects += 1;
    c.bytes += s.size;
    if (decide(ctx, opts, s, d).action === "copy") {
      first ??= s.key;
      c.toCopy += 1;
      c.toCopyBytes += s.size;
      sizes.push(s.size);
    }
  }
  // As the copy would: one HeadObject on the day's first object to copy tells whether it is in the contract.
  if (first !== undefined && !(await sourceReadable(ctx, ctx.sourceBucket, first))) {
    c.notEntitled = c.toCopy;
    c.notEntitledBytes = c.toCopyBytes;
    c.toCopy = 0;
    c.toCopyBytes = 0;
  } else opts.planned?.(prefix, sizes);
  return c;
}

/**
 * Lists every unit (source and destination) and emits the plan: what exists, what is left to copy, and what
 * lies outside the contract (one HeadObject per day with anything to copy, as the copy itself would make).
 */
export async function planUnits(ctx: CopyContext, opts: RunOptions, units: string[]): Promise<DayCount> {
  const total: DayCount = { objects: 0, bytes: 0, toCopy: 0, toCopyBytes: 0, notEntitled: 0, notEntitledBytes: 0 };
  const limit = pLimit(8);
  await Promise.all(
    units.map((day) =>
      limit(async () => {
        if (ctx.signal?.aborted) return;
        const c = await countDay(ctx, opts, day);
        if (opts.dryRun) ctx.emit({ kind: "day", day, ...c });
        total.objects += c.objects;
        total.bytes += c.bytes;
        total.toCopy += c.toCopy;
        total.toCopyBytes += c.toCopyBytes;
        total.notEntitled += c.notEntitled;
        total.notEntitledBytes += c.notEntitledBytes;
      }),
    ),
  );
  ctx.emit({ kind: "plan", days: units.length, ...total, dryRun: opts.dryRun });
  return total;
}

/**
 * The totals of what exists (for progress and ETA), from the source alone: comparing with the
 * destination here would list it twice; the copy loop does that once.
 */
async function countSource(ctx: CopyContext, opts: RunOptions, units: string[]): Promise<void> {
  let objects = 0;
  let bytes = 0;
  const limit = pLimit(4);
  const l = { store: ctx.store, requester: ctx.requester };
  await Promise.all(
    units.map((day) =>
      limit(async () => {
        for await (const s of listObjects(l, ctx.sourceBucket, day, "source")) {
          if (ctx.signal?.aborted) return;
          if (!keep(opts, s.key, day)) continue;
          objects += 1;
          bytes += s.size;
        }
      }),
    ),
  );
  ctx.emit({ kind: "plan", days: units.length, objects, bytes, dryRun: false });
}

/** Is an AccessDenied on a copy the source's (outside the contract) or the destination's (bucket policy)? */
async function deniedSide(ctx: CopyContext, key: string): Promise<"source" | "dest"> {
  try {
    await ctx.store.headObject({ bucket: ctx.sourceBucket, key });
    return "dest";
  } catch (err) {
    return isAccessDenied(err) ? "source" : "dest";
  }
}

/**
 * Copies every unit (a day prefix such as "2021/05/31/", or any prefix) with server-side copies.
 * Listing streams: source and destination are walked together in key order, and at most
 * `maxObjectsInFlight` objects are in progress, so memory does not grow with the number of objects.
 */
/** Objects held back to learn which are the run's last (see runCopy). */
export const TAIL_LOOKAHEAD = 32;

export async function runCopy(runCtx: CopyContext, opts: RunOptions, units: string[]): Promise<RunSummary> {
  const now = opts.now ?? Date.now;
  const started = now();
  const summary = emptySummary();
  // A journal that cannot be written stops the run as an interrupt would (JournalWriteFailed): uploads kept.
  const stop = new AbortController();
  let journalFailure: JournalWriteFailed | undefined;
  const stopFor = (f: JournalWriteFailed) => {
    journalFailure ??= f;
    stop.abort();
  };
  // The endpoint given up (request.ts EndpointGone): the run stops as for an interrupt, before the failing
  // request's error reaches its copy, so uploads in flight are kept for the next run.
  let gone: EndpointGone | undefined;
  runCtx.requester.onGone((g) => {
    gone ??= g;
    stop.abort();
  });
  let lastFinished = now();
  const ctx: CopyContext = {
    ...runCtx,
    signal: runCtx.signal ? AbortSignal.any([runCtx.signal, stop.signal]) : stop.signal,
    emit: (e) => {
      if (e.kind === "upload-left") summary.uploadsLeft += 1;
      if (e.kind === "copied" || e.kind === "failed" || e.kind === "refused" || (e.kind === "progress" && inflight.size > 0)) lastFinished = now();
      runCtx.emit(e);
    },
  };
  const inflight = new Set<Promise<void>>();
  const stallMs = opts.stallWarnMs ?? STALL_WARN_MS;
  let warnedAt: number | undefined;
  const watch = setInterval(() => {
    const t = now();
    if (inflight.size === 0 || t - lastFinished < stallMs) return void (warnedAt = undefined);
    if (warnedAt !== undefined && t - warnedAt < STALL_REPEAT_MS) return;
    warnedAt = t;
    ctx.emit({ kind: "stalled", seconds: Math.round((t - lastFinished) / 1000), inFlight: inflight.size });
  }, Math.min(5000, Math.max(250, stallMs / 4)));
  watch.unref();
  let fatal: unknown;

  // The totals (for progress and ETA) are listed once the first copy is out: listed at the same time, their
  // pages would be parsed ahead of the copy loop's first page and delay the first copy.
  let startPlanning!: () => void;
  const planning = new Promise<void>((r) => (startPlanning = r)).then(() => countSource(ctx, opts, units)).catch(() => undefined);
  const contract = new ContractGate((key) => sourceReadable(ctx, ctx.sourceBucket, key), ctx.emit);

  const refusals = new Refusals(ctx.emit);
  const copy = async (s: ObjInfo, unit: string, tail: boolean) => {
    const t0 = now();
    try {
      const r = await copyOne(ctx, s, { tail });
      summary.copied += 1;
      summary.bytesCopied += s.size;
      refusals.copied(unit);
      ctx.emit({ kind: "copied", key: s.key, size: s.size, multipart: r.multipart, parts: r.parts, etag: r.etag, ms: now() - t0 });
    } catch (err) {
      if (err instanceof UnrecordedCopy) {
        refusals.copied(unit);
        summary.copied += 1;
        summary.bytesCopied += s.size;
        ctx.emit({ kind: "copied", key: s.key, size: s.size, multipart: err.result.multipart, parts: err.result.parts, etag: err.result.etag, ms: now() - t0 });
        return stopFor(err.failure);
      }
      if (err instanceof JournalWriteFailed) return stopFor(err);
      if (err instanceof EndpointGone) return;
      if (err instanceof Interrupted || (ctx.signal?.aborted && !(err instanceof RequestError))) return;
      if (err instanceof MultipartDenied) {
        summary.failed += 1;
        ctx.emit({ kind: "failed", key: s.key, size: s.size, code: err.code, message: err.message, hint: err.hint });
        return;
      }
      let c = err instanceof RequestError ? err.classified : classifyError(err);
      if (isAccessDenied(err)) {
        const side = await deniedSide(ctx, s.key);
        c = classifyError(err instanceof RequestError ? err.cause : err, { side });
        if (side === "dest") {
          const explained = await ctx.explainDenied?.(s.key).catch(() => undefined);
          refusals.refused(unit, s.key, s.size, err instanceof Error ? err.message : String(err), explained ?? c.hint ?? "");
          return;
        }
      }
      summary.failed += 1;
      const message = err instanceof Error ? err.message : String(err);
      ctx.emit({ kind: "failed", key: s.key, size: s.size, code: c.code, message, hint: c.hint });
    }
  };

  // The last TAIL_LOOKAHEAD objects to copy are known to be the run's tail only once the listing has ended,
  // so that many are held back: those still held then may be split into parts over idle slots.
  const held: { s: ObjInfo; unit: string }[] = [];
  const launch = async ({ s, unit }: { s: ObjInfo; unit: string }, tail: boolean): Promise<boolean> => {
    // While nothing has been copied and something was refused, one copy at a time: each unit is then tried
    // once, not with every slot (refusals.ts).
    while (inflight.size >= (refusals.oneAtATime(summary.copied) ? 1 : opts.maxObjectsInFlight)) await Promise.race(inflight);
    if (refusals.hopeless(summary.copied)) fatal ??= new DestinationDenied(refusals.firstHint(), refusals.list());
    if (ctx.signal?.aborted || fatal) return false;
    if (refusals.has(unit)) {
      refusals.notSent(unit, s.key, s.size);
      return true;
    }
    const p: Promise<void> = copy(s, unit, tail).finally(() => inflight.delete(p));
    inflight.add(p);
    startPlanning();
    return true;
  };

  try {
    outer: for (const unit of units) {
      for await (const [s, d] of pairs(ctx, opts, unit)) {
        if (ctx.signal?.aborted || fatal) break outer;
        const decision = decide(ctx, opts, s, d);
        if (decision.action === "skip") {
          try {
            await settleRecordedUpload(ctx, s, d);
          } catch (err) {
            if (!(err instanceof JournalWriteFailed)) throw err;
            stopFor(err);
            break outer;
          }
          if (decision.reason.startsWith(REASONS.archived)) summary.archived += 1;
          else summary.skipped += 1;
          summary.bytesSkipped += s.size;
          ctx.emit({ kind: "skipped", key: s.key, size: s.size, reason: decision.reason });
          ctx.emit({ kind: "progress", bytes: s.size });
          continue;
        }
        if (!(await contract.entitled(unit, s.key))) {
          contract.skip(unit, s.size);
          ctx.emit({ kind: "progress", bytes: s.size });
          continue;
        }
        held.push({ s, unit });
        if (held.length > TAIL_LOOKAHEAD && !(await launch(held.shift()!, false))) break outer;
      }
      await contract.endUnit(unit);
    }
    for (const s of held) if (!(await launch(s, true))) break;
  } catch (err) {
    // a listing that gave up: the run stops there, as for an interrupt
    if (!(err instanceof EndpointGone)) throw err;
    gone ??= err;
    stop.abort();
  } finally {
    startPlanning();
    await Promise.allSettled(inflight);
    clearInterval(watch);
    await planning;
  }
  if (fatal) throw fatal;
  // Every copy has settled: only now is "nothing could be copied" known. Refusals are the only failures.
  if (summary.copied === 0 && refusals.refusedUnits > 0 && summary.failed === 0 && !ctx.signal?.aborted) throw new DestinationDenied(refusals.firstHint(), refusals.list());
  summary.failed += refusals.failures;
  contract.flush();
  summary.notEntitled = contract.objects;
  summary.retries = ctx.requester.retries;
  summary.concurrency = ctx.requester.concurrency();
  summary.elapsedMs = now() - started;
  summary.interrupted = ctx.signal?.aborted ?? false;
  if (journalFailure) summary.journalError = journalFailure.message;
  if (gone) summary.endpointGone = gone.message;
  return summary;
}
