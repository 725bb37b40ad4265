import { Command } from "commander";
import { listPrefixes, type Listing } from "../../engine/listing.js";
import { compareVersions, matchVersion, normalizeKind, normalizeLanguage, versionNumber } from "../../plan/spec.js";
import { EXIT, EXIT_CODES_HELP, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions, requireDestBucket } from "../options.js";
import { commandLine, makeOutput, withOutputOptions, type OutputFlags } from "../common.js";
import { openSession } from "../session.js";
import type { EngineEvent } from "../../engine/events.js";
import { copyContext, executeCopy, interruptible, LiveSummary } from "../run-copy.js";
import { recordPrinter, type TextForms } from "../output/records.js";
import { s3Store } from "../../engine/storage.js";
import { summaryText } from "../output/text.js";

interface SpecFlags extends OutputFlags {
  list?: boolean;
  force?: boolean;
  dryRun?: boolean;
}

const ROOT = "ConnectionSpec/";

/** `spec --list --json`: one record per kind and version (`kind` names the record, `specKind` Standard or MBO). */
export type SpecRecord = { kind: "spec"; specKind: string; version: string; languages: string[] };

export const SPEC_TEXT: TextForms<SpecRecord> = {
  spec: (r) => `${r.specKind.padEnd(9)} ${r.version.padEnd(16)} ${r.languages.join(", ")}`,
};

const EXAMPLES = `
Examples:
  flexcopy spec --list                       every kind, version and language available
  flexcopy spec --list MBO
  flexcopy spec Standard "version 17.4" Japanese
  flexcopy spec standard 18.3 en             (version and language matched case-insensitively)
The FULL specification is stored under Standard.
${EXIT_CODES_HELP}`;

export function specCommand(): Command {
  const cmd = new Command("spec")
    .description("copy a FLEX connection specification (ConnectionSpec/<kind>/<version>/<language>/) into your bucket")
    .argument("[kind]", "Standard (or FULL) | MBO")
    .argument("[version]", 'e.g. 17.4, "version 17.4", "Version 18.3"')
    .argument("[language]", "Japanese | English (ja, en, 日本語, 英語)")
    .option("--list", "show available kinds, versions and languages instead of copying")
    .option("--force", "copy again even files already in your bucket")
    .option("-n, --dry-run", "show what would be copied");
  withOutputOptions(withConfigOptions(cmd));
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(async (kind: string | undefined, version: string | undefined, language: string | undefined, flags: SpecFlags, self: Command) => {
    process.exitCode = await spec([kind, version, language], flags, self);
  });
  return cmd;
}

function child(parent: string, full: string): string {
  return full.slice(parent.length).replace(/\/$/, "");
}

async function names(l: Listing, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const p of listPrefixes(l, bucket, prefix, "source")) out.push(child(prefix, p));
  return out;
}

async function spec(args: (string | undefined)[], flags: SpecFlags, self: Command): Promise<number> {
  const [kindArg, versionArg, languageArg] = args;
  const kind = kindArg === undefined ? undefined : normalizeKind(kindArg);
  if (kindArg !== undefined && !kind) throw new UsageError(`unknown specification kind "${kindArg}": use Standard (FULL is under Standard) or MBO`);
  if (!flags.list && (!kind || !versionArg || !languageArg)) {
    throw new UsageError('spec needs <kind> <version> <language>, e.g. flexcopy spec Standard "version 17.4" Japanese (or --list)');
  }
  const language = languageArg === undefined ? undefined : normalizeLanguage(languageArg);
  if (languageArg !== undefined && !language) throw new UsageError(`unknown language "${languageArg}": use Japanese or English`);

  const config = await commandConfig(self);
  if (!flags.list) requireDestBucket(config);
  const out = makeOutput(flags);
  // Held back until the input is known to be good: an error run prints its one error line only.
  const held: EngineEvent[] = [];
  let emit: (e: EngineEvent) => void = (e) => {
    held.push(e);
  };
  const release = () => {
    emit = out.emit;
    for (const e of held.splice(0)) out.emit(e);
  };
  const session = await openSession(config, (e) => emit(e));
  const l: Listing = { store: s3Store(session.s3), requester: session.requester((e) => emit(e)) };
  const bucket = config.sourceBucket;

  if (flags.list) {
    release();
    const kinds = kind ? [kind] : await names(l, bucket, ROOT);
    const rows: SpecRecord[] = [];
    for (const k of kinds) {
      const versions = (await names(l, bucket, `${ROOT}${k}/`)).sort((a, b) => compareVersions(versionNumber(a) ?? "0", versionNumber(b) ?? "0"));
      for (const v of versions) rows.push({ kind: "spec", specKind: k, version: v, languages: await names(l, bucket, `${ROOT}${k}/${v}/`) });
    }
    const print = recordPrinter(flags.json ?? false, SPEC_TEXT, (line) => process.stdout.write(line + "\n"));
    for (const r of rows) print(r, undefined);
    if (rows.length === 0) process.stderr.write(`no connection specifications found under s3://${bucket}/${ROOT}\n`);
    return EXIT.ok;
  }

  const versions = await names(l, bucket, `${ROOT}${kind}/`);
  const version = matchVersion(versionArg!, versions);
  if (!version) throw new UsageError(`no ${kind} version matches "${versionArg}"; available: ${versions.join(", ") || "none"}`);
  const languages = await names(l, bucket, `${ROOT}${kind}/${version}/`);
  const lang = languages.find((x) => x.toLowerCase() === language!.toLowerCase());
  if (!lang) throw new UsageError(`${kind} ${version} has no ${language} edition; available: ${languages.join(", ") || "none"}`);

  release();
  const live = new LiveSummary();
  const emitCopy = (e: EngineEvent) => {
    live.listen(e);
    out.emit(e);
  };
  const { signal, dispose } = interruptible(
    () => undefined,
    () => {
      // stopped at once: the summary so far is still said (as fetch)
      const summary = live.stopped();
      out.emit({ kind: "summary", summary });
      out.reporter.close();
      out.reporter.line(summaryText(summary));
      process.exit(EXIT.interrupted);
    },
  );
  try {
    const unit = `${ROOT}${kind}/${version}/${lang}/`;
    const run = { session, config, reporter: out.reporter, units: [unit], flags, resumeCommand: commandLine(process.argv), signal, emit: emitCopy };
    return (await executeCopy(run, copyContext(run))).code;
  } finally {
    dispose();
    out.reporter.close();
  }
}
