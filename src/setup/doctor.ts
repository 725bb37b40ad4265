/**
 * `flexcopy doctor`: a sequence of small checks, each returning `{ name, ok, detail, fix? }`. A check
 * whose prerequisites did not pass is not run but reported as skipped, so the first failure is the
 * one to fix. The checks themselves are in doctor-checks.ts; this file holds the runner and the
 * pure helpers they share.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { HttpResponse } from "@smithy/protocol-http";
import { classifyError } from "../aws/classify.js";
import type { Listing } from "../engine/listing.js";
import { RequestError, Requester, type CredentialRefresher } from "../engine/request.js";
import { s3Store, type WriteOptions } from "../engine/storage.js";

export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface Check {
  name: string;
  /** True for "pass" and "warn": nothing that check covers stands in the way of a copy. */
  ok: boolean;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure or warning. */
  fix?: string;
}

export type CheckOutcome = Pick<Check, "status" | "detail" | "fix">;

export interface Step<C> {
  name: string;
  /** Names of checks that must pass (or warn) first. */
  needs: string[];
  run(ctx: C): Promise<CheckOutcome>;
}

export const pass = (detail: string): CheckOutcome => ({ status: "pass", detail });
export const warn = (detail: string, fix: string): CheckOutcome => ({ status: "warn", detail, fix });
export const fail = (detail: string, fix: string): CheckOutcome => ({ status: "fail", detail, fix });
export const skip = (detail: string): CheckOutcome => ({ status: "skip", detail });

/** Runs the steps in order; reports each check as soon as it is known. A throwing step is a failure. */
export async function runChecks<C>(steps: Step<C>[], ctx: C, onCheck: (c: Check) => void = () => undefined): Promise<Check[]> {
  const done = new Map<string, Check>();
  for (const step of steps) {
    const blocked = step.needs.filter((n) => !done.get(n)?.ok);
    let outcome: CheckOutcome;
    if (blocked.length > 0) outcome = skip(`skipped: needs ${blocked.join(", ")}`);
    else {
      try {
        outcome = await step.run(ctx);
      } catch (err) {
        outcome = fail(`unexpected error: ${errorText(err)}`, "run again with --debug and report the problem");
      }
    }
    const check: Check = { name: step.name, ok: outcome.status === "pass" || outcome.status === "warn", ...outcome };
    if (check.fix === undefined) delete check.fix;
    done.set(step.name, check);
    onCheck(check);
  }
  return [...done.values()];
}

// ---- errors ----

/**
 * The error code as aws/classify.ts names it (`AccessDenied` for a 403 without a body or a `Forbidden`,
 * `NotFound` for a 404 without one); an engine RequestError gives its own verdict.
 */
export function errorCode(err: unknown): string {
  return err instanceof RequestError ? err.classified.code : classifyError(err).code;
}

/**
 * The region hint of a request signed for another region than the bucket's (PermanentRedirect,
 * AuthorizationHeaderMalformed; S3 API Reference, "Error responses"): which bucket, its region, which setting.
 */
export function regionFix(err: unknown, side: "source" | "dest"): string | undefined {
  const code = errorCode(err);
  if (code !== "PermanentRedirect" && code !== "AuthorizationHeaderMalformed") return undefined;
  const c = err instanceof RequestError ? err.classified : classifyError(err, { side });
  return c.hint;
}

/** `Code: first line of the message` (messages of AWS errors never contain secrets). */
export function errorText(err: unknown): string {
  // A request the engine's Requester made: its verdict names the code, its cause holds the service's message.
  const cause = err instanceof RequestError ? err.cause : err;
  const code = errorCode(err);
  const label = code === "UnknownError" ? "Error" : code; // not an AWS error: a plain Error
  const e = cause as { message?: unknown; name?: unknown } | undefined;
  const m = e?.message;
  const msg = typeof m === "string" && m && m !== "UnknownError" && m !== code && m !== e?.name ? m.split("\n")[0]! : "";
  return msg ? `${label}: ${msg}` : label;
}

/** A response header of a failed request (e.g. `x-amz-bucket-region` of a 301 or 403). */
export function errorHeader(err: unknown, name: string): string | undefined {
  const headers = (err as { $response?: { headers?: Record<string, string | undefined> } } | undefined)?.$response?.headers;
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** Error codes AWS returns when the request's clock differs too much from the service's. */
export const CLOCK_CODES = new Set(["RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture", "InvalidSignatureException"]);

/** Doctor's own S3 requests through the engine's Requester (retries, token refresh), one at a time, no events. */
export function doctorListing(s3: S3Client, maxAttempts: number, credentials: CredentialRefresher = FIXED_CREDENTIALS, writes?: WriteOptions): Listing {
  return { store: s3Store(s3, writes), requester: new Requester({ concurrency: 1, maxAttempts, credentials, emit: () => undefined }) };
}

/** Credentials that cannot be refreshed (your own, or `--credentials env`). */
export const FIXED_CREDENTIALS: CredentialRefresher = { currentKeyId: undefined, refreshRejected: async () => false };

// ---- clock ----

export interface ClockSample {
  /** The service's time from the Date header. */
  serverMs: number;
  /** Local time when the response arrived. */
  localMs: number;
}

/** Over this much apart, the doctor reports the clock as the problem (the SDK corrects skew from 5 min on). */
export const MAX_SKEW_MS = 5 * 60_000;

interface MiddlewareStackLike {
  add(middleware: unknown, options: { step: "deserialize"; priority: "low"; name: string }): void;
}

/**
 * Records the Date header of every raw response of the clients it is attached to, successful or
 * not, before the SDK parses it (and before the SDK's own clock-skew correction hides the skew).
 */
export class DateProbe {
  readonly samples: ClockSample[] = [];
  constructor(private readonly now: () => number = Date.now) {}

  attach<T extends { middlewareStack: MiddlewareStackLike }>(client: T): T {
    const mw = (next: (args: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
      const out = await next(args);
      this.record(out.response);
      return out;
    };
    client.middlewareStack.add(mw, { step: "deserialize", priority: "low", name: "flexcopyDateProbe" });
    return client;
  }

  record(response: unknown): void {
    if (!HttpResponse.isInstance(response)) return;
    const key = Object.keys(response.headers).find((k) => k.toLowerCase() === "date");
    const serverMs = key === undefined ? NaN : Date.parse(response.headers[key] ?? "");
    if (!Number.isNaN(serverMs)) this.samples.push({ serverMs, localMs: this.now() });
  }

  /** Service time minus local time, from the first response (ms; positive: the local clock is behind). */
  skewMs(): number | undefined {
    const s = this.samples[0];
    return s === undefined ? undefined : s.serverMs - s.localMs;
  }
}

/** "20 min behind", "3 s ahead of": how the local clock stands against the service's. */
export function describeSkew(skewMs: number): string {
  const abs = Math.abs(skewMs);
  const amount = abs >= 3_600_000 ? `${(abs / 3_600_000).toFixed(1)} h` : abs >= 60_000 ? `${Math.round(abs / 60_000)} min` : `${Math.round(abs / 1000)} s`;
  return skewMs > 0 ? `${amount} behind` : `${amount} ahead of`;
}

// ---- listings ----

/** Root prefixes of the source as the user reads them: "2010–2023, testdata, ConnectionSpec". */
export function summarizePrefixes(prefixes: string[]): string {
  const names = prefixes.map((p) => p.replace(/\/$/, ""));
  const years = names.filter((n) => /^\d{4}$/.test(n)).map(Number).sort((a, b) => a - b);
  const others = names.filter((n) => !/^\d{4}$/.test(n));
  const runs: string[] = [];
  for (let i = 0; i < years.length; ) {
    let j = i;
    while (j + 1 < years.length && years[j + 1]! <= years[j]! + 1) j++;
    runs.push(i === j ? String(years[i]) : `${years[i]}–${years[j]}`);
    i = j + 1;
  }
  const all = [...runs, ...others];
  return all.length === 0 ? "nothing" : all.join(", ");
}

/** "12 h", "1 h", "45 min". */
export function formatSeconds(s: number): string {
  return s % 3600 === 0 ? `${s / 3600} h` : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s / 60)} min`;
}
