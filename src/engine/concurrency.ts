/**
 * `--concurrency auto`: how many copy requests may be in flight, decided as the run goes.
 *
 * The controller is TCP's congestion control (slow start + AIMD, RFC 5681) applied to the number of
 * requests in flight instead of a byte window, with S3's own push-back as the congestion signal:
 *
 * - S3 says when it is overloaded: `503 Slow Down` ("Please reduce your request rate"), and asks clients
 *   to ramp up gradually and back off (https://repost.aws/knowledge-center/http-5xx-errors-s3,
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html: at least 3,500
 *   PUT/COPY/POST/DELETE requests per second per partitioned prefix). So the controller reacts to explicit
 *   signals (SlowDown/503, throttling codes, timeouts, connection resets), not to latency: a server-side
 *   copy's latency grows with the object's size (20 ms + size / copy rate), so a latency-gradient
 *   controller (TCP Vegas, Netflix's Gradient) would read every large object as congestion.
 * - Slow start: while no signal has been seen, each successful request raises the limit by one, which
 *   doubles it per round trip; AWS's own adaptive retry mode likewise grows fast until it is throttled.
 * - After a signal: the limit is multiplied by `decrease` (0.8) and then grows by one per round trip
 *   (one per `limit` successes). One cut per round trip: a signal from a request that started before the
 *   last cut does not cut again (RFC 5681's one reduction per window), so a burst of 503s from one
 *   overshoot is one cut, not ten. 0.8 rather than TCP's 0.5 (or CUBIC's 0.7, which the AWS SDKs use for
 *   their send rate): a 503 costs S3 almost nothing (the request is refused before any work), so a
 *   gentle cut keeps the average near the capacity — the saw-tooth between 0.8 W and W averages 0.9 W.
 * - It only grows while the limit is what holds the run back (requests were waiting for a slot when one
 *   finished): raising a limit that is not reached adds nothing but a later burst (RFC 7661).
 * - It never goes above `max` (`--max-concurrency`) or below `min`.
 */

/** What the controller needs of a failed request's classification. */
export interface Outcome {
  code: string;
  status?: number;
}

/** Codes that mean "too much at once": S3's push-back, throttling, timeouts, dropped connections. */
const CONGESTION = new Set([
  "SlowDown",
  "ServiceUnavailable",
  "Throttling",
  "ThrottlingException",
  "RequestThrottled",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "BandwidthLimitExceeded",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ETIMEDOUT",
  "ECONNRESET",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

export function isCongestion(o: Outcome): boolean {
  return CONGESTION.has(o.code) || o.status === 503 || o.status === 429;
}

export interface AdaptiveOptions {
  /**
   * Limit at start. Default 64: flexcopy's former fixed default, well below S3's per-prefix rate. Slow
   * start doubles once per round trip, and a round trip of a 128 MiB part copy is ~7 s on S3, so starting
   * lower costs whole round trips on runs of large objects (bench case 2: 32 → 37 modelled s).
   */
  initial?: number;
  /** Never above this (`--max-concurrency`). */
  max: number;
  /** Never below this. Default 4. */
  min?: number;
  /** Factor applied on a congestion signal. Default 0.8. */
  decrease?: number;
  /** Shortest time between two "increase" reports (a cut is always reported). Default 1000 ms. */
  reportEveryMs?: number;
  now?: () => number;
}

export interface ConcurrencyChange {
  limit: number;
  reason: "increase" | "backoff";
  /** The signal that caused a backoff. */
  code?: string;
}

export class AdaptiveConcurrency {
  private value: number;
  private threshold = Infinity;
  private credit = 0;
  private epoch = 0;
  private lastReport = -Infinity;
  private reported: number;
  /** Highest limit reached. */
  peak: number;
  /** Number of cuts. */
  backoffs = 0;
  private readonly min: number;
  private readonly max: number;
  private readonly decrease: number;
  private readonly reportEveryMs: number;
  private readonly now: () => number;

  constructor(
    opts: AdaptiveOptions,
    private readonly onChange: (c: ConcurrencyChange) => void = () => undefined,
  ) {
    this.max = Math.max(1, Math.floor(opts.max));
    this.min = Math.min(this.max, Math.max(1, opts.min ?? 4));
    this.value = Math.min(this.max, Math.max(this.min, opts.initial ?? 64));
    this.decrease = opts.decrease ?? 0.8;
    this.reportEveryMs = opts.reportEveryMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.peak = this.value;
    this.reported = this.value;
  }

  get limit(): number {
    return this.value;
  }

  /** A request starts now; hand the returned token back with its outcome. */
  start(): number {
    return this.epoch;
  }

  /** A request succeeded. `queued`: others were waiting for a slot, so the limit was the bottleneck. */
  success(_token: number, queued: boolean): void {
    if (!queued || this.value >= this.max) return;
    if (this.value < this.threshold) this.value += 1;
    else if (++this.credit >= this.value) {
      this.credit = 0;
      this.value += 1;
    }
    if (this.value > this.peak) this.peak = this.value;
    const t = this.now();
    if (this.value !== this.reported && (t - this.lastReport >= this.reportEveryMs || this.value === this.max)) this.report({ limit: this.value, reason: "increase" }, t);
  }

  /** A request failed; cuts the limit when the failure is a congestion signal. Returns whether it did. */
  failure(token: number, outcome: Outcome): boolean {
    if (!isCongestion(outcome) || token < this.epoch) return false;
    this.epoch += 1;
    this.backoffs += 1;
    this.value = Math.max(this.min, Math.floor(this.value * this.decrease));
    this.threshold = this.value;
    this.credit = 0;
    this.report({ limit: this.value, reason: "backoff", code: outcome.code }, this.now());
    return true;
  }

  private report(c: ConcurrencyChange, t: number): void {
    this.lastReport = t;
    this.reported = c.limit;
    this.onChange(c);
  }
}
