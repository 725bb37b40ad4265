import type { Command } from "commander";
import type { EngineEvent } from "../engine/events.js";
import { createReporter, outputMode, type Reporter } from "./output/reporter.js";

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

export function withOutputOptions(cmd: Command): Command {
  return cmd
    .option("--json", "machine-readable output: NDJSON events on stdout (for CI)")
    .option("-q, --quiet", "print only failures")
    .option("-v, --verbose", "print every object copied or skipped, and every retry")
    .option("--debug", "print stack traces of unexpected errors (secrets stay redacted)");
}

export interface Output {
  reporter: Reporter;
  emit: (e: EngineEvent) => void;
  json: boolean;
}

export function makeOutput(flags: OutputFlags): Output {
  const streams = { stdout: process.stdout, stderr: process.stderr };
  const reporter = createReporter(outputMode(flags, streams), streams, { verbose: flags.verbose });
  return { reporter, emit: (e) => reporter.emit(e), json: flags.json ?? false };
}

/** Quote a command-line argument for the resume hint. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line as typed (program name normalised), for "run this again to resume"; without
 * --force, which would copy again what the interrupted run already finished.
 */
export function commandLine(argv: string[]): string {
  return ["flexcopy", ...argv.slice(2).filter((a) => a !== "--force")].map(shellQuote).join(" ");
}

/** The one warning line for a journal with damaged lines (they were skipped; the rest is used). */
export function damagedJournalText(j: { file: string; damaged: number }): string {
  return `skipped ${j.damaged} damaged ${j.damaged === 1 ? "line" : "lines"} in the resume journal ${j.file}`;
}

/** Reads journals for a command that only reads them, warning once per journal with damaged lines. */
export function warnDamaged<J extends { file: string; damaged: number }>(journals: J[]): J[] {
  for (const j of journals) if (j.damaged > 0) process.stderr.write(`flexcopy: warning: ${damagedJournalText(j)}\n`);
  return journals;
}
