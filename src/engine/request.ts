import pLimit, { type LimitFunction } from "p-limit";
import { backoffMs, classifyError, isThrottling, RETRY_DELAY_BASE_MS, THROTTLING_RETRY_DELAY_BASE_MS, type Classified } from "../aws/classify.js";
import type { AdaptiveConcurrency, Settled, Ticket } from "./concurrency.js";
import type { ConcurrencySummary, Emit } from "./events.js";

/** What the engine needs of a credential source: the key in use, and a way to replace it. */
export interface CredentialRefresher {
  readonly currentKeyId?: string;
  /** Replace credentials rejected by S3; false when they cannot be refreshed (`--credentials env`). */
  refreshRejected(rejectedKeyId: string | undefined): Promise<boolean>;
}

/** A request that failed for good, with the classifier's verdict. */
export class RequestError extends Error {
  constructor(
    readonly op: string,
    readonly classified: Classified,
    override readonly cause: unknown,
  ) {
    super(`${op}: ${classified.code}${messageOf(cause) ? `: ${messageOf(cause)}` : ""}`);
    this.name = "RequestError";
  }
}

/**
 * No request has succeeded for `--give-up-after` while requests failed with network or server errors: the
 * endpoint is taken as gone and the run stops (what is done is kept; the same command resumes). Every request
 * sent after that throws this at once, and requests waiting out a backoff wake to throw it.
 */
export class EndpointGone extends Error {
  readonly hint: string;
  constructor(
    readonly seconds: number,
    readonly lastCode: string,
    readonly lastOp: string,
  ) {
    super(`no request has succeeded for ${seconds} s (the last ${lastOp} failed with ${lastCode}): the endpoint is unreachable or failing, so the run stopped`);
    this.name = "EndpointGone";
    this.hint = "check the network, proxy and --endpoint-url; nothing is lost: run the same command again to resume (--give-up-after sets how long to keep trying)";
  }
}

function messageOf(err: unknown): string {
  const m = (err as { message?: unknown } | undefined)?.message;
  return typeof m === "string" && m !== "UnknownError" ? m.split("\n")[0]! : "";
}

export interface RequesterOptions {
  concurrency: number;
  /** `--concurrency auto`: sets the copy lane's limit as the run goes (`concurrency` is then unused). */
  adaptive?: AdaptiveConcurrency;
  maxAttempts: number;
  credentials: CredentialRefresher;
  emit: Emit;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** `--give-up-after` in ms: how long requests may fail with no success in between before EndpointGone. */
  giveUpAfterMs?: number;
  /** Told once, before the first EndpointGone is thrown (runCopy stops the run on it). */
  onGone?: (gone: EndpointGone) => void;
  now?: () => number;
}

/** Listing requests in flight at once, besides the copies bounded by --concurrency. */
export const LIST_CONCURRENCY = 8;

/** Consecutive token refreshes allowed for one request before its token error is taken as final. */
const MAX_REFRESHES_PER_REQUEST = 3;

/**
 * A `sleep(ms)` that ends early when `signal` aborts. All sleeps share one abort listener: a listener per
 * sleep would pass Node's limit of 10 per signal as soon as 11 requests wait to retry (a burst of SlowDown),
 * and Node would print a MaxListenersExceededWarning to the user's terminal.
 */
export function sleeper(signal?: AbortSignal): (ms: number) => Promise<void> {
  const waiting = new Set<() => void>();
  signal?.addEventListener(
    "abort",
    () => {
      for (const wake of [...waiting]) wake();
    },
    { once: true },
  );
  return (ms) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const wake = () => {
        clearTimeout(t);
        waiting.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      waiting.add(wake);
    });
}

/**
 * Sends every S3 request of a run: one concurrency limit for all copies (whole objects and parts),
 * a small separate one for listings, retries with backoff for transient failures, and a transparent credential refresh
 * for expired or rejected tokens, which does not count as an attempt.
 */
export class Requester {
  private readonly limit: LimitFunction;
  /** Listings have their own lane, so a page never queues behind the copies it feeds (as rclone's checkers). */
  private readonly listLimit: LimitFunction;
  private readonly pause: (ms: number) => Promise<void>;
  retries = 0;
  /** Since when requests have failed with no success in between (network and server errors; push-back aside). */
  private failingSince: number | undefined;
  private goneError: EndpointGone | undefined;
  private readonly goneSignal = new AbortController();
  private readonly goneListeners: ((g: EndpointGone) => void)[] = [];

  constructor(private readonly opts: RequesterOptions) {
    this.limit = pLimit(opts.adaptive?.limit ?? opts.concurrency);
    this.listLimit = pLimit(LIST_CONCURRENCY);
    const injected = opts.sleep;
    // a backoff also ends when the endpoint is given up, so no request sleeps on after the run stopped
    const wake = opts.signal ? AbortSignal.any([opts.signal, this.goneSignal.signal]) : this.goneSignal.signal;
    this.pause = injected ? (ms) => injected(ms, wake) : sleeper(wake);
    if (opts.onGone) this.goneListeners.push(opts.onGone);
    if (opts.adaptive) opts.emit({ kind: "concurrency", limit: opts.adaptive.limit, reason: "start" });
  }

  /** Runs `fn` in its lane; copies under `auto` tell the controller how they went. */
  private run<T>(op: string, fn: () => Promise<T>, started: (ticket: Ticket) => void): Promise<T> {
    const adaptive = this.opts.adaptive;
    if (op.startsWith("List")) return this.listLimit(fn);
    if (!adaptive) return this.limit(fn);
    return this.limit(async () => {
      // refused requests waiting out their backoff keep their places (AdaptiveConcurrency.slots)
      if (adaptive.slots === 0) await adaptive.released();
      const token = adaptive.start();
      started(token);
      const out = await fn();
      adaptive.success(token, this.limit.pendingCount > 0);
      this.sync(adaptive);
      return out;
    });
  }

  async send<T>(op: string, key: string | undefined, side: "source" | "dest", fn: () => Promise<T>): Promise<T> {
    const { credentials, emit, maxAttempts } = this.opts;
    let attempt = 1;
    let refreshes = 0;
    for (;;) {
      if (this.goneError) throw this.goneError;
      const keyId = credentials.currentKeyId;
      let token: Ticket | undefined;
      try {
        const out = await this.run(op, fn, (t) => (token = t));
        this.failingSince = undefined;
        return out;
      } catch (err) {
        // The caller chose not to send (interrupted, or a sibling part failed): not a request failure.
        if ((err as { name?: unknown } | undefined)?.name === "Interrupted") throw err;
        if (this.goneError) throw this.goneError;
        const c = classifyError(err, { side });
        // An answer that is not a failure of the endpoint (AccessDenied, NoSuchKey, push-back) shows it is there.
        if (c.action === "retry" && !isThrottling(c.code)) this.failing(op, c.code);
        else this.failingSince = undefined;
        const adaptive = this.opts.adaptive;
        // activeCount: the lane's other requests, still in flight (this one's slot is already free)
        if (adaptive && token !== undefined) adaptive.failure(token, c, this.limit.activeCount);
        if (adaptive) this.sync(adaptive);
        try {
          if (c.action === "refresh" && refreshes < MAX_REFRESHES_PER_REQUEST) {
            refreshes += 1;
            if (await credentials.refreshRejected(keyId)) continue;
          }
          if (this.goneError) throw this.goneError;
          if (c.action === "retry" && attempt < maxAttempts && !this.opts.signal?.aborted) {
            const delayMs = c.retryAfterMs ?? backoffMs(attempt, Math.random, isThrottling(c.code) ? THROTTLING_RETRY_DELAY_BASE_MS : RETRY_DELAY_BASE_MS);
            this.retries += 1;
            emit({ kind: "retry", key, op, code: c.code, attempt, delayMs });
            attempt += 1;
            await this.pause(delayMs);
            if (this.goneError) throw this.goneError;
            continue;
          }
          throw new RequestError(op, c, err);
        } finally {
          // sent again, or given up: a refused request's place is free again
          if (adaptive && token !== undefined) {
            adaptive.release(token);
            this.sync(adaptive);
          }
        }
      }
    }
  }

  /** A request failed with a network or server error: past `giveUpAfterMs` of such failures, the endpoint is gone. */
  private failing(op: string, code: string): void {
    const now = (this.opts.now ?? Date.now)();
    this.failingSince ??= now;
    const limit = this.opts.giveUpAfterMs;
    if (limit === undefined || this.goneError || now - this.failingSince < limit) return;
    this.goneError = new EndpointGone(Math.round((now - this.failingSince) / 1000), code, op);
    for (const l of this.goneListeners) l(this.goneError);
    this.goneSignal.abort();
  }

  /** Calls `listener` when the endpoint is given up (at once if it already was). */
  onGone(listener: (g: EndpointGone) => void): void {
    if (this.goneError) listener(this.goneError);
    else this.goneListeners.push(listener);
  }

  /** The EndpointGone that stopped this requester, if any. */
  get gone(): EndpointGone | undefined {
    return this.goneError;
  }

  /** The copy lane follows the controller: its limit less the refused requests waiting out their backoff. */
  private sync(adaptive: AdaptiveConcurrency): void {
    const n = Math.max(1, adaptive.slots);
    if (this.limit.concurrency !== n) this.limit.concurrency = n;
  }

  /** The copy lane's limit now (fixed, or where `auto` is), for the run's summary. */
  concurrency(): ConcurrencySummary {
    const a = this.opts.adaptive;
    return a ? { mode: "auto", limit: a.limit, peak: a.peak, backoffs: a.backoffs } : { mode: "fixed", limit: this.opts.concurrency, peak: this.opts.concurrency, backoffs: 0 };
  }

  /** Where `auto` settled (undefined for a fixed limit): what the next run against this destination starts from. */
  get settled(): Settled | undefined {
    return this.opts.adaptive?.settled;
  }

  /**
   * Copy slots with nothing to do: the current limit (fixed, or where `auto` is) minus requests in flight
   * and waiting. The hook for splitting a run's tail into parts: while this is > 0, a large object copied
   * in one request would leave slots idle.
   */
  get idleSlots(): number {
    return Math.max(0, this.limit.concurrency - this.limit.activeCount - this.limit.pendingCount);
  }

  /** Requests waiting for a slot plus those in flight. */
  get pending(): number {
    return this.limit.activeCount + this.limit.pendingCount;
  }
}
