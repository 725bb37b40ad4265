import { formatBytes, formatDuration } from "../../config/sizes.js";
import type { EngineEvent, EventKind, EventOf, RunSummary } from "../../engine/events.js";

type Formatters = { [K in EventKind]: (e: EventOf<K>) => string | undefined };

/** One formatter per event kind: adding an event kind without its text form does not compile. */
export const TEXT: Formatters = {
  plan: (e) =>
    `${e.dryRun ? "plan" : "planned"}: ${e.days} ${e.days === 1 ? "folder" : "folders"}, ${e.objects} objects, ${formatBytes(e.bytes)}` +
    (e.toCopy === undefined ? "" : `; to copy: ${e.toCopy} objects, ${formatBytes(e.toCopyBytes ?? 0)}`),
  day: (e) => `  ${e.day.padEnd(22)} ${String(e.objects).padStart(6)} objects ${formatBytes(e.bytes).padStart(10)}   to copy ${String(e.toCopy).padStart(6)} ${formatBytes(e.toCopyBytes).padStart(10)}`,
  copied: (e) => `copied  ${e.key} (${formatBytes(e.size)}${e.multipart ? `, ${e.parts} parts` : ""})`,
  skipped: (e) => `skipped ${e.key}: ${e.reason}`,
  failed: (e) => `failed  ${e.key}: ${e.code}${e.hint ? ` — ${e.hint}` : ""}`,
  retry: (e) => `retry   ${e.op}${e.key ? ` ${e.key}` : ""}: ${e.code} (attempt ${e.attempt}, waiting ${e.delayMs} ms)`,
  refreshed: (e) =>
    e.reason === "initial"
      ? `assumed role for ${formatDuration(e.durationSeconds)} (until ${e.expiration})`
      : `credentials refreshed (${e.reason}), valid until ${e.expiration}`,
  progress: () => undefined,
  notice: (e) => `note: ${e.message}`,
  concurrency: (e) =>
    e.reason === "backoff" ? `concurrency ${e.limit}: backing off (${e.code ?? "push-back"})` : `concurrency ${e.limit}${e.reason === "start" ? " (auto)" : ""}`,
  summary: (e) => summaryText(e.summary),
};

export function formatEvent(e: EngineEvent): string | undefined {
  return (TEXT[e.kind] as (x: EngineEvent) => string | undefined)(e);
}

export function summaryText(s: RunSummary): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? `${formatBytes(s.bytesCopied / secs)}/s` : "-";
  return [
    `${s.interrupted ? "interrupted" : "done"}: ${s.copied} copied (${formatBytes(s.bytesCopied)}), ${s.skipped} skipped (${formatBytes(s.bytesSkipped)}), ${s.failed} failed`,
    `  ${formatDuration(secs)} elapsed, ${rate}, ${s.retries} retries, ${s.refreshes} credential refreshes${concurrencyText(s)}`,
  ].join("\n");
}

function concurrencyText(s: RunSummary): string {
  const c = s.concurrency;
  if (!c) return "";
  if (c.mode === "fixed") return `, concurrency ${c.limit}`;
  return `, concurrency auto (peak ${c.peak}, ended at ${c.limit}, ${c.backoffs} back-offs)`;
}
