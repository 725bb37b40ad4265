import { UsageError } from "./errors.js";

/**
 * Now, for `today`, `yesterday`: the machine's clock, or FLEXCOPY_NOW (an ISO 8601 time such as
 * 2026-12-01T09:00:00+09:00) to pin it — for tests and for re-running a scheduled job as of a past day.
 */
export function now(env: Record<string, string | undefined> = process.env): number {
  const pinned = env.FLEXCOPY_NOW;
  if (pinned === undefined || pinned === "") return Date.now();
  const t = Date.parse(pinned);
  if (!/^\d{4}-\d{2}-\d{2}/.test(pinned) || Number.isNaN(t)) {
    throw new UsageError(`FLEXCOPY_NOW must be an ISO 8601 time such as 2026-12-01T09:00:00+09:00 (got ${JSON.stringify(pinned)})`);
  }
  return t;
}
