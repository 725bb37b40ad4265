// Where `--concurrency auto` settled in the last run against a destination bucket, so the next run starts
// there instead of ramping up from the bottom (engine/concurrency.ts). One small JSON file beside the
// bucket's journal: `<bucket>.concurrency.json` (a `--shard` run's beside its own journal).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Settled } from "../engine/concurrency.js";

/** The settled file of a journal file (`x.journal.ndjson` -> `x.concurrency.json`). */
export function settledPath(journalFile: string): string {
  return journalFile.replace(/\.journal\.ndjson$/, "") + ".concurrency.json";
}

/** What the last run settled at, or undefined (no file, or one that is not ours: it is only a hint). */
export function readSettled(file: string): Settled | undefined {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  const o = v as { limit?: unknown; ceiling?: unknown };
  const whole = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 1 && x <= 100_000;
  if (!o || !whole(o.limit)) return undefined;
  return whole(o.ceiling) ? { limit: o.limit, ceiling: o.ceiling } : { limit: o.limit };
}

/**
 * Records where a run settled (atomically: a temporary file renamed over the old one), in the state
 * directory the journal already made. One that cannot be written loses only the hint, never the run:
 * errors are returned, not thrown.
 */
export function writeSettled(file: string, s: Settled, now = new Date()): Error | undefined {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ ...s, at: now.toISOString() })}\n`, { mode: 0o600 });
    renameSync(tmp, file);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}
