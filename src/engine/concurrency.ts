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
 * - Where it starts: where the last run against the same destination bucket settled (`Settled`, kept in the
 *   state directory by `state/settled.ts`), already in congestion avoidance with that run's W_max; else
 *   low (`DEFAULT_INITIAL`, 8), because S3 asks clients to ramp up gradually and a start above the
 *   capacity refuses the whole excess at once (the former start at 64 sent 14.8 % of copies back with
 *   SlowDown at a capacity of 20).
 * - Slow start: while no signal has been seen, the limit doubles per second (`slowStart`): each successful
 *   request raises it by one (doubling per round trip) where requests take under a second, by the round
 *   trip in seconds where they take longer. Its first push-back ends it HyStart-style (RFC 9406 leaves slow start
 *   before the loss; here the refusal itself tells where): the limit then may be up to twice what S3
 *   takes, so W_max is what was in flight when S3 refused (the requests S3 did take), if that is below
 *   the limit, and the cut is from there. Cutting the limit by β alone would take several round trips of
 *   refusals (64 → 54 → 46 → … → 20) to come down from a doubling; the same holds for a start from a
 *   settled value above what S3 takes today.
 * - On a signal: the limit is multiplied by `decrease` (β = 0.85; 0.95 where S3 refused with a known count
 *   in flight of 40 or more, `IN_FLIGHT_DECREASE`) and the limit it was cut from is remembered (W_max:
 *   where S3 pushed back). One cut per round trip: a signal from a request that started
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
 * - The unit simulation (`concurrency.test.ts`: a discrete-event model of the Requester, S3's two push-backs
 *   — requests in flight, requests per second — capacities 10–400 and none, round trips 50 ms–5 s) holds
 *   it to the targets: >= 90 % of the capacity's throughput over a whole run, ramp-up included, and
 *   SlowDown on <= 2 % of copy requests.
 */

import { isCongestion, type Outcome } from "../aws/classify.js";
import { ServedEstimate } from "./served.js";

/** Where a run settled, kept for the next run against the same destination (state/settled.ts). */
export interface Settled {
  /** The limit at the end of the run. */
  limit: number;
  /** Where S3 last pushed back (W_max), when it did. */
  ceiling?: number;
}

/**
 * Start when nothing is known: 8. At or below the smallest capacity the controller is held to (10 in
 * flight), so the first round trip never pushes back; slow start, doubling per second, still reaches the
 * default ceiling of 384 in ~6 s once the first requests are back (8 → 16 → … → 384; with 128 MiB part
 * copies of ~6.7 s the first come back after a few seconds), a small part of any run long enough for
 * concurrency to matter.
 */
export const DEFAULT_INITIAL = 8;

export interface AdaptiveOptions {
  /** Limit at start (`--concurrency-start`, or where the last run settled). Default `DEFAULT_INITIAL`. */
  initial?: number;
  /**
   * Where S3 pushed back in an earlier run (its `Settled.ceiling`): start in congestion avoidance with
   * W_max there, as if the cut had just happened, instead of in slow start (doubling from a known good
   * level would overshoot it by up to the whole limit in one round trip).
   */
  ceiling?: number;
  /** Never above this (`--max-concurrency`). */
  max: number;
  /**
   * Never below this. Default 1: the controller may meet a store that takes very little (S3-compatible
   * stores have far lower limits than AWS), and a floor above its capacity would refuse requests for ever.
   */
  min?: number;
  /** Factor applied on a congestion signal (CUBIC's β). Default 0.85 (see the top of this file). */
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
  /** Refused with a congestion signal and not sent again yet: it still counts against the limit. */
  held?: boolean;
}

export interface ConcurrencyChange {
  limit: number;
  reason: "increase" | "backoff";
  /** The signal that caused a backoff. */
  code?: string;
}

/**
 * One cut per round trip, and at most one per second: S3's documented limit is a rate per second, so a
 * refusal up to a second after a cut may still answer the requests sent before it (they are what fills
 * the second), not the limit after it. Cutting again on each such refusal, every round trip of 50 ms,
 * takes the limit down by 0.85 per round trip for a whole second: to a third of what S3 takes.
 */
const RATE_WINDOW_MS = 1000;

/**
 * The served estimate (requests per second × round trip) replaces the requests in flight at a cut only when
 * clearly below them: against a limit in flight both agree (the served count is noisy: ±15 % with 10 in flight), against a rate exceeded many times over in flight is every slot.
 */
const SERVED_BELOW = 0.75;
/**
 * In slow start the period counted is a ramp (the window doubles in it): against a limit in flight it
 * served 2/3–1 of what is in flight at the refusal, so only a served count below 0.6 of that is taken for
 * a rate (a window over 5/3 of the rate's worth in flight).
 */
const SERVED_BELOW_IN_SLOW_START = 0.6;

/**
 * The cut where S3 refused with W_max requests in flight (a limit in flight, not a rate) and W_max >= SMALL_WINDOW:
 * 5 % below it rather than β's 15 %. A refusal in flight is exact — S3 took the W_max requests in flight and
 * refused the next — so a cut needs only bring the window under it, and DCTCP (RFC 8257 §3.3) cuts in
 * proportion to the share of requests marked (one refused of W_max is ~1/W_max) rather than by a fixed
 * half. The shallower cut shortens CUBIC's climb back (K = ∛(0.05·W_max / C): 2.9 s at 200 instead of
 * 4.2 s) and so the time spent below the capacity: simulated (`concurrency.test.ts`), 200 in flight with
 * 1 s copies over a minute's run from 88.5 % to 91.3 % of the capacity, 100 with 0.5 s copies from 91.5 %
 * to 94.2 %, SlowDown still <= 0.2 %. Not below a served estimate (a rate: `served` is noisy, ±15 %, and
 * the request rate needs a real margin under it; 0.95 there doubled SlowDown at 100–1,000 requests/s) nor
 * for small windows (at 10 in flight 5 % is half a request: the same cut as none; with 5 s copies SlowDown
 * went to 2.3 %).
 */
const IN_FLIGHT_DECREASE = 0.95;

/**
 * Below this W_max the CUBIC clock runs slower: its unit is at least SMALL_WINDOW / W_max round trips. Each
 * probe beyond W_max costs one refused request, once per cycle of ~K + ∛(1/C) units (~2.9 at W_max 10);
 * counted in round trips, a cycle at a window of 10 carries only ~29 requests, so probing alone would
 * send ~3.5 % of them back with SlowDown. Stretched to 40 / W_max round trips, every cycle carries
 * >= ~100 requests (<= ~1 % refused) at any window; at 40 and above nothing changes.
 */
const SMALL_WINDOW = 40;

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
  /** When this run last cut (CUBIC's `cutAt` may instead be the start from a settled value). */
  private lastCut = -Infinity;
  /** Smoothed duration of a successful request (RFC 6298's SRTT, gain 1/8), ms; 0 until the first. */
  private srtt = 0;
  /** What S3 served of late (served.ts). */
  private readonly served = new ServedEstimate();
  /**
   * When slow start ended (its first cut, or the start from a settled value). In congestion avoidance the
   * served estimate counts only from here: its span (4 round trips of 2 s copies: 8 s) would otherwise reach back into the
   * ramp, count a fraction of what S3 takes now, and cut to it (simulated at 100 in flight with 2 s copies:
   * a second cut from 96 to 54 four seconds after the first, and 84 % of the capacity over the run).
   */
  private rampEnd = Infinity;
  /** Slow start's current doubling period: its start and the window then. */
  private ssFrom = -Infinity;
  private ssBase = 0;
  /** Requests refused with a congestion signal, waiting out their backoff (see `slots`). */
  private held = 0;
  private waiting: (() => void)[] = [];
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
    this.min = Math.min(this.max, Math.max(1, opts.min ?? 1));
    this.window = Math.min(this.max, Math.max(this.min, opts.initial ?? DEFAULT_INITIAL));
    this.decrease = opts.decrease ?? 0.85;
    this.c = opts.cubic ?? 0.4;
    this.reportEveryMs = opts.reportEveryMs ?? 1000;
    this.now = opts.now ?? Date.now;
    if (opts.ceiling !== undefined && opts.ceiling > 0) {
      // as if S3 had just pushed back at `ceiling`: climb back towards it, plateau, then probe beyond
      this.wMax = Math.max(this.window, Math.min(this.max, opts.ceiling));
      this.threshold = this.window;
      this.k = Math.cbrt((this.wMax - this.window) / this.c);
      this.cutAt = this.now();
      this.rampEnd = this.cutAt;
    }
    this.peak = this.limit;
    this.reported = this.limit;
  }

  get limit(): number {
    return Math.floor(this.window);
  }

  /**
   * Requests the lane may send now: the limit less the refused requests waiting out their backoff. A
   * refusal comes back at once (S3 refuses before doing any work), so were its slot free at once, the next
   * queued request would go out into the same push-back at once, and the next: against a rate limit a
   * burst of refusals feeds itself. A refused request therefore keeps its place until it is sent again
   * (`release`), as TCP counts a lost segment in flight until it is retransmitted (RFC 6675's pipe).
   * May be 0: then nothing is sent until a refused request's backoff is over (`released`).
   */
  get slots(): number {
    return Math.max(0, this.limit - this.held);
  }

  /** The refused request of `ticket` is sent again, or given up: its place is free (see `slots`). */
  release(ticket: Ticket): void {
    if (!ticket.held) return;
    ticket.held = false;
    this.held -= 1;
    const wake = this.waiting.splice(0);
    for (const w of wake) w();
  }

  /** Resolves when `slots` is above 0 (at once if it is). */
  released(): Promise<void> {
    if (this.slots > 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.released());
  }

  /** Where this run stands, for the next run against the same destination. */
  get settled(): Settled {
    return this.backoffs > 0 || this.wMax > 0 ? { limit: this.limit, ceiling: Math.round(this.wMax) } : { limit: this.limit };
  }

  /** A request starts now; hand the returned ticket back with its outcome. */
  start(): Ticket {
    return { epoch: this.epoch, at: this.now() };
  }

  /** A request succeeded. `queued`: others were waiting for a slot, so the limit was the bottleneck. */
  success(ticket: Ticket, queued: boolean): void {
    const now = this.now();
    const took = now - ticket.at;
    this.srtt = this.srtt === 0 ? took : this.srtt + (took - this.srtt) / 8;
    // kept: the longest span ever asked for (4 round trips, or a second), twice over
    this.served.record(now, 8 * Math.max(RATE_WINDOW_MS, this.srtt));
    if (!queued || this.window >= this.max) return;
    if (this.window < this.threshold) this.slowStart(now);
    else this.avoid();
    this.window = Math.min(this.max, this.window);
    const limit = this.limit;
    if (limit > this.peak) this.peak = limit;
    const t = this.now();
    if (limit !== this.reported && (t - this.lastReport >= this.reportEveryMs || limit === this.max)) this.report({ limit, reason: "increase" }, t);
  }

  /**
   * Doubling per second, whatever the round trip: the request rate (window / round trip) then doubles per
   * second at any round trip, which is the pace S3's limit is counted at (a rate per second).
   * - Round trips under a second: +1 per success (doubling per round trip, as RFC 5681), capped at doubling
   *   per second: a window that doubles every 50 ms round trip is past a rate limit many times over before
   *   the first second's count says so (simulated at 1,000 requests/s and 50 ms: 327 in flight, 4,300
   *   refusals).
   * - Round trips of a second and more (large copies: a 128 MiB part at ~20 MB/s takes ~6.7 s):
   *   + 2^(srtt/1 s) − 1 per success (×4 per 2 s round trip), so the window still doubles in a second
   *   rather than in a round trip (+ srtt/1 s, ×3 per 2 s round trip, fell behind: simulated at 384 with
   *   2 s copies, 92.0 % of the capacity over 100 s instead of 92.5 %). Per round trip
   *   alone, the climb from 8 to 384 takes ~5.6 round trips (~37 s with 6.7 s parts; measured with 2 s
   *   copies at a capacity of 400: 86 % of the capacity over a 100 s run). A push-back in flight is answered
   *   at once (S3 refuses before any work), so the faster climb overshoots by what is sent in one refusal's
   *   round trip, not in a copy's; against a rate the rate itself grows no faster than at short round trips.
   */
  private slowStart(now: number): void {
    if (now - this.ssFrom >= RATE_WINDOW_MS) {
      this.ssFrom = now;
      this.ssBase = this.window;
    }
    this.window = Math.min(this.window + Math.max(1, 2 ** (this.srtt / RATE_WINDOW_MS) - 1), 2 * this.ssBase);
  }

  /** Congestion avoidance, per successful request (RFC 9438 §4.2–4.4, one request standing for one ACK). */
  private avoid(): void {
    const w = this.window;
    // seconds, or round trips where a request takes longer than a second, stretched for small windows
    // (see the top of this file)
    const t = (this.now() - this.cutAt) / Math.max(1000, this.srtt, (this.srtt * SMALL_WINDOW) / Math.max(1, this.wMax));
    const cubic = this.c * (t - this.k) ** 3 + this.wMax;
    const target = Math.min(Math.max(cubic, w), 1.5 * w);
    this.window = w + (target - w) / w;
  }

  /**
   * A request failed; cuts the limit when the failure is a congestion signal. Returns whether it did.
   * `inflight`: the other requests of the lane still in flight, those S3 took: W_max is at most that + 1.
   */
  failure(ticket: Ticket, outcome: Outcome, inflight?: number): boolean {
    if (!isCongestion(outcome)) return false;
    if (!ticket.held) {
      ticket.held = true;
      this.held += 1;
    }
    const w = this.window;
    // S3 took what was in flight (+ this one, at the edge), not necessarily the whole window: after slow
    // start's doubling, or a start from a settled value above what S3 takes today, the window is far above.
    const inFlight = inflight !== undefined ? inflight + 1 : w;
    const now = this.now();
    if (ticket.epoch < this.epoch || ticket.at - this.lastCut < RATE_WINDOW_MS) {
      // Not a new cut; but a request sent before the cut (the rest of the burst of refusals one overshoot
      // caused) refused with fewer in flight than the window allows: the window comes down to that
      // level, once per level, not by β per refusal.
      if (inflight === undefined || ticket.epoch === this.epoch || inFlight >= w) return false;
      this.window = Math.max(this.min, Math.min(w, inFlight * this.decrease));
      this.threshold = Math.min(this.threshold, this.window);
      this.wMax = Math.min(this.wMax, inFlight);
      this.k = Math.cbrt(Math.max(0, this.wMax - this.window) / this.c);
      if (now - this.lastReport >= this.reportEveryMs) this.report({ limit: this.limit, reason: "backoff", code: outcome.code }, now);
      return true;
    }
    this.epoch += 1;
    this.backoffs += 1;
    // Against a rate, what S3 served (see `served`): over a second, or 4 round trips where they are longer
    // (the count of one second of 5 s copies is noise). In slow start over the current doubling period
    // only (at most a second), once it holds 2 round trips: the window grew by at most 2× in it, so
    // against a limit in flight it served most of what is in flight now (no cut from it), while against
    // a rate it served about the rate; earlier periods, or longer round trips, are a ramp and say nothing.
    const ssSpan = Math.min(RATE_WINDOW_MS, now - this.ssFrom);
    const span = this.threshold !== Infinity ? Math.max(RATE_WINDOW_MS, 4 * this.srtt) : ssSpan >= 2 * this.srtt ? ssSpan : Infinity;
    const served = this.served.inFlight(now, span, this.srtt, this.threshold !== Infinity ? this.rampEnd : -Infinity);
    const below = this.threshold === Infinity ? SERVED_BELOW_IN_SLOW_START : SERVED_BELOW;
    // With fewer in flight than β·w the lane was not what S3 refused (the tail of a run, a stray 503): the
    // window, as TCP would
    const fromServed = served < below * inFlight;
    const fromInFlight = !fromServed && inflight !== undefined && inFlight >= this.decrease * w;
    const took = Math.max(this.min, fromServed ? served : inFlight >= this.decrease * w ? inFlight : w);
    this.wMax = Math.min(w, took);
    // the cut: IN_FLIGHT_DECREASE below a count in flight, β below a served estimate, the window or a small one
    const beta = fromInFlight && this.wMax >= SMALL_WINDOW ? Math.max(this.decrease, IN_FLIGHT_DECREASE) : this.decrease;
    this.window = Math.max(this.min, this.wMax * beta);
    if (this.threshold === Infinity) this.rampEnd = now;
    this.threshold = this.window;
    this.k = Math.cbrt(Math.max(0, this.wMax - this.window) / this.c);
    this.cutAt = now;
    this.lastCut = now;
    this.report({ limit: this.limit, reason: "backoff", code: outcome.code }, now);
    return true;
  }

  private report(c: ConcurrencyChange, t: number): void {
    this.lastReport = t;
    this.reported = c.limit;
    this.onChange(c);
  }
}
