import { formatBytes, formatDuration } from "../../config/sizes.js";
import type { EngineEvent, EventOf, RunSummary } from "../../engine/events.js";
import { textOf, type TextForms } from "./records.js";

/** One formatter per event kind: adding an event kind without its text form does not compile. */
export const TEXT: TextForms<EngineEvent> = {
  plan: (e) =>
    `${e.dryRun ? "plan" : "planned"}: ${e.days} ${e.days === 1 ? "folder" : "folders"}, ${e.objects} objects, ${formatBytes(e.bytes)}` +
    (e.toCopy === undefined ? "" : `; to copy: ${e.toCopy} objects, ${formatBytes(e.toCopyBytes ?? 0)}`) +
    (e.notEntitled ? `; outside your contract: ${e.notEntitled} objects, ${formatBytes(e.notEntitledBytes ?? 0)}` : ""),
  day: (e) =>
    `  ${e.day.padEnd(22)} ${String(e.objects).padStart(6)} objects ${formatBytes(e.bytes).padStart(10)}   to copy ${String(e.toCopy).padStart(6)} ${formatBytes(e.toCopyBytes).padStart(10)}` +
    (e.notEntitled ? "   outside your contract" : ""),
  copied: (e) => `copied  ${e.key} (${formatBytes(e.size)}${e.multipart ? `, ${e.parts} parts` : ""})`,
  skipped: (e) => `skipped ${e.key}: ${e.reason}`,
  failed: (e) => `failed  ${e.key}: ${e.code}${e.hint ? ` — ${e.hint}` : ""}`,
  refused: (e) => `refused ${e.unit}: your bucket refused the copy of ${e.key}, so the rest of ${e.unit} is not sent (other days go on) — ${e.hint}`,
  "not-entitled": (e) =>
    `${e.from === e.to ? e.from : `${e.from}..${e.to}`}: outside your contract, ${e.objects} ${e.objects === 1 ? "object" : "objects"} not copied (${formatBytes(e.bytes)})`,
  retry: (e) => `retry   ${e.op}${e.key ? ` ${e.key}` : ""}: ${e.code} (attempt ${e.attempt}, waiting ${e.delayMs} ms)`,
  refreshed: (e) =>
    e.reason === "initial"
      ? `assumed role for ${formatDuration(e.durationSeconds)} (until ${e.expiration})`
      : `credentials refreshed (${e.reason}), valid until ${e.expiration}`,
  progress: () => undefined,
  notice: (e) => `note: ${e.message}`,
  "filter-warning": (e) => `warning: ${e.message}`,
  "upload-left": (e) => `left    ${e.key}: an incomplete multipart upload that flexcopy could not abort (billed until removed): ${e.command}`,
  orphans: (e) => (e.removed > 0 ? `removed ${e.removed} incomplete ${e.removed === 1 ? "upload" : "uploads"} an interrupted run left behind` : undefined),
  stalled: (e) =>
    `warning: no copy has finished for ${e.seconds} s (${e.inFlight} ${e.inFlight === 1 ? "object" : "objects"} in progress); still waiting: a connection may be stalled (a copy is retried after 15 min of silence, other requests after --request-timeout; Ctrl-C stops, the same command resumes)`,
  concurrency: (e) =>
    e.reason === "backoff" ? `concurrency ${e.limit}: backing off (${e.code ?? "push-back"})` : `concurrency ${e.limit}${e.reason === "start" ? " (auto)" : ""}`,
  summary: (e) => summaryText(e.summary),
};

export function formatEvent(e: EngineEvent): string | undefined {
  return textOf(TEXT, e, undefined);
}

export function summaryText(s: RunSummary): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? `${formatBytes(s.bytesCopied / secs)}/s` : "-";
  return [
    `${s.interrupted ? "interrupted" : "done"}: ${s.copied} copied (${formatBytes(s.bytesCopied)}), ${s.skipped} skipped (${formatBytes(s.bytesSkipped)}), ${s.failed} failed` +
      (s.notEntitled > 0 ? `, ${s.notEntitled} not entitled` : "") +
      (s.archived > 0 ? `, ${s.archived} archived` : ""),
    `  ${formatDuration(secs)} elapsed, ${rate}, ${s.retries} retries, ${s.refreshes} credential refreshes${concurrencyText(s)}`,
    ...(s.uploadsLeft > 0 ? [`  ${s.uploadsLeft} incomplete multipart upload(s) left in your bucket: the "left" lines above give the command that removes them`] : []),
  ].join("\n");
}

function concurrencyText(s: RunSummary): string {
  const c = s.concurrency;
  if (!c) return "";
  if (c.mode === "fixed") return `, concurrency ${c.limit}`;
  return `, concurrency auto (peak ${c.peak}, ended at ${c.limit}, ${c.backoffs} back-offs)`;
}

/** The end-of-run warning when uploads orphaned by a crash could not be removed; undefined when none. */
export function orphansLeftText(e: EventOf<"orphans">): string | undefined {
  if (e.left === 0 && e.unchecked === 0) return undefined;
  const what =
    e.left > 0
      ? `${e.left} incomplete ${e.left === 1 ? "upload" : "uploads"} left by an interrupted run could not be aborted`
      : `incomplete uploads of ${e.unchecked} ${e.unchecked === 1 ? "object" : "objects"} may be left by an interrupted run and could not be looked for`;
  return `warning: ${what} (they are billed until removed); remove them with the bucket owner's credentials:\n  ${e.cleanup ?? "flexcopy cleanup"}`;
}
