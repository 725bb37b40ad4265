/**
 * What S3 took, by Little's law: the requests that succeeded over a span times their round trip is how many
 * it served in flight on average. Against a rate limit (S3's documented push-back is requests per second,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html) the requests in flight
 * at a refusal say nothing — every slot is busy, a share of them refused — but this does. Used by
 * `AdaptiveConcurrency` (concurrency.ts) to decide where to cut.
 */
export class ServedEstimate {
  /** When requests succeeded, oldest first (`head` is the first live entry). */
  private times: number[] = [];
  private head = 0;
  private first = -1;

  /**
   * A request succeeded at `now`. Successes older than `horizonMs` are dropped as they pile up, so a run
   * without push-back (where nothing asks for an estimate) keeps only that much history.
   */
  record(now: number, horizonMs: number): void {
    if (this.first < 0) this.first = now;
    this.times.push(now);
    if (this.times.length - this.head > 8192) this.drop(now - horizonMs);
  }

  /**
   * Requests served in flight on average over the last `span` ms, for round trips of `rttMs`; Infinity
   * without `span` of history, counted from the first success and from `from` (the end of slow start).
   */
  inFlight(now: number, span: number, rttMs: number, from = -Infinity): number {
    if (span === Infinity || this.first < 0 || now - Math.max(this.first, from) < span) return Infinity;
    this.drop(now - span);
    return ((this.times.length - this.head) * rttMs) / span;
  }

  private drop(before: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= before) this.head++;
    if (this.head > 4096) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
