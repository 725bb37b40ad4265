import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { parseSelectors, SelectorError, type Selector } from "../../plan/selectors.js";
import { planDays } from "../../plan/days.js";
import { listPrefixes } from "../../engine/listing.js";
import { inShard, parseShard, shardFromEnv, type Shard } from "../../engine/shard.js";
import { nothingMatched, type Filter } from "../../plan/filters.js";
import { FILTER_HELP, filterWarning, withFilterOptions } from "../filter-options.js";
import { now } from "../clock.js";
import type { EngineEvent } from "../../engine/events.js";
import { sweepOrphans } from "../../engine/orphans.js";
import type { EventOf } from "../../engine/events.js";
import { FileJournal, journalFiles, journalPath, shardJournalPath } from "../../state/journal-file.js";
import { readSettled, settledPath, writeSettled } from "../../state/settled.js";
import { checkWritableFile } from "../../state/output-paths.js";
import { orphansLeftText, summaryText } from "../output/text.js";
import type { FlexConfig } from "../../config/schema.js";
import { EXIT, EXIT_CODES_HELP, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions, requireDestBucket } from "../options.js";
import { commandLine, damagedJournalText, makeOutput, shellQuote, withOutputOptions, type OutputFlags } from "../common.js";
import { openSession, type Session } from "../session.js";
import { copyContext, executeCopy, interruptible, LiveSummary, pricesOf, type CopyRun } from "../run-copy.js";
import type { CopyContext } from "../../engine/copy.js";
import { failedKeys, ReportCollector } from "../report.js";
import { redact } from "../redact.js";
import { runVerify } from "../../engine/verify.js";
import { journalRecord } from "../../engine/records.js";
import { sourceReadable } from "../../engine/contract.js";
import { verifyExitCode, verifyPrinter } from "./verify.js";

interface FetchFlags extends OutputFlags {
  sample?: boolean;
  force?: boolean;
  dryRun?: boolean;
  report?: string;
  retryFailed?: string;
  shard?: string;
  stateDir?: string;
  verify?: boolean;
  strictContract?: boolean;
}

const EXAMPLES = `
Selectors:
  2021                      a whole year
  2021/05  2021/5           a month (zero padding optional)
  2021/05/31  2021/5/3      a day
  2021/05/10..2021/06/03    an inclusive range (any granularity on each side)
  2026/11/01..  ..2010/06   open-ended: to the newest day that exists / from the oldest
  today  yesterday          Japan's calendar (Asia/Tokyo), whatever this machine's time zone
  latest  latest:5          the newest day that exists / the 5 newest days
  testdata/2021/05          sample data (or add --sample)
Several selectors may be given; days that exist are found by listing, never guessed.

Days outside your contract: the first object to copy in each day is checked with one HeadObject;
if the provider's role may not read it, the day is counted as "not entitled" (one line per range
of such days), not tried object by object. They do not make the run fail unless --strict-contract.
--dry-run checks the contract the same way (one HeadObject per day with anything to copy) and
counts such days as not entitled in its plan; it copies nothing and takes no lock.
Objects in GLACIER or DEEP_ARCHIVE (per the listing) are skipped as "archived".
${FILTER_HELP}

Resuming: stop a run any way you like (Ctrl-C, kill -9, lost network) and run the same command
again: finished objects are skipped and multipart copies continue from their last finished part
(journal: ~/.local/state/flexcopy/<dest-bucket>.journal.ndjson, or --state-dir).

Examples:
  flexcopy fetch 2021/05 --account-id 123456789012 --dest-bucket my-flex-bucket
  flexcopy fetch 2023 --dry-run
  flexcopy fetch 2021/05/10..2021/06/03 2022/01 --json > run.ndjson
  flexcopy fetch 2022 --report run.json && flexcopy fetch --retry-failed run.json
  flexcopy fetch 2023 --shard 2/4          (machine 2 of 4 in a CI matrix)
  flexcopy fetch 2023 --shard auto         (AWS Batch array job / Kubernetes Indexed Job)
  flexcopy fetch latest:3 --json --report run.json   (a daily cron or CI job)
${EXIT_CODES_HELP}
  With nothing readable at all (every selected day outside the contract) fetch exits 3.`;

export function fetchCommand(): Command {
  const cmd = new Command("fetch")
    .alias("copy")
    .description("copy FLEX data for the given dates from the provider's bucket into yours (server-side)")
    .argument("[selector...]", "dates to copy: YYYY, YYYY/MM, YYYY/MM/DD, FROM..TO (either side open), today, yesterday, latest, latest:N")
    .option("--sample", "copy the sample data under testdata/ instead of production data: alone, all of it; with dates, those days of it")
    .option("--force", "copy again even objects that are already in your bucket")
    .option("-n, --dry-run", "show the plan (days, objects, bytes, estimated time, the requests and their price, the storage a month) and copy nothing")
    .option("--report <file>", "write the run as JSON: plan, per-day counts, failures with hints, refreshes, timings")
    .option("--retry-failed <report>", "copy again only the objects that failed in an earlier --report")
    .option("--shard <i/n|auto>", "copy only shard i of n of the days (deterministic; for CI matrices); auto: from AWS Batch / Kubernetes Indexed Job variables")
    .option("--strict-contract", "exit 1 when any object is outside your contract (default: counted as not entitled, exit 0)")
    .option("--state-dir <dir>", "where the resume journal lives [FLEXCOPY_STATE_DIR]")
    .option("--verify", "after copying, compare source and destination listings (like flexcopy verify); exit 1 on any mismatch");
  const filterOf = withFilterOptions(cmd);
  withOutputOptions(withConfigOptions(cmd));
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(async (args: string[], flags: FetchFlags, self: Command) => {
    process.exitCode = await fetch(args, flags, self, filterOf());
  });
  return cmd;
}

function selectorsOf(args: string[], flags: FetchFlags): Selector[] {
  // --sample alone means what its help says: all of the sample data under testdata/.
  if (args.length === 0 && flags.sample) args = ["testdata"];
  if (args.length === 0) throw new UsageError("fetch needs at least one selector, e.g. flexcopy fetch 2021/05 (or --sample for all of testdata/, or --retry-failed <report>)");
  try {
    return parseSelectors(args, { sample: flags.sample, now: now() });
  } catch (err) {
    if (err instanceof SelectorError) throw new UsageError(err.message);
    throw err;
  }
}

function shardOf(text: string | undefined) {
  if (text === undefined) return undefined;
  try {
    return text.trim().toLowerCase() === "auto" ? shardFromEnv(process.env) : parseShard(text);
  } catch (err) {
    throw new UsageError(`--shard: ${(err as Error).message}`);
  }
}

async function fetch(args: string[], flags: FetchFlags, self: Command, filter: Filter | undefined): Promise<number> {
  const config = await commandConfig(self);
  const retry = flags.retryFailed ? failedKeys(flags.retryFailed) : undefined;
  if (retry && args.length > 0) throw new UsageError("--retry-failed takes no selectors: it retries exactly the failed objects of the report");
  const selectors = retry ? [] : selectorsOf(args, flags);
  const shard = shardOf(flags.shard);
  const destBucket = requireDestBucket(config);
  if (retry && retry.destBucket !== destBucket) {
    throw new UsageError(`--retry-failed: the report was for s3://${retry.destBucket}, not s3://${destBucket}`);
  }

  // Every output is checked before AssumeRole and the first copy: a bad path fails now, not after hours.
  if (flags.report) checkWritableFile("--report", flags.report);
  const prices = flags.dryRun ? pricesOf(config) : undefined;
  const stateDir = flags.stateDir && path.resolve(flags.stateDir);
  // A dry run writes nothing: it reads the journal (as verify does) and takes no lock, so it runs beside a fetch.
  const journal = new FileJournal(shardJournalPath(journalPath(destBucket, process.env, os.homedir(), stateDir), shard), { readOnly: flags.dryRun });
  // The bucket's other journals (other shards', the main one), read only: fetch and verify read the same records.
  const otherJournals = journalFiles(destBucket, process.env, os.homedir(), stateDir).filter((f) => f !== journal.file).map((f) => new FileJournal(f, { readOnly: true }));

  const out = makeOutput(flags);
  const collector = flags.report ? new ReportCollector(commandLine(process.argv), config.sourceBucket, destBucket) : undefined;
  const live = new LiveSummary();
  const emit = (e: EngineEvent) => {
    live.listen(e);
    out.emit(e);
    collector?.listen(e);
  };
  const writeReport = () => {
    if (collector && flags.report) collector.write(flags.report);
  };
  if (journal.damaged > 0) emit({ kind: "notice", message: damagedJournalText(journal) });
  const ineffective = filterWarning(filter);
  if (ineffective) emit(ineffective);
  let session: Session;
  try {
    session = await openSession(config, emit);
  } catch (err) {
    journal.close();
    throw err;
  }
  const { signal, dispose } = interruptible(
    () => emit({ kind: "notice", message: "interrupted: finishing requests in flight (Ctrl-C again to stop now)" }),
    () => {
      // Stopped at once (a second Ctrl-C, or the grace period over): the summary so far is still said.
      const summary = live.stopped();
      emit({ kind: "summary", summary });
      out.reporter.close();
      out.reporter.line(summaryText(summary));
      writeReport();
      process.stderr.write("flexcopy: stopped; run the same command again to resume\n");
      process.exit(EXIT.interrupted);
    },
  );
  let orphans: EventOf<"orphans"> | undefined;
  try {
    const settledFile = settledPath(journal.file);
    const start = readSettled(settledFile);
    const run: CopyRun = { session, config, reporter: out.reporter, units: [], flags, resumeCommand: commandLine(process.argv), signal, emit, start, ...(prices ? { prices } : {}) };
    const ctx = { ...copyContext(run), journal, otherJournals };
    orphans = flags.dryRun ? undefined : await removeOrphans(ctx, config, journal);
    if (retry) {
      run.units = [...new Set(retry.keys.map((k) => k.slice(0, k.lastIndexOf("/") + 1)))].sort();
    } else {
      const lister = { listPrefixes: (p: string) => listPrefixes(ctx, config.sourceBucket, p, "source") };
      for await (const day of planDays(selectors, lister)) run.units.push(day);
    }
    if (shard) run.units = run.units.filter((u) => inShard(u, shard));
    if (collector) collector.units = run.units;
    if (run.units.length === 0) {
      emit({ kind: "notice", message: `nothing in s3://${config.sourceBucket} matches ${retry ? "the report" : args.join(" ")}${shardText(shard, flags.shard)}` });
      return EXIT.ok;
    }
    if (shard && flags.shard?.trim().toLowerCase() === "auto") emit({ kind: "notice", message: `shard ${shard.index} of ${shard.count} (from ${shardFromEnv(process.env).source})` });
    const result = await executeCopy(run, ctx, retry ? new Set(retry.keys) : undefined, filter?.keep);
    // where auto settled, for the next run against this destination (a run that copied nothing learnt nothing)
    const settled = ctx.requester.settled;
    if (settled && result.summary && (result.summary.copied > 0 || settled.ceiling !== undefined)) writeSettled(settledFile, settled);
    if (filter && result.objects === 0) emit({ kind: "notice", message: nothingMatched(filter) });
    if (!flags.verify || flags.dryRun || result.code === EXIT.interrupted) return result.code;
    const write = (line: string) => process.stdout.write(redact(line) + "\n");
    const printer = verifyPrinter({ json: flags.json, quiet: !flags.verbose }, write);
    const report = await runVerify({ listing: ctx, sourceBucket: config.sourceBucket, destBucket, onDay: printer.day }, run.units, {
      multipartThreshold: config.multipartThreshold,
      recordedEtag: (k) => journalRecord([journal, ...otherJournals], k)?.etag,
      recordedSourceEtag: (k) => journalRecord([journal, ...otherJournals], k)?.sourceEtag,
      keep: filter?.keep,
      entitled: (_day, key) => sourceReadable(ctx, config.sourceBucket, key),
      signal,
    });
    printer.summary(report);
    return Math.max(result.code, verifyExitCode(report));
  } finally {
    // Said last, whatever the outcome: uploads a crash left that this run could not remove.
    const left = orphans && orphansLeftText(orphans);
    if (left) out.reporter.line(left);
    dispose();
    journal.close();
    out.reporter.close();
    writeReport();
  }
}

/**
 * Before the first copy: aborts the uploads an interrupted run orphaned (see engine/orphans.ts) and
 * emits what was found, with the `cleanup` command for what could not be removed.
 */
async function removeOrphans(ctx: CopyContext, config: FlexConfig, journal: FileJournal): Promise<EventOf<"orphans"> | undefined> {
  const command = ["flexcopy", "cleanup", "--dest-bucket", ctx.destBucket];
  command.push("--state-dir", path.dirname(journal.file));
  if (config.credentials === "env") command.push("--credentials", "assume-role");
  if (config.profile) command.push("--profile", config.profile);
  const cleanup = command.map(shellQuote).join(" ");
  const sweep = await sweepOrphans({
    destBucket: ctx.destBucket,
    journal,
    role: ctx,
    owner: ctx.owner,
    roleAccount: config.roleArn?.split(":")[4],
    signal: ctx.signal,
    notice: (message) => ctx.emit({ kind: "notice", message }),
    cleanup,
  });
  if (sweep.keys === 0) return undefined;
  const e: EventOf<"orphans"> = { kind: "orphans", ...sweep, cleanup };
  ctx.emit(e);
  return e;
}

function shardText(shard: Shard | undefined, text: string | undefined): string {
  return shard ? ` in shard ${shard.index}/${shard.count}${text?.trim().toLowerCase() === "auto" ? " (--shard auto)" : ""}` : "";
}
