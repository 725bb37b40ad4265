// S3's push-back: a partitioned prefix serves "at least 3,500 PUT/COPY/POST/DELETE requests per second";
// above what a prefix can take, S3 answers `503 Slow Down` ("Please reduce your request rate") while it
// scales, and asks clients to ramp up gradually and retry with exponential backoff. Sources:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html and
// https://repost.aws/knowledge-center/http-5xx-errors-s3 (5xx errors, "503 Slow Down").
// The emulator models that capacity as a number of write requests in flight (`faults.maxInflight`,
// 0 = unlimited): with N in flight, the next one is refused with 503 SlowDown before doing any work.

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
