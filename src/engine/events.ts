/** Everything the engine reports. Output layers (text, NDJSON, progress bars) are listeners. */
export type EngineEvent =
  /** toCopy/toCopyBytes: what is left to copy; only a dry run compares with the destination up front. */
  | { kind: "plan"; days: number; objects: number; bytes: number; toCopy?: number; toCopyBytes?: number; dryRun: boolean }
  | { kind: "day"; day: string; objects: number; bytes: number; toCopy: number; toCopyBytes: number }
  | { kind: "copied"; key: string; size: number; multipart: boolean; parts?: number; etag?: string; ms: number }
  | { kind: "skipped"; key: string; size: number; reason: string }
  | { kind: "failed"; key: string; size: number; code: string; message: string; hint?: string }
  | { kind: "retry"; key?: string; op: string; code: string; attempt: number; delayMs: number }
  | { kind: "refreshed"; reason: string; expiration: string; durationSeconds: number }
  | { kind: "progress"; bytes: number }
  | { kind: "notice"; message: string }
  /** `--concurrency auto`: the copy requests allowed in flight changed (start, grew, or cut on push-back). */
  | { kind: "concurrency"; limit: number; reason: "start" | "increase" | "backoff"; code?: string }
  | { kind: "summary"; summary: RunSummary };

export interface RunSummary {
  copied: number;
  skipped: number;
  failed: number;
  bytesCopied: number;
  bytesSkipped: number;
  retries: number;
  refreshes: number;
  elapsedMs: number;
  interrupted: boolean;
  /** Copy requests allowed in flight: fixed, or where `auto` ended, its peak and how often it backed off. */
  concurrency?: ConcurrencySummary;
}

export interface ConcurrencySummary {
  mode: "auto" | "fixed";
  limit: number;
  peak: number;
  backoffs: number;
}

export type EventKind = EngineEvent["kind"];
export type EventOf<K extends EventKind> = Extract<EngineEvent, { kind: K }>;
export type Emit = (event: EngineEvent) => void;

export function emptySummary(): RunSummary {
  return { copied: 0, skipped: 0, failed: 0, bytesCopied: 0, bytesSkipped: 0, retries: 0, refreshes: 0, elapsedMs: 0, interrupted: false };
}
