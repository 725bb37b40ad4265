import { UsageError } from "./errors.js";

const OFFSET = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * Now, for `today`, `yesterday` and `latest`: the machine's clock, or FLEXCOPY_NOW (an ISO 8601 time
 * such as 2026-12-01T09:00:00+09:00) to pin it — for tests and for re-running a scheduled job as of
 * a past day. A time without an offset (2026-12-01T07:30, or a bare date) is Japan's time: FLEX days
 * are Tokyo days, and the same setting then means the same day on a laptop in Tokyo and on a CI
 * runner in UTC (JavaScript would read it in the machine's zone, a bare date as UTC).
 */
export function now(env: Record<string, string | undefined> = process.env): number {
  const pinned = env.FLEXCOPY_NOW?.trim();
  if (pinned === undefined || pinned === "") return Date.now();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(pinned);
  const text = dateOnly ? `${pinned}T00:00:00+09:00` : OFFSET.test(pinned) ? pinned : `${pinned}+09:00`;
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) || Number.isNaN(t)) {
    throw new UsageError(`FLEXCOPY_NOW must be an ISO 8601 time such as 2026-12-01T09:00:00+09:00 (got ${JSON.stringify(env.FLEXCOPY_NOW)})`);
  }
  return t;
}
