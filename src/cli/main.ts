import { Command, CommanderError } from "commander";
import { isAuthFailure } from "../aws/classify.js";
import { RequestError } from "../engine/request.js";
import { DestinationDenied } from "../engine/run.js";
import { AuthError, EXIT, EXIT_CODES_HELP, UsageError } from "./errors.js";
import { redact, registerEnvSecrets } from "./redact.js";
import { fetchCommand } from "./commands/fetch.js";
import { lsCommand } from "./commands/ls.js";
import { specCommand } from "./commands/spec.js";
import { emulatorCommand } from "./commands/emulator.js";
import { verifyCommand } from "./commands/verify.js";
import { cleanupCommand } from "./commands/cleanup.js";
import { policyCommand } from "./commands/policy.js";
import { initCommand } from "./commands/init.js";
import { doctorCommand } from "./commands/doctor.js";

export function buildProgram(): Command {
  const program = new Command("flexcopy")
    .description("Copy JPX FLEX Historical data from dataservice-flex-bucket into your own S3 bucket")
    .version(process.env.npm_package_version ?? "0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(redact(str)) })
    .addHelpText("after", EXIT_CODES_HELP);
  for (const cmd of [fetchCommand(), lsCommand(), specCommand(), emulatorCommand(), verifyCommand(), cleanupCommand(), policyCommand(), initCommand(), doctorCommand()]) {
    program.addCommand(cmd.exitOverride());
  }
  return program;
}

function fail(message: string, code: number, hint?: string): void {
  process.stderr.write(redact(`flexcopy: error: ${message}\n`));
  if (hint) process.stderr.write(redact(`  hint: ${hint}\n`));
  process.exitCode = code;
}

/** Entry point: never throws, never prints a stack trace (unless --debug); sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  registerEnvSecrets(process.env);
  // `flexcopy ls | head`: a closed pipe ends the program quietly, not with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const debug = argv.includes("--debug");
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every other parse error is a usage error (commander printed it).
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (debug && err instanceof Error && err.stack) process.stderr.write(redact(err.stack) + "\n");
    if (err instanceof UsageError) return fail(err.message, EXIT.usage);
    if (err instanceof AuthError) return fail(err.message, EXIT.auth, err.hint);
    if (err instanceof DestinationDenied) return fail(err.message, EXIT.auth, err.hint);
    if (err instanceof RequestError) {
      return fail(err.message, isAuthFailure(err) ? EXIT.auth : EXIT.someFailed, err.classified.hint);
    }
    fail(err instanceof Error ? err.message : String(err), EXIT.someFailed);
  }
}
