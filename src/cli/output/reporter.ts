import cliProgress from "cli-progress";
import { formatBytes, formatDuration } from "../../config/sizes.js";
import type { EngineEvent } from "../../engine/events.js";
import { redact } from "../redact.js";
import { formatEvent } from "./text.js";

export type OutputMode = "json" | "tty" | "plain" | "quiet";

export interface Reporter {
  emit(e: EngineEvent): void;
  /** Print a result line (goes to stdout in every mode but json). */
  line(text: string): void;
  /** A result record of the command's own (not an engine event): its JSON line with --json, else `text` as a line. */
  record(r: { kind: string }, text: string): void;
  close(): void;
}

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function outputMode(opts: { json?: boolean; quiet?: boolean; verbose?: boolean }, streams: Streams): OutputMode {
  if (opts.json) return "json";
  if (opts.quiet) return "quiet";
  return streams.stderr.isTTY ? "tty" : "plain";
}

/** NDJSON for CI: one event per line, stable keys; progress ticks are left out. */
function jsonReporter(s: Streams): Reporter {
  return {
    emit: (e) => {
      if (e.kind === "progress") return;
      s.stdout.write(redact(JSON.stringify({ ...e, time: new Date().toISOString() })) + "\n");
    },
    line: () => undefined,
    record: (r) => s.stdout.write(redact(JSON.stringify({ ...r, time: new Date().toISOString() })) + "\n"),
    close: () => undefined,
  };
}

interface Counters {
  total: number;
  done: number;
  copied: number;
  skipped: number;
  failed: number;
  retries: number;
  refreshes: number;
  started: number;
  /** Copy requests allowed in flight (`auto` reports it as it changes). */
  concurrency?: number;
}

function count(c: Counters, e: EngineEvent): void {
  if (e.kind === "plan") c.total = e.bytes;
  else if (e.kind === "progress") c.done += e.bytes;
  else if (e.kind === "copied") c.copied += 1;
  else if (e.kind === "skipped") c.skipped += 1;
  else if (e.kind === "failed") c.failed += 1;
  else if (e.kind === "retry") c.retries += 1;
  else if (e.kind === "refreshed" && e.reason !== "initial") c.refreshes += 1;
  else if (e.kind === "concurrency") c.concurrency = e.limit;
}

function statusLine(c: Counters): string {
  const secs = (Date.now() - c.started) / 1000;
  const rate = secs > 0 ? c.done / secs : 0;
  const pct = c.total > 0 ? ` ${((100 * c.done) / c.total).toFixed(1)}%` : "";
  const eta = rate > 0 && c.total > c.done ? `, ETA ${formatDuration((c.total - c.done) / rate)}` : "";
  return `${formatBytes(c.done)}${c.total ? ` of ${formatBytes(c.total)}` : ""}${pct}, ${c.copied} copied, ${c.skipped} skipped, ${c.failed} failed, ${formatBytes(rate)}/s${eta}, ${c.retries} retries, ${c.refreshes} refreshes${c.concurrency ? `, concurrency ${c.concurrency}` : ""}`;
}

/** Terminal: a live bar (bytes, objects, rate, ETA, retries, refreshes); messages print above it. */
function ttyReporter(s: Streams, verbose: boolean): Reporter {
  const c: Counters = { total: 0, done: 0, copied: 0, skipped: 0, failed: 0, retries: 0, refreshes: 0, started: Date.now() };
  const multi = new cliProgress.MultiBar(
    {
      stream: s.stderr as NodeJS.WriteStream,
      format: "{bar} {percentage}% | {doneh} of {totalh} | {copied} copied, {skipped} skipped, {failed} failed | {rate}/s | ETA {etah} | {retries} retries, {refreshes} refreshes{concurrencyh}",
      hideCursor: true,
      clearOnComplete: false,
      gracefulExit: false, // our own SIGINT handling saves state and prints the resume command
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  let closed = false;
  const payload = () => {
    const secs = (Date.now() - c.started) / 1000;
    const rate = secs > 0 ? c.done / secs : 0;
    return {
      doneh: formatBytes(c.done),
      totalh: c.total ? formatBytes(c.total) : "?",
      copied: c.copied,
      skipped: c.skipped,
      failed: c.failed,
      retries: c.retries,
      refreshes: c.refreshes,
      rate: formatBytes(rate),
      concurrencyh: c.concurrency ? ` | concurrency ${c.concurrency}` : "",
      etah: rate > 0 && c.total > c.done ? formatDuration((c.total - c.done) / rate) : "-",
    };
  };
  const print = (text: string) => {
    if (bar && !closed) multi.log(redact(text) + "\n");
    else s.stderr.write(redact(text) + "\n");
  };
  const quietKinds = verbose ? ["progress", "summary"] : ["progress", "summary", "copied", "skipped", "retry", "concurrency"];
  return {
    emit: (e) => {
      count(c, e);
      if (e.kind === "plan" && !e.dryRun && !closed) {
        bar ??= multi.create(Math.max(c.total, 1), c.done, payload());
        bar.setTotal(Math.max(c.total, 1));
      }
      bar?.update(c.done, payload());
      if (quietKinds.includes(e.kind) || (e.kind === "plan" && !e.dryRun)) return;
      const t = formatEvent(e);
      if (t) print(t);
    },
    line: (text) => {
      s.stdout.write(redact(text) + "\n");
    },
    record: (_r, text) => s.stdout.write(redact(text) + "\n"),
    close: () => {
      if (closed) return;
      closed = true;
      bar?.update(c.done, payload());
      multi.stop();
    },
  };
}

/** Not a terminal (CI logs): a plain progress line every few seconds, messages as they come. */
function plainReporter(s: Streams, verbose: boolean, quiet: boolean, intervalMs = 5000): Reporter {
  const c: Counters = { total: 0, done: 0, copied: 0, skipped: 0, failed: 0, retries: 0, refreshes: 0, started: Date.now() };
  const timer = quiet ? undefined : setInterval(() => s.stderr.write(`progress: ${statusLine(c)}\n`), intervalMs);
  timer?.unref();
  return {
    emit: (e) => {
      count(c, e);
      if (e.kind === "progress" || e.kind === "summary") return;
      if (quiet && e.kind !== "failed") return;
      if (!verbose && (e.kind === "copied" || e.kind === "skipped" || e.kind === "retry" || e.kind === "concurrency")) return;
      const t = formatEvent(e);
      if (t) s.stderr.write(redact(t) + "\n");
    },
    line: (text) => {
      if (!quiet) s.stdout.write(redact(text) + "\n");
    },
    record: (_r, text) => {
      if (!quiet) s.stdout.write(redact(text) + "\n");
    },
    close: () => {
      if (timer) clearInterval(timer);
    },
  };
}

export function createReporter(mode: OutputMode, streams: Streams, opts: { verbose?: boolean } = {}): Reporter {
  const verbose = opts.verbose ?? false;
  if (mode === "json") return jsonReporter(streams);
  if (mode === "tty") return ttyReporter(streams, verbose);
  return plainReporter(streams, verbose, mode === "quiet");
}
