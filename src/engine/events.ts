/** Everything the engine reports. Output layers (text, NDJSON, progress bars) are listeners. */
export type EngineEvent =
  /** toCopy/toCopyBytes: what is left to copy; only a dry run compares with the destination up front. */
  | { kind: "plan"; days: number; objects: number; bytes: number; toCopy?: number; toCopyBytes?: number; notEntitled?: number; notEntitledBytes?: number; dryRun: boolean }
  | { kind: "day"; day: string; objects: number; bytes: number; toCopy: number; toCopyBytes: number; notEntitled: number; notEntitledBytes: number }
  | { kind: "copied"; key: string; size: number; multipart: boolean; parts?: number; etag?: string; ms: number }
  | { kind: "skipped"; key: string; size: number; reason: string }
  | { kind: "failed"; key: string; size: number; code: string; message: string; hint?: string }
  /** The destination refused a copy in this unit (a day, `testdata/…`): its other objects are not sent (refusals.ts). */
  | { kind: "refused"; unit: string; key: string; hint: string }
  /** Consecutive units outside the customer's contract: their objects were counted, not tried. */
  | { kind: "not-entitled"; from: string; to: string; days: number; objects: number; bytes: number }
  | { kind: "retry"; key?: string; op: string; code: string; attempt: number; delayMs: number }
  | { kind: "refreshed"; reason: string; expiration: string; durationSeconds: number }
  | { kind: "progress"; bytes: number }
  | { kind: "notice"; message: string }
  /** --include rules that cannot change the selection (plan/filters.ts), with the form that does: said once, before anything is listed. */
  | { kind: "filter-warning"; message: string; includes: string[]; suggestion: string }
  /** An incomplete multipart upload flexcopy created and could not abort (billed until removed). */
  | { kind: "upload-left"; key: string; uploadId: string; command: string }
  /** Uploads a crashed run orphaned: looked for before the first copy; `cleanup` is the command that removes what is left. */
  | { kind: "orphans"; keys: number; found: number; removed: number; left: number; unchecked: number; cleanup?: string }
  /** Copies in flight and none finished for `seconds` (run.ts STALL_WARN_MS): a stalled connection, said, not a silent hang. */
  | { kind: "stalled"; seconds: number; inFlight: number }
  /** `--concurrency auto`: the copy requests allowed in flight changed (start, grew, or cut on push-back). */
  | { kind: "concurrency"; limit: number; reason: "start" | "increase" | "backoff"; code?: string }
  | { kind: "summary"; summary: RunSummary };

export interface RunSummary {
  copied: number;
  skipped: number;
  failed: number;
  /** Objects in days outside the contract (not tried; not failures unless --strict-contract). */
  notEntitled: number;
  /** Objects in an archive storage class (GLACIER, DEEP_ARCHIVE): skipped, not copyable until restored. */
  archived: number;
  bytesCopied: number;
  bytesSkipped: number;
  retries: number;
  refreshes: number;
  elapsedMs: number;
  interrupted: boolean;
  /** Incomplete multipart uploads left behind (see the upload-left events for the command that removes them). */
  uploadsLeft: number;
  /** The resume journal could not be written (path and cause): the run stopped there (interrupted is true). */
  journalError?: string;
  /** No request succeeded for `--give-up-after` while requests failed (request.ts EndpointGone): the run stopped there (interrupted is true). */
  endpointGone?: string;
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
  return { copied: 0, skipped: 0, failed: 0, notEntitled: 0, archived: 0, bytesCopied: 0, bytesSkipped: 0, retries: 0, refreshes: 0, elapsedMs: 0, interrupted: false, uploadsLeft: 0 };
}
