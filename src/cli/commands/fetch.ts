import { Command } from "commander";
import { parseSelectors, SelectorError } from "../../plan/selectors.js";
import { planDays } from "../../plan/days.js";
import { listPrefixes } from "../../engine/listing.js";
import { EXIT, EXIT_CODES_HELP, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions } from "../options.js";
import { commandLine, makeOutput, withOutputOptions, type OutputFlags } from "../common.js";
import { openSession } from "../session.js";
import { copyContext, executeCopy, interruptible } from "../run-copy.js";

interface FetchFlags extends OutputFlags {
  sample?: boolean;
  force?: boolean;
  dryRun?: boolean;
}

const EXAMPLES = `
Selectors:
  2021                      a whole year
  2021/05  2021/5           a month (zero padding optional)
  2021/05/31  2021/5/3      a day
  2021/05/10..2021/06/03    an inclusive range (any granularity on each side)
  testdata/2021/05          sample data (or add --sample)
Several selectors may be given; days that exist are found by listing, never guessed.

Examples:
  flexcopy fetch 2021/05 --account-id 123456789012 --dest-bucket my-flex-bucket
  flexcopy fetch 2023 --dry-run
  flexcopy fetch 2021/05/10..2021/06/03 2022/01 --json > run.ndjson
${EXIT_CODES_HELP}`;

export function fetchCommand(): Command {
  const cmd = new Command("fetch")
    .alias("copy")
    .description("copy FLEX data for the given dates from the provider's bucket into yours (server-side)")
    .argument("<selector...>", "dates to copy: YYYY, YYYY/MM, YYYY/MM/DD, or FROM..TO")
    .option("--sample", "copy the sample data under testdata/ instead of production data")
    .option("--force", "copy again even objects that are already in your bucket")
    .option("-n, --dry-run", "show the plan (days, objects, bytes, estimated time) and copy nothing");
  withOutputOptions(withConfigOptions(cmd));
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(async (args: string[], flags: FetchFlags, self: Command) => {
    process.exitCode = await fetch(args, flags, self);
  });
  return cmd;
}

async function fetch(args: string[], flags: FetchFlags, self: Command): Promise<number> {
  const config = await commandConfig(self);
  let selectors;
  try {
    selectors = parseSelectors(args, { sample: flags.sample });
  } catch (err) {
    if (err instanceof SelectorError) throw new UsageError(err.message);
    throw err;
  }
  if (!config.destBucket) throw new UsageError("--dest-bucket is required (your bucket; or set FLEXCOPY_DEST_BUCKET, or destBucket in flexcopy.config.json)");
  const out = makeOutput(flags);
  const session = await openSession(config, out.emit);
  const { signal, dispose } = interruptible(
    () => out.emit({ kind: "notice", message: "interrupted: finishing requests in flight (Ctrl-C again to stop now)" }),
    () => {
      out.reporter.close();
      process.stderr.write("flexcopy: stopped\n");
      process.exit(EXIT.interrupted);
    },
  );
  try {
    const run = { session, config, reporter: out.reporter, units: [] as string[], flags, resumeCommand: commandLine(process.argv), signal, emit: out.emit };
    const ctx = copyContext(run);
    const lister = { listPrefixes: (p: string) => listPrefixes(ctx, config.sourceBucket, p, "source") };
    for await (const day of planDays(selectors, lister)) run.units.push(day);
    if (run.units.length === 0) {
      out.emit({ kind: "notice", message: `nothing in s3://${config.sourceBucket} matches ${args.join(" ")}` });
      out.reporter.close();
      return EXIT.ok;
    }
    return (await executeCopy(run, ctx)).code;
  } finally {
    dispose();
    out.reporter.close();
  }
}
