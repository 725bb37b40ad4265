import { z } from "zod";
import type { EngineEvent, RunSummary } from "../engine/events.js";
import { parseDayPrefix } from "../plan/days.js";
import { FileReadError, readRegularFile } from "../config/read-file.js";
import { writeFileAtomic } from "../state/output-paths.js";
import { UsageError } from "./errors.js";

/** The largest --report read back by --retry-failed (a year of failures with their hints fits many times). */
export const MAX_REPORT_BYTES = 256 * 2 ** 20;

interface DayStats {
  objects: number;
  bytes: number;
  copied: number;
  skipped: number;
  failed: number;
  bytesCopied: number;
}

export interface RunReport {
  version: 1;
  command: string;
  sourceBucket: string;
  destBucket: string;
  startedAt: string;
  finishedAt?: string;
  plan?: { days: number; objects: number; bytes: number; toCopy?: number; toCopyBytes?: number };
  days: Record<string, DayStats>;
  failures: { key: string; size: number; code: string; message: string; hint?: string }[];
  /** Ranges of days outside the contract: their objects were counted, not tried. */
  notEntitled: { from: string; to: string; days: number; objects: number; bytes: number }[];
  refreshes: { at: string; reason: string; expiration: string; durationSeconds: number }[];
  retries: number;
  /** Incomplete uploads an interrupted earlier run left: found, removed, and left for `cleanup`. */
  orphanedUploads?: { found: number; removed: number; left: number; unchecked: number; cleanup?: string };
  summary?: RunSummary;
}

/** Collects a run's events into the `--report` JSON (plan, per-day counts, failures, refreshes, timings). */
export class ReportCollector {
  readonly report: RunReport;
  constructor(
    command: string,
    sourceBucket: string,
    destBucket: string,
    /** Day units of the run, to attribute objects to days (set once planned). */
    public units: string[] = [],
  ) {
    this.report = { version: 1, command, sourceBucket, destBucket, startedAt: new Date().toISOString(), days: {}, failures: [], notEntitled: [], refreshes: [], retries: 0 };
  }

  private day(key: string): DayStats {
    const unit = this.units.find((u) => key.startsWith(u)) ?? key.slice(0, key.lastIndexOf("/") + 1);
    return (this.report.days[unit] ??= { objects: 0, bytes: 0, copied: 0, skipped: 0, failed: 0, bytesCopied: 0 });
  }

  listen = (e: EngineEvent): void => {
    const r = this.report;
    if (e.kind === "plan") r.plan = { days: e.days, objects: e.objects, bytes: e.bytes, toCopy: e.toCopy, toCopyBytes: e.toCopyBytes };
    else if (e.kind === "copied" || e.kind === "skipped" || e.kind === "failed") {
      const d = this.day(e.key);
      d.objects += 1;
      d.bytes += e.size;
      if (e.kind === "copied") {
        d.copied += 1;
        d.bytesCopied += e.size;
      } else if (e.kind === "skipped") d.skipped += 1;
      else {
        d.failed += 1;
        r.failures.push({ key: e.key, size: e.size, code: e.code, message: e.message, hint: e.hint });
      }
    } else if (e.kind === "not-entitled") r.notEntitled.push({ from: e.from, to: e.to, days: e.days, objects: e.objects, bytes: e.bytes });
    else if (e.kind === "refreshed") r.refreshes.push({ at: new Date().toISOString(), reason: e.reason, expiration: e.expiration, durationSeconds: e.durationSeconds });
    else if (e.kind === "retry") r.retries += 1;
    else if (e.kind === "orphans") r.orphanedUploads = { found: e.found, removed: e.removed, left: e.left, unchecked: e.unchecked, cleanup: e.cleanup };
    else if (e.kind === "summary") {
      r.summary = e.summary;
      r.finishedAt = new Date().toISOString();
    }
  };

  /** Atomic: a crash while writing never leaves half a report. */
  write(file: string): void {
    writeFileAtomic("--report", file, JSON.stringify(this.report, null, 2) + "\n");
  }
}

const reportSchema = z.object({
  version: z.literal(1),
  sourceBucket: z.string(),
  destBucket: z.string(),
  failures: z.array(z.object({ key: z.string() })),
});

/** The failed keys of an earlier `--report`, for `fetch --retry-failed`. */
export function failedKeys(file: string): { keys: string[]; sourceBucket: string; destBucket: string } {
  let data: unknown;
  try {
    data = JSON.parse(readRegularFile(file, MAX_REPORT_BYTES));
  } catch (err) {
    const why = err instanceof FileReadError ? err.reason : (err as Error).message.split("\n")[0];
    throw new UsageError(`--retry-failed: cannot read report ${file}: ${why}`);
  }
  const parsed = reportSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(`--retry-failed: ${file} is not a flexcopy report (written by --report)`);
  // Failures are objects of the provider's date layout; anything else was not written by flexcopy.
  const bad = parsed.data.failures.find((f) => !isDataKey(f.key));
  if (bad) throw new UsageError(`--retry-failed: ${file} is not a flexcopy report: ${JSON.stringify(bad.key)} is not a key of the provider's bucket (YYYY/MM/DD/<file>)`);
  return { keys: [...new Set(parsed.data.failures.map((f) => f.key))], sourceBucket: parsed.data.sourceBucket, destBucket: parsed.data.destBucket };
}

/** A data object's key: a valid day folder ("2021/05/31/", or under testdata/) and a file name, no "." or ".." parts. */
export function isDataKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const name = key.slice(slash + 1);
  if (slash < 0 || !name || key.split("/").some((p) => p === "." || p === "..")) return false;
  return parseDayPrefix(key.slice(0, slash + 1)) !== undefined;
}
