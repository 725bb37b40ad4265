/**
 * `--concurrency auto`: how many copy requests may be in flight, decided as the run goes.
 *
 * The controller is TCP's congestion control applied to the number of requests in flight instead of a byte
 * window: slow start (RFC 5681), then CUBIC (RFC 9438) after the first push-back, with S3's own push-back as
 * the congestion signal:
 *
 * - S3 says when it is overloaded: `503 Slow Down` ("Please reduce your request rate"), and asks clients
 *   to ramp up gradually and back off (https://repost.aws/knowledge-center/http-5xx-errors-s3,
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html: at least 3,500
 *   PUT/COPY/POST/DELETE requests per second per partitioned prefix). So the controller reacts to explicit
 *   signals (SlowDown/503, throttling codes, timeouts, connection resets), not to latency: a server-side
 *   copy's latency grows with the object's size (20 ms + size / copy rate), so a latency-gradient
 *   controller (TCP Vegas, Netflix's Gradient) would read every large object as congestion.
 * - Slow start: while no signal has been seen, each successful request raises the limit by one, which
 *   doubles it per round trip.
 * - On a signal: the limit is multiplied by `decrease` (β = 0.85) and the limit it was cut from is
 *   remembered (W_max: where S3 pushed back). One cut per round trip: a signal from a request that started
 *   before the last cut does not cut again (RFC 5681's one reduction per window), so a burst of 503s from
 *   one overshoot is one cut, not ten.
 * - After a cut the limit follows CUBIC's curve, W(t) = C·(t − K)³ + W_max with K = ∛((W_max − W)/C): it
 *   climbs back fast, flattens out just below where S3 pushed back, stays there, and only then probes beyond
 *   it, slowly at first. That plateau is the point: AIMD's saw-tooth (+1 per round trip from βW back to W)
 *   spends half its time well below the capacity. CUBIC is also what the AWS SDKs' own "adaptive" retry mode
 *   uses for its send rate (@smithy/core's DefaultRateLimiter: C = 0.4 per second, β = 0.7). The target
 *   grows by at most half per round trip (§4.4's clamp to 1.5 W), one request standing for one ACK.
 * - t is in seconds, as in RFC 9438, while requests take under a second; where they take longer (large
 *   copies) t counts round trips (the smoothed request time, RFC 6298), so the limit never grows faster per
 *   round trip than at one second: a second-based curve would jump past W_max between two outcomes and
 *   overshoot by many requests (a simulation with 5 s copies: 6–30 % of requests refused, instead of < 2 %).
 * - Left out of RFC 9438, on purpose: the Reno-friendly region (§4.3) and fast convergence (§4.7). Both
 *   share a link fairly with other flows; flexcopy's requests are one flow against one capacity, and both
 *   kept the limit lower than S3 allowed (with a 150 ms round trip, Reno-friendliness turns CUBIC back into
 *   AIMD's saw-tooth; fast convergence halves the plateau after every second cut).
 * - β = 0.85 rather than CUBIC's 0.7: a 503 is an explicit signal sent before any work is done, not a
 *   packet lost from an overflowing queue (DCTCP, RFC 8257, cuts by at most half, usually far less, on
 *   such explicit marks). Simulated (`concurrency.test.ts`), the limit then averages 96–99 % of a fixed
 *   capacity with < 2 % of requests refused, for 50 ms to 5 s round trips; measured end to end (bench
 *   case 5) see docs/benchmarks.md.
 * - It only grows while the limit is what holds the run back (requests were waiting for a slot when one
 *   finished): raising a limit that is not reached adds nothing but a later burst (RFC 7661, RFC 9438 §5.8).
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
  /** Factor applied on a congestion signal (CUBIC's β). Default 0.85. */
  decrease?: number;
  /** CUBIC's C: how fast the limit moves away from W_max, in requests per second³. Default 0.4 (RFC 9438). */
  cubic?: number;
  /** Shortest time between two "increase" reports (a cut is always reported). Default 1000 ms. */
  reportEveryMs?: number;
  now?: () => number;
}

/** A request's pass from `start()` to its outcome: the cut epoch it started in, and when. */
export interface Ticket {
  readonly epoch: number;
  readonly at: number;
}

export interface ConcurrencyChange {
  limit: number;
  reason: "increase" | "backoff";
  /** The signal that caused a backoff. */
  code?: string;
}

export class AdaptiveConcurrency {
  /** The window, fractional; requests in flight may be its whole part. */
  private window: number;
  private threshold = Infinity;
  private epoch = 0;
  private lastReport = -Infinity;
  private reported: number;
  /** CUBIC's state since the last cut: W_max, K (in t's unit) and when the cut was. */
  private wMax = 0;
  private k = 0;
  private cutAt = 0;
  /** Smoothed duration of a successful request (RFC 6298's SRTT, gain 1/8), ms; 0 until the first. */
  private srtt = 0;
  /** Highest limit reached. */
  peak: number;
  /** Number of cuts. */
  backoffs = 0;
  private readonly min: number;
  private readonly max: number;
  private readonly decrease: number;
  private readonly c: number;
  private readonly reportEveryMs: number;
  private readonly now: () => number;

  constructor(
    opts: AdaptiveOptions,
    private readonly onChange: (c: ConcurrencyChange) => void = () => undefined,
  ) {
    this.max = Math.max(1, Math.floor(opts.max));
    this.min = Math.min(this.max, Math.max(1, opts.min ?? 4));
    this.window = Math.min(this.max, Math.max(this.min, opts.initial ?? 64));
    this.decrease = opts.decrease ?? 0.85;
    this.c = opts.cubic ?? 0.4;
    this.reportEveryMs = opts.reportEveryMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.peak = this.limit;
    this.reported = this.limit;
  }

  get limit(): number {
    return Math.floor(this.window);
  }

  /** A request starts now; hand the returned ticket back with its outcome. */
  start(): Ticket {
    return { epoch: this.epoch, at: this.now() };
  }

  /** A request succeeded. `queued`: others were waiting for a slot, so the limit was the bottleneck. */
  success(ticket: Ticket, queued: boolean): void {
    const took = this.now() - ticket.at;
    this.srtt = this.srtt === 0 ? took : this.srtt + (took - this.srtt) / 8;
    if (!queued || this.window >= this.max) return;
    if (this.window < this.threshold) this.window += 1;
    else this.avoid();
    this.window = Math.min(this.max, this.window);
    const limit = this.limit;
    if (limit > this.peak) this.peak = limit;
    const t = this.now();
    if (limit !== this.reported && (t - this.lastReport >= this.reportEveryMs || limit === this.max)) this.report({ limit, reason: "increase" }, t);
  }

  /** Congestion avoidance, per successful request (RFC 9438 §4.2–4.4, one request standing for one ACK). */
  private avoid(): void {
    const w = this.window;
    // seconds, or round trips where a request takes longer than a second (see the top of this file)
    const t = (this.now() - this.cutAt) / Math.max(1000, this.srtt);
    const cubic = this.c * (t - this.k) ** 3 + this.wMax;
    const target = Math.min(Math.max(cubic, w), 1.5 * w);
    this.window = w + (target - w) / w;
  }

  /** A request failed; cuts the limit when the failure is a congestion signal. Returns whether it did. */
  failure(ticket: Ticket, outcome: Outcome): boolean {
    if (!isCongestion(outcome) || ticket.epoch < this.epoch) return false;
    this.epoch += 1;
    this.backoffs += 1;
    const w = this.window;
    this.wMax = w;
    this.window = Math.max(this.min, w * this.decrease);
    this.threshold = this.window;
    this.k = Math.cbrt(Math.max(0, this.wMax - this.window) / this.c);
    this.cutAt = this.now();
    this.report({ limit: this.limit, reason: "backoff", code: outcome.code }, this.cutAt);
    return true;
  }

  private report(c: ConcurrencyChange, t: number): void {
    this.lastReport = t;
    this.reported = c.limit;
    this.onChange(c);
  }
}
