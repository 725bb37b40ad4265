import { DestinationLister, DestinationUnlistable } from "../../engine/dest-listing.js";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { FileJournal, journalFiles } from "../../state/journal-file.js";
import { listPrefixes, type Listing } from "../../engine/listing.js";
import { sourceReadable } from "../../engine/contract.js";
import { emptyCounts, runVerify, type DayVerify, type VerifyCounts, type VerifyFinding, type VerifyReport } from "../../engine/verify.js";
import { planDays } from "../../plan/days.js";
import { journalRecord } from "../../engine/records.js";
import { parseSelectors, SelectorError } from "../../plan/selectors.js";
import { commandLine, makeOutput, warnDamaged, type OutputFlags } from "../common.js";
import { nothingMatched, type Filter } from "../../plan/filters.js";
import { FILTER_HELP, printFilterWarning, withFilterOptions } from "../filter-options.js";
import { now } from "../clock.js";
import { AuthError, EXIT, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions, requireDestBucket } from "../options.js";
import { redact } from "../redact.js";
import { recordPrinter, type TextForms } from "../output/records.js";
import { interruptibleQuietly } from "../run-copy.js";
import { openSession } from "../session.js";
import { s3Store } from "../../engine/storage.js";

interface VerifyFlags extends OutputFlags {
  sample?: boolean;
  stateDir?: string;
}

const HELP = `
Compares your bucket with the provider's using listings only (your bucket is never read):
  missing        in the provider's bucket, not in yours
  size-mismatch  sizes differ (e.g. a truncated object)
  etag-mismatch  ETags differ where they are comparable: a single-part copy keeps the provider's
                 ETag; a multipart copy (over --multipart-threshold) is checked against the ETag
                 flexcopy recorded when it made it, else by size only ("size only (multipart)")
  extra          in your bucket under a verified day, not in the provider's

Examples:
  flexcopy verify 2021/05
  flexcopy verify 2021/05/10..2021/06/03 --quiet      only days with problems
  flexcopy verify testdata/2021 --json > verify.ndjson
  flexcopy verify latest:5 --exclude '*' --include '*_1_*'
${FILTER_HELP}

Exit codes:
  0    every object is there, with the same size (and ETag where comparable), nothing extra
  1    some objects are missing, differ, or are extra (listed above)
  2    usage or configuration error
  3    listing a bucket was denied (authentication or authorization)
  130  interrupted (Ctrl-C)`;

export function verifyCommand(): Command {
  const cmd = new Command("verify")
    .description("check that your bucket holds exactly what the provider's bucket holds for the given dates (listings only)")
    .argument("[selector...]", "dates to check, as for fetch: YYYY, YYYY/MM, YYYY/MM/DD, FROM..TO, today, latest:N, testdata/...")
    .option("--sample", "check the sample data under testdata/ instead of production data: alone, all of it; with dates, those days of it")
    .option("--state-dir <dir>", "where fetch's resume journal lives (multipart ETags it recorded) [FLEXCOPY_STATE_DIR]");
  withConfigOptions(cmd)
    .option("--json", "machine-readable output: one NDJSON line per problem, then a summary line")
    .option("-q, --quiet", "leave out days without problems")
    .option("-v, --verbose", "list every object of a missing day, and the objects checked by size only")
    .option("--debug", "print stack traces of unexpected errors (secrets stay redacted)");
  const filterOf = withFilterOptions(cmd);
  cmd.addHelpText("after", HELP);
  cmd.action(async (args: string[], flags: VerifyFlags, self: Command) => {
    process.exitCode = await verify(args, flags, self, filterOf());
  });
  return cmd;
}

async function verify(args: string[], flags: VerifyFlags, self: Command, filter: Filter | undefined): Promise<number> {
  const config = await commandConfig(self);
  if (args.length === 0 && flags.sample) args = ["testdata"];
  if (args.length === 0) throw new UsageError("verify needs at least one selector, e.g. flexcopy verify 2021/05 (or --sample for all of testdata/)");
  let selectors;
  try {
    selectors = parseSelectors(args, { sample: flags.sample, now: now() });
  } catch (err) {
    if (err instanceof SelectorError) throw new UsageError(err.message);
    throw err;
  }
  const destBucket = requireDestBucket(config);
  printFilterWarning(filter, flags.json);
  // Engine events (retries, notices) only as NDJSON or when they matter; results go to stdout below.
  const out = makeOutput({ ...flags, quiet: true });
  const session = await openSession(config, out.emit);
  const write = (line: string) => process.stdout.write(redact(line) + "\n");
  const { signal, dispose } = interruptibleQuietly("listings");
  try {
    const listing: Listing = { store: s3Store(session.s3), requester: session.requester(out.emit, signal) };
    const units: string[] = [];
    for await (const day of planDays(selectors, { listPrefixes: (p) => listPrefixes(listing, config.sourceBucket, p, "source") })) units.push(day);
    if (units.length === 0) {
      if (flags.json) write(JSON.stringify(summaryRecord({ days: 0, ...emptyCounts(), problems: 0, interrupted: false })));
      else process.stderr.write(redact(`flexcopy: nothing in s3://${config.sourceBucket} matches ${args.join(" ")}\n`));
      return EXIT.ok;
    }
    const printer = verifyPrinter(flags, write);
    // Multipart copies are checked against the ETags the resume journals recorded (read-only).
    const journals = warnDamaged(journalFiles(destBucket, process.env, os.homedir(), flags.stateDir && path.resolve(flags.stateDir)).map((f) => new FileJournal(f, { readOnly: true })));
    // Your bucket is listed as the role, else with your own credentials (a policy that lets the role only write).
    const destLister = new DestinationLister(listing, session.owner?.(out.emit, signal), (message) => out.emit({ kind: "notice", message }), true);
    const report = await runVerify({ listing, destLister, sourceBucket: config.sourceBucket, destBucket, onDay: printer.day }, units, {
      multipartThreshold: config.multipartThreshold,
      // fetch's rule (records.ts): the newest completed record of any journal, else a recorded upload's expected ETag.
      recordedEtag: (key) => journalRecord(journals, key)?.etag,
      recordedSourceEtag: (key) => journalRecord(journals, key)?.sourceEtag,
      keep: filter?.keep,
      entitled: (_day, key) => sourceReadable(listing, config.sourceBucket, key),
      signal,
    });
    if (filter && report.ok + report.missing + report.sizeMismatch + report.etagMismatch + report.extra === 0) {
      process.stderr.write(redact(`flexcopy: ${nothingMatched(filter)}\n`));
    }
    printer.summary(report, commandLine(process.argv).replace(/^flexcopy verify/, "flexcopy fetch"));
    return verifyExitCode(report);
  } catch (err) {
    if (err instanceof DestinationUnlistable) throw new AuthError(err.message, err.hint);
    throw err;
  } finally {
    dispose();
    out.reporter.close();
  }
}

/** 0 when everything matched, 1 on any problem, 130 when interrupted. */
export function verifyExitCode(report: VerifyReport): number {
  if (report.problems > 0) return EXIT.someFailed;
  return report.interrupted ? EXIT.interrupted : EXIT.ok;
}

/** `verify --json` (and `fetch --verify --json`) records: findings (and days outside the contract), then a summary. */
export type VerifyRecord =
  | { kind: "verify"; day: string; key: string; status: VerifyFinding["status"]; note: string }
  | { kind: "verify"; day: string; status: "not-entitled"; objects: number; note: string }
  | ({ kind: "verify-summary"; days: number; notEntitled?: number; archived?: number; interrupted?: boolean; storageClasses?: Record<string, number> } & Omit<
      VerifyCounts,
      "notEntitled" | "archived"
    >);

/** NDJSON form of a finding: `{kind:"verify", day, key, status, note}`. */
export function findingRecord(f: VerifyFinding): VerifyRecord {
  return { kind: "verify", day: f.day, key: f.key, status: f.status, note: f.note };
}

/** NDJSON form of the summary: counts that are zero (not entitled, archived) and `interrupted: false` are left out. */
export function summaryRecord(r: VerifyReport): VerifyRecord {
  const { days, ok, missing, sizeMismatch, etagMismatch, extra, sizeOnly, notEntitled, archived, interrupted, storageClasses } = r;
  return {
    kind: "verify-summary",
    days,
    ok,
    missing,
    sizeMismatch,
    etagMismatch,
    extra,
    sizeOnly,
    ...(notEntitled ? { notEntitled } : {}),
    ...(archived ? { archived } : {}),
    ...(interrupted ? { interrupted } : {}),
    ...(storageClasses && Object.keys(storageClasses).length > 0 ? { storageClasses } : {}),
  };
}

/** "2 GLACIER_IR, 1 STANDARD": the classes of your bucket's objects, when any is not STANDARD. */
function classesText(c: Record<string, number> | undefined): string | undefined {
  const entries = Object.entries(c ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  if (!entries.some(([sc]) => sc !== "STANDARD")) return undefined;
  return `in your bucket: ${entries.map(([sc, n]) => `${n} ${sc}`).join(", ")}`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The text of a finding is a line under its day's row; a day outside the contract is a row of its own. */
export const VERIFY_TEXT: TextForms<VerifyRecord, { fetchCommand?: string }> = {
  verify: (r) => ("key" in r ? `  ${r.status.padEnd(14)} ${r.key}: ${r.note}` : `${r.day.padEnd(24)} outside your contract: ${plural(r.objects, "object")} not entitled`),
  "verify-summary": (r, { fetchCommand }) => {
    const sizeOnly = r.sizeOnly > 0 ? ` (${r.sizeOnly} by size only: multipart copies without a recorded ETag)` : "";
    const notEntitled = r.notEntitled ?? 0;
    const archived = r.archived ?? 0;
    return [
      `verified ${plural(r.days, "unit")}: ${plural(r.ok, "object")} ok${sizeOnly}, ${r.missing} missing, ` +
        `${plural(r.sizeMismatch, "size mismatch", "size mismatches")}, ${plural(r.etagMismatch, "ETag mismatch", "ETag mismatches")}, ${r.extra} extra` +
        (notEntitled > 0 ? `, ${notEntitled} not entitled (outside your contract)` : "") +
        (archived > 0 ? `, ${archived} archived (not copyable until restored)` : ""),
      ...(classesText(r.storageClasses) !== undefined ? [classesText(r.storageClasses)!] : []),
      ...(r.interrupted ? ["interrupted: not every day was verified"] : []),
      ...(r.missing + r.sizeMismatch + r.etagMismatch > 0 && fetchCommand ? [`to copy missing and differing objects again, run:\n  ${fetchCommand}`] : []),
      ...(r.extra > 0 ? ["extra objects are not in the provider's bucket; flexcopy never deletes anything in your bucket"] : []),
    ].join("\n");
  },
};

/**
 * Prints verify results: NDJSON (one line per finding, then the summary) or a table with a row per
 * day followed by its problem lines. `quiet` leaves out days without problems; `verbose` also
 * lists the objects checked by size only. Exported for `fetch --verify`.
 */
export function verifyPrinter(opts: { json?: boolean; quiet?: boolean; verbose?: boolean }, write: (line: string) => void) {
  const print = recordPrinter(opts.json ?? false, VERIFY_TEXT, write);
  let header = false;
  return {
    day: (d: DayVerify): void => {
      const outside: VerifyRecord | undefined =
        d.notEntitled > 0 ? { kind: "verify", day: d.day, status: "not-entitled", objects: d.notEntitled, note: "outside your contract" } : undefined;
      if (opts.json) {
        if (outside) print(outside, {});
        for (const f of d.findings) print(findingRecord(f), {});
        return;
      }
      // The text is a table: a header, a row per day, its findings below it.
      const problems = d.findings.filter((f) => f.status !== "size-only");
      if (opts.quiet && problems.length === 0) return;
      if (!header) {
        write(`${"day".padEnd(24)} ${"ok".padStart(7)} ${"missing".padStart(8)} ${"mismatched".padStart(11)} ${"extra".padStart(6)}`);
        header = true;
      }
      if (outside) {
        print(outside, {});
        return;
      }
      const mismatched = d.sizeMismatch + d.etagMismatch;
      write(`${d.day.padEnd(24)} ${String(d.ok).padStart(7)} ${String(d.missing).padStart(8)} ${String(mismatched).padStart(11)} ${String(d.extra).padStart(6)}`);
      if (!opts.verbose && d.ok === 0 && d.missing > 1 && d.missing === problems.length) {
        write(`  missing        all ${d.missing} objects (the day has not been copied)`);
        return;
      }
      for (const f of opts.verbose ? d.findings : problems) print(findingRecord(f), {});
    },
    summary: (r: VerifyReport, fetchCommand?: string): void => print(summaryRecord(r), { fetchCommand }),
  };
}
