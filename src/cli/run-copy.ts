import { concurrencyCeiling, writeOptions, type FlexConfig } from "../config/schema.js";
import { MultipartGate } from "../engine/strategy.js";
import { multipartPermission, sseHeaders } from "../setup/doctor-policy.js";
import { formatDuration } from "../config/sizes.js";
import type { CopyContext } from "../engine/copy.js";
import type { Settled } from "../engine/concurrency.js";
import { emptySummary, type EngineEvent, type RunSummary } from "../engine/events.js";
import { planUnits, runCopy, STALL_WARN_MS } from "../engine/run.js";
import { AuthError, EXIT, UsageError } from "./errors.js";
import type { Reporter } from "./output/reporter.js";
import type { Session } from "./session.js";
import { summaryText } from "./output/text.js";
import { s3Store } from "../engine/storage.js";
import { estimateCost, loadPrices, PriceFileError, type PriceTable } from "../plan/prices.js";
import { costText, type CostRecord } from "./output/cost.js";

export interface CopyFlags {
  force?: boolean;
  dryRun?: boolean;
  /** Any object outside the contract makes the run exit 1. */
  strictContract?: boolean;
}

/**
 * The run stopped because its resume journal could not be written (a full disk, a file size limit): exit 2,
 * as when the journal cannot be opened at all. Not a copy failure; the summary said what was copied.
 */
export class JournalStopped extends Error {
  readonly hint: string;
  constructor(message: string, resumeCommand: string) {
    super(`${message}; the run stopped (uploads in flight are kept and continue on the next run)`);
    this.name = "JournalStopped";
    this.hint = `make room there, then run the same command again to resume: ${resumeCommand}`;
  }
}

/**
 * The summary so far, counted from the run's events: what a run stopped at once (a second Ctrl-C, or the grace
 * period over) still says, in text, `--json` and `--report`, instead of ending without a word.
 */
export class LiveSummary {
  private readonly s = emptySummary();
  private readonly started = Date.now();

  listen(e: EngineEvent): void {
    const s = this.s;
    if (e.kind === "copied") {
      s.copied += 1;
      s.bytesCopied += e.size;
    } else if (e.kind === "skipped") {
      s.skipped += 1;
      s.bytesSkipped += e.size;
    } else if (e.kind === "failed") s.failed += 1;
    else if (e.kind === "retry") s.retries += 1;
    else if (e.kind === "refreshed" && e.reason !== "initial") s.refreshes += 1;
    else if (e.kind === "upload-left") s.uploadsLeft += 1;
  }

  /** The run as stopped now: interrupted, with what its events said so far. */
  stopped(): RunSummary {
    return { ...this.s, interrupted: true, elapsedMs: Date.now() - this.started };
  }
}

/**
 * The run stopped because no request succeeded for `--give-up-after` (engine/request.ts EndpointGone): exit 1,
 * one line on stderr in every output mode, after the summary said what was copied.
 */
export class EndpointStopped extends Error {
  readonly hint: string;
  constructor(message: string, resumeCommand: string) {
    super(message);
    this.name = "EndpointStopped";
    this.hint = `check the network, proxy and --endpoint-url; nothing is lost: run the same command again to resume: ${resumeCommand}`;
  }
}

/** How long in-flight requests may finish after the first Ctrl-C before flexcopy stops waiting. */
export const INTERRUPT_GRACE_MS = 30_000;

/**
 * Installs Ctrl-C/SIGTERM handling for a copy: the first signal stops new copies and lets in-flight
 * requests finish (bounded), the second stops at once. Returns the signal and an uninstaller.
 */
export function interruptible(onFirst: () => void, onSecond: () => void): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const handler = () => {
    count += 1;
    if (count === 1) {
      ac.abort();
      onFirst();
      timer = setTimeout(onSecond, INTERRUPT_GRACE_MS);
      timer.unref();
    } else onSecond();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: ac.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** Ctrl-C for commands that only read (verify, cleanup): finish what is in flight, or stop at once. */
export function interruptibleQuietly(inFlight: string): { signal: AbortSignal; dispose: () => void } {
  return interruptible(
    () => process.stderr.write(`flexcopy: interrupted: finishing the ${inFlight} in flight (Ctrl-C again to stop now)\n`),
    () => {
      process.stderr.write("flexcopy: stopped\n");
      process.exit(EXIT.interrupted);
    },
  );
}

export interface CopyRun {
  session: Session;
  config: FlexConfig;
  reporter: Reporter;
  units: string[];
  flags: CopyFlags;
  /** The command line to print so the user can resume. */
  resumeCommand: string;
  signal: AbortSignal;
  emit: (e: EngineEvent) => void;
  /** Where the last run against this destination settled (`--concurrency auto` starts there). */
  start?: Settled;
  /** The prices of a dry run's cost estimate (pricesOf); default: those of the config's priceFile, else the table. */
  prices?: PriceTable;
}

/** The price table of a run (plan/prices.ts), a bad --price-file being a one-line usage error. */
export function pricesOf(config: Pick<FlexConfig, "priceFile">): PriceTable {
  try {
    return loadPrices(config.priceFile);
  } catch (err) {
    if (err instanceof PriceFileError) throw new UsageError(err.message);
    throw err;
  }
}

export function copyContext(run: CopyRun): CopyContext {
  const { session, config } = run;
  if (!config.destBucket) throw new Error("destination bucket missing");
  return {
    store: s3Store(session.s3, writeOptions(config)),
    requester: session.requester(run.emit, run.signal, run.start),
    sourceBucket: config.sourceBucket,
    destBucket: config.destBucket,
    partSize: config.partSize,
    multipartThreshold: config.multipartThreshold,
    gate: new MultipartGate({ multipartThreshold: config.multipartThreshold, canCleanUp: session.owner !== undefined }),
    emit: run.emit,
    signal: run.signal,
    owner: session.owner?.(run.emit, run.signal),
  };
}

/** Runs (or plans, with --dry-run) a copy of the given units and returns the exit code. */
export async function executeCopy(
  run: CopyRun,
  ctx: CopyContext = copyContext(run),
  onlyKeys?: Set<string>,
  filter?: (key: string, unit: string) => boolean,
): Promise<{ code: number; summary?: RunSummary; objects: number }> {
  const opts = {
    force: run.flags.force ?? false,
    dryRun: run.flags.dryRun ?? false,
    // Enough objects to keep every slot busy with a queue to spare; each holds memory until it is done.
    maxObjectsInFlight: Math.max(16, concurrencyCeiling(run.config) + Math.min(concurrencyCeiling(run.config), 64)),
    onlyKeys,
    filter,
  };
  if (opts.dryRun) {
    const prices = run.prices ?? pricesOf(run.config);
    const sizes: number[] = [];
    const total = await planUnits({ ...ctx, emit: inUnitOrder(run.units, ctx.emit) }, { ...opts, planned: (_unit, s) => sizes.push(...s) }, run.units);
    run.reporter.line(`estimated time at the manual's 200 MB/s: ${formatDuration(total.toCopyBytes / 200e6)} (flexcopy is usually faster; see the README's benchmarks)`);
    const plan = { sizes, units: run.units.length, objects: total.objects, multipartThreshold: run.config.multipartThreshold, partSize: run.config.partSize };
    const cost: CostRecord = { kind: "cost", ...estimateCost({ ...plan, storageClass: run.config.storageClass ?? "STANDARD" }, prices) };
    run.reporter.record(cost, costText(cost));
    return { code: run.flags.strictContract && total.notEntitled > 0 ? EXIT.someFailed : EXIT.ok, objects: total.objects };
  }
  // Whether parts will work, read from the bucket policy where your own credentials may (no upload is then
  // created just to find out); else the run's first multipart attempt tells. Read while the listing starts:
  // objects that want parts wait for the answer, the others need not.
  const owner = run.session.owner?.(run.emit, run.signal);
  const roleArn = run.session.roleArn;
  // The same read, evaluated with the context flexcopy's requests carry (doctor-request.ts), also names the
  // statement behind an AccessDenied on a copy (CopyContext.explainDenied).
  const c = run.config;
  const read =
    owner && roleArn
      ? multipartPermission(owner.s3, ctx.destBucket, roleArn, c.sessionName, {
          endpointUrl: c.endpointUrl,
          region: c.region,
          ownerAccount: c.accountId,
          sourceBucket: c.sourceBucket,
          sse: sseHeaders(c),
        })
      : undefined;
  if (read) ctx.explainDenied ??= async (key) => (await read.catch(() => undefined))?.explain?.(key);
  const reading = read
    ? ctx.gate.presetFrom(
        read.then(({ permission: p, reason }) => {
          if (p === "allowed" || p === "unlikely") ctx.gate.preset(p, reason);
          // Refused the policy: your credentials can likely not abort a probe's upload either.
          else if (p === "unreadable") ctx.gate.withoutCleanUp();
        }),
      )
    : undefined;
  // nothing finished for this long: said (run.ts stalled); sooner when --give-up-after is shorter than a minute
  const stallWarnMs = Math.min(STALL_WARN_MS, (run.config.giveUpAfter ?? 60) * 1000);
  const summary = await runCopy(ctx, { ...opts, stallWarnMs }, run.units);
  await reading;
  const objects = summary.copied + summary.skipped + summary.failed + summary.notEntitled + summary.archived;
  summary.refreshes = Math.max(0, run.session.refreshCount() - 1);
  run.emit({ kind: "summary", summary });
  run.reporter.close();
  run.reporter.line(summaryText(summary));
  if (summary.journalError) throw new JournalStopped(summary.journalError, run.resumeCommand);
  // Exit 1, not 130: nobody interrupted it, and a CI script must not read it as a Ctrl-C.
  if (summary.endpointGone) throw new EndpointStopped(summary.endpointGone, run.resumeCommand);
  if (summary.interrupted) {
    run.reporter.line(`interrupted: run the same command again to resume:\n  ${run.resumeCommand}`);
    return { code: EXIT.interrupted, summary, objects };
  }
  if (filter && objects === 0) return { code: EXIT.ok, summary, objects };
  if (nothingReadable(summary)) {
    throw new AuthError(
      `nothing could be read: all ${summary.notEntitled} objects of the selected days are outside your contract`,
      "the provider's role could list the bucket, so its setup for your account is done; likelier your contract does not cover these dates or is not active yet — check the dates, or ask JPX to confirm the contract",
    );
  }
  const strict = run.flags.strictContract && summary.notEntitled > 0;
  return { code: summary.failed > 0 || strict ? EXIT.someFailed : EXIT.ok, summary, objects };
}

/**
 * The dry run's `day` lines in the order of the days (by date), not as their listings finish: each is
 * held until every day before it has been said. Other events pass at once.
 */
export function inUnitOrder(units: string[], emit: (e: EngineEvent) => void): (e: EngineEvent) => void {
  const held = new Map<string, EngineEvent>();
  let next = 0;
  return (e) => {
    if (e.kind !== "day" || !units.includes(e.day)) return emit(e);
    held.set(e.day, e);
    for (; next < units.length && held.has(units[next]!); next++) {
      emit(held.get(units[next]!)!);
      held.delete(units[next]!);
    }
  };
}

/** Every object that was tried was outside the contract: exit 3, the run could do nothing. */
function nothingReadable(s: RunSummary): boolean {
  return s.notEntitled > 0 && s.copied + s.skipped + s.failed + s.archived === 0;
}
