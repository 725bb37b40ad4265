import pLimit, { type LimitFunction } from "p-limit";
import { backoffMs, classifyError, type Classified } from "../aws/classify.js";
import type { Emit } from "./events.js";

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

function messageOf(err: unknown): string {
  const m = (err as { message?: unknown } | undefined)?.message;
  return typeof m === "string" && m !== "UnknownError" ? m.split("\n")[0]! : "";
}

export interface RequesterOptions {
  concurrency: number;
  maxAttempts: number;
  credentials: CredentialRefresher;
  emit: Emit;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Listing requests in flight at once, besides the copies bounded by --concurrency. */
export const LIST_CONCURRENCY = 8;

/** Consecutive token refreshes allowed for one request before its token error is taken as final. */
const MAX_REFRESHES_PER_REQUEST = 3;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
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
  retries = 0;

  constructor(private readonly opts: RequesterOptions) {
    this.limit = pLimit(opts.concurrency);
    this.listLimit = pLimit(LIST_CONCURRENCY);
  }

  async send<T>(op: string, key: string | undefined, side: "source" | "dest", fn: () => Promise<T>): Promise<T> {
    const { credentials, emit, maxAttempts } = this.opts;
    const pause = this.opts.sleep ?? sleep;
    let attempt = 1;
    let refreshes = 0;
    for (;;) {
      const keyId = credentials.currentKeyId;
      try {
        return await (op.startsWith("List") ? this.listLimit : this.limit)(fn);
      } catch (err) {
        // The caller chose not to send (interrupted, or a sibling part failed): not a request failure.
        if ((err as { name?: unknown } | undefined)?.name === "Interrupted") throw err;
        const c = classifyError(err, { side });
        if (c.action === "refresh" && refreshes < MAX_REFRESHES_PER_REQUEST) {
          refreshes += 1;
          if (await credentials.refreshRejected(keyId)) continue;
        }
        if (c.action === "retry" && attempt < maxAttempts && !this.opts.signal?.aborted) {
          const delayMs = c.retryAfterMs ?? backoffMs(attempt);
          this.retries += 1;
          emit({ kind: "retry", key, op, code: c.code, attempt, delayMs });
          attempt += 1;
          await pause(delayMs, this.opts.signal);
          continue;
        }
        throw new RequestError(op, c, err);
      }
    }
  }

  /** Requests waiting for a slot plus those in flight. */
  get pending(): number {
    return this.limit.activeCount + this.limit.pendingCount;
  }
}
