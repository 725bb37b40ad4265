import { Command, CommanderError } from "commander";
import { isAuthFailure } from "../aws/classify.js";
import { EndpointGone, RequestError } from "../engine/request.js";
import { DestinationDenied } from "../engine/run.js";
import { AuthError, EXIT, EXIT_CODES_HELP, UsageError } from "./errors.js";
import { redact, registerEnvSecrets } from "./redact.js";
import { JournalBusy, JournalError } from "../state/journal-file.js";
import { JournalWriteFailed } from "../engine/journal.js";
import { EndpointStopped, JournalStopped } from "./run-copy.js";
import { OutputPathError } from "../state/output-paths.js";
import { fetchCommand } from "./commands/fetch.js";
import { lsCommand } from "./commands/ls.js";
import { specCommand } from "./commands/spec.js";
import { emulatorCommand } from "./commands/emulator.js";
import { verifyCommand } from "./commands/verify.js";
import { cleanupCommand } from "./commands/cleanup.js";
import { policyCommand } from "./commands/policy.js";
import { initCommand } from "./commands/init.js";
import { doctorCommand } from "./commands/doctor.js";
import { VERSION } from "./version.js";

export function buildProgram(): Command {
  const program = new Command("flexcopy")
    .description("Copy JPX FLEX Historical data from dataservice-flex-bucket into your own S3 bucket")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: commanderError })
    .addHelpText("after", EXIT_CODES_HELP);
  for (const cmd of [fetchCommand(), lsCommand(), specCommand(), emulatorCommand(), verifyCommand(), cleanupCommand(), policyCommand(), initCommand(), doctorCommand()]) {
    program.addCommand(cmd.exitOverride().configureOutput({ outputError: commanderError }));
  }
  return program;
}

/** Longest error line printed: bad input is echoed in errors, and may be 100 KB long. */
export const MAX_ERROR_CHARS = 400;

/** One line, cut to MAX_ERROR_CHARS (the cut says how much was left out). */
export function oneLine(message: string): string {
  const flat = message.replace(/\s*\r?\n\s*/g, " ").trim();
  return flat.length <= MAX_ERROR_CHARS ? flat : `${flat.slice(0, MAX_ERROR_CHARS)}… (${flat.length - MAX_ERROR_CHARS} more characters)`;
}

/** Commander's parse errors ("error: unknown option '--x'") in flexcopy's one-line form. */
function commanderError(str: string, write: (s: string) => void): void {
  write(redact(`flexcopy: error: ${oneLine(str.replace(/^error:\s*/, ""))} (run with --help for usage)\n`));
}

function fail(message: string, code: number, hint?: string): void {
  process.stderr.write(redact(`flexcopy: error: ${oneLine(message)}\n`));
  if (hint) process.stderr.write(redact(`  hint: ${oneLine(hint)}\n`));
  process.exitCode = code;
}

/** Commands whose output is all they do: a closed pipe (`flexcopy ls | head`) ends them quietly. */
const PRINT_ONLY = new Set(["ls", "spec", "policy", "help"]);

/**
 * A closed stdout or stderr (a pipe's reader gone, a CI log collector, a dropped SSH session).
 * `ls | head` and the like end quietly: their output is all they do. Every other command (fetch, verify,
 * cleanup, doctor) goes on with that output dropped, and ends with the exit code of what it did: a closed
 * pipe says nothing about the copy, and stopping there would leave a partial copy and uploads in flight, with
 * an exit code that cannot tell. Ctrl-C or SIGTERM stops a run. The last thing stdout would have shown
 * (the summary) goes to stderr at the end, if stderr is still open. Returns that final step.
 */
function onClosedOutput(verb: string | undefined): () => Promise<void> {
  let lastChunk: string | Uint8Array | undefined;
  let stdoutClosed = false;
  // The last thing written to stdout (the summary): the write that finds the pipe closed is lost with it.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lastChunk = chunk;
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  const drop = (stream: NodeJS.WriteStream, keep?: (text: string) => void) => {
    stream.write = ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
      keep?.(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      const done = typeof enc === "function" ? enc : cb;
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    }) as typeof stream.write;
  };
  const onError = (stream: NodeJS.WriteStream) => (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    if (verb !== undefined && PRINT_ONLY.has(verb)) process.exit(process.exitCode ?? 0);
    if (stream === process.stdout) {
      if (stdoutClosed) return;
      stdoutClosed = true;
      drop(process.stdout, (text) => (lastChunk = text));
    } else drop(process.stderr);
  };
  process.stdout.on("error", onError(process.stdout));
  process.stderr.on("error", onError(process.stderr));
  return async () => {
    // A write's EPIPE is reported a tick later: let the last one arrive.
    await new Promise((resolve) => setImmediate(resolve));
    if (!stdoutClosed) return;
    const text = typeof lastChunk === "string" ? lastChunk : lastChunk ? Buffer.from(lastChunk).toString("utf8") : "";
    const last = text.trim();
    process.stderr.write(redact(`flexcopy: standard output was closed (EPIPE); the run went on without it${last ? `. What it would have shown last:\n${last}` : ""}\n`));
  };
}

/** Entry point: never throws, never prints a stack trace (unless --debug); sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  registerEnvSecrets(process.env);
  const finish = onClosedOutput(argv[2]);
  try {
    await run(argv);
  } finally {
    await finish();
  }
}

async function run(argv: string[]): Promise<void> {
  const debug = argv.includes("--debug");
  try {
    const program = buildProgram();
    // `flexcopy help nope` would print the whole help as an error; it is an unknown command like any other.
    const [verb, topic] = argv.slice(2);
    if (verb === "help" && topic !== undefined && !program.commands.some((c) => c.name() === topic || c.aliases().includes(topic))) {
      return fail(`unknown command '${topic}' (run with --help for usage)`, EXIT.usage);
    }
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every other parse error is a usage error (commander printed it).
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (debug && err instanceof Error && err.stack) process.stderr.write(redact(err.stack) + "\n");
    if (err instanceof UsageError || err instanceof OutputPathError || err instanceof JournalError || err instanceof JournalBusy) return fail(err.message, EXIT.usage);
    if (err instanceof AuthError) return fail(err.message, EXIT.auth, err.hint);
    // The journal could not be written mid-run: exit 2, as when it cannot be opened (the state directory's fault).
    if (err instanceof JournalStopped) return fail(err.message, EXIT.usage, err.hint);
    if (err instanceof JournalWriteFailed) return fail(err.message, EXIT.usage);
    if (err instanceof DestinationDenied) return fail(err.message, EXIT.auth, err.hint);
    if (err instanceof EndpointGone || err instanceof EndpointStopped) return fail(err.message, EXIT.someFailed, err.hint);
    if (err instanceof RequestError) {
      return fail(err.message, isAuthFailure(err) ? EXIT.auth : EXIT.someFailed, err.classified.hint);
    }
    fail(err instanceof Error ? err.message : String(err), EXIT.someFailed);
  }
}
