// S3's push-back: a partitioned prefix serves "at least 3,500 PUT/COPY/POST/DELETE requests per second";
// above what a prefix can take, S3 answers `503 Slow Down` ("Please reduce your request rate") while it
// scales, and asks clients to ramp up gradually and retry with exponential backoff. Sources:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html and
// https://repost.aws/knowledge-center/http-5xx-errors-s3 (5xx errors, "503 Slow Down").
// The emulator models that capacity two ways, each 0 = unlimited, each refusing with 503 SlowDown before
// doing any work:
// - a number of write requests in flight (`faults.maxInflight`): with N in flight, the next one is refused;
// - the documented one, a rate (`faults.maxRate`): at most N write requests admitted per second per
//   prefix. The User Guide ("Best practices design patterns: optimizing Amazon S3 performance") states
//   "at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned Amazon S3
//   prefix"; the prefix here is the object's folder (the key up to its last "/": a day, `testdata/…/`, a
//   ConnectionSpec folder), in its bucket. S3 does not document how it counts a second; the emulator
//   admits at most N in any window of one modelled second (1000 ms / timeScale), counting the requests it
//   admitted (a refused request does no work and S3 "serves at least" the rate).

/** The request classes S3 counts against its PUT/COPY/POST/DELETE rate (writes of a copy tool). */
export const WRITE_OPS = new Set([
  "PutObject",
  "CopyObject",
  "UploadPart",
  "UploadPartCopy",
  "CreateMultipartUpload",
  "CompleteMultipartUpload",
  "AbortMultipartUpload",
  "DeleteObject",
  "DeleteObjects",
]);

/** Write requests in flight, and the most seen at once since the last reset (the request log's clear). */
export class InflightGauge {
  current = 0;
  max = 0;

  /** Admits a write unless `limit` (> 0) are already in flight; returns false when it must be refused. */
  enter(limit: number): boolean {
    if (limit > 0 && this.current >= limit) return false;
    this.current += 1;
    if (this.current > this.max) this.max = this.current;
    return true;
  }

  leave(): void {
    if (this.current > 0) this.current -= 1;
  }

  /** Forget the high-water mark (requests still in flight keep counting). */
  reset(): void {
    this.max = this.current;
  }
}

/** The prefix S3's request rate is counted per here: bucket and the key's folder. */
export function ratePrefix(bucket: string | undefined, key: string | undefined): string {
  const k = key ?? "";
  return `${bucket ?? ""}/${k.slice(0, k.lastIndexOf("/") + 1)}`;
}

/** Write requests admitted per prefix over a sliding window (`faults.maxRate`). */
export class RateGauge {
  private readonly admitted = new Map<string, { times: number[]; head: number }>();

  /**
   * Admits a write to `prefix` at `now` (ms) unless `limit` (> 0) were admitted there in the last
   * `windowMs`: then it must be refused. Admitted times are in the window (now − windowMs, now].
   */
  enter(prefix: string, limit: number, now: number, windowMs: number): boolean {
    if (!(limit > 0)) return true;
    let q = this.admitted.get(prefix);
    if (!q) {
      q = { times: [], head: 0 };
      this.admitted.set(prefix, q);
      if (this.admitted.size > 10_000) this.prune(now, windowMs);
    }
    while (q.head < q.times.length && q.times[q.head]! <= now - windowMs) q.head++;
    if (q.head > 1024) {
      q.times = q.times.slice(q.head);
      q.head = 0;
    }
    if (q.times.length - q.head >= limit) return false;
    q.times.push(now);
    return true;
  }

  /** Forget prefixes with nothing in the window (a run over thousands of days keeps this small). */
  private prune(now: number, windowMs: number): void {
    for (const [p, q] of this.admitted) if ((q.times[q.times.length - 1] ?? -Infinity) <= now - windowMs) this.admitted.delete(p);
  }
}
