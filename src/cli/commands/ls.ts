import { Command } from "commander";
import pLimit from "p-limit";
import { formatBytes } from "../../config/sizes.js";
import { listLevel, listObjects, listPrefixes, type Listing } from "../../engine/listing.js";
import { sourceReadable } from "../../engine/contract.js";
import { dayFolderOf, parseDayPrefix } from "../../engine/day-key.js";
import type { Filter } from "../../plan/filters.js";
import { planDays } from "../../plan/days.js";
import { parseSelectors } from "../../plan/selectors.js";
import { FILTER_HELP, printFilterWarning, withFilterOptions } from "../filter-options.js";
import { now } from "../clock.js";
import type { ObjInfo } from "../../engine/storage.js";
import { EXIT, EXIT_CODES_HELP, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions } from "../options.js";
import { makeOutput, type OutputFlags } from "../common.js";
import { recordPrinter, type TextForms } from "../output/records.js";
import { openSession } from "../session.js";
import { s3Store } from "../../engine/storage.js";

interface LsFlags extends OutputFlags {
  dest?: boolean;
  recursive?: boolean;
  checkAccess?: boolean;
  sample?: boolean;
}

const EXAMPLES = `
Examples:
  flexcopy ls                          years and folders in the provider's bucket, with sizes
  flexcopy ls 2021/05                  the days of May 2021
  flexcopy ls testdata/2021 -r         every sample object of 2021
  flexcopy ls ConnectionSpec/Standard  connection specification versions
  flexcopy ls 2021/05 --dest           what you already have
  flexcopy ls latest -r                the newest day's objects (also: today, yesterday; Japan's calendar)
  flexcopy ls 2021 --check-access      mark the days of 2021 outside your contract (one request per day)
  flexcopy ls 2021/05/31 -r --exclude '*' --include '*_1_*'
Listings may show data outside your contract; fetch counts such days as "not entitled".
--check-access checks day folders only (ls YYYY/MM, ls YYYY/MM/DD, or -r), with one HeadObject each.
${FILTER_HELP}
${EXIT_CODES_HELP}`;

export function lsCommand(): Command {
  const cmd = new Command("ls")
    .description("list folders (with object counts and sizes) or objects in the provider's bucket, or yours with --dest")
    .argument("[prefix]", "folder to list, e.g. 2021/05 or testdata/2021; or today, yesterday, latest", "")
    .option("--dest", "list your destination bucket instead of the provider's")
    .option("-r, --recursive", "list objects instead of folders")
    .option("--check-access", "mark days outside your contract (one HeadObject per day folder)")
    .option("--sample", "with today, yesterday or latest: the sample data under testdata/")
    .option("--json", "one JSON object per line")
    .option("--debug", "print stack traces of unexpected errors (secrets stay redacted)");
  const filterOf = withFilterOptions(cmd);
  withConfigOptions(cmd);
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(async (prefix: string, flags: LsFlags, self: Command) => {
    process.exitCode = await ls(prefix, flags, self, filterOf());
  });
  return cmd;
}

/** "2021/5" → "2021/5/": a folder; "" stays the bucket's root. */
export function folderPrefix(p: string): string {
  const t = p.trim().replace(/^\/+/, "");
  return t === "" || t.endsWith("/") ? t : `${t}/`;
}

/** `ls --json` records; `entitled` only with --check-access (false: outside your contract). */
export type LsRecord =
  | { kind: "ls-folder"; prefix: string; objects: number; size: number; entitled?: boolean }
  | { kind: "ls-object"; key: string; size: number; etag?: string; lastModified?: Date; storageClass?: string; entitled?: boolean }
  | { kind: "ls-total"; total: { objects: number; size: number } };

/** What the text needs beyond a record: where the listing is, and whether it is recursive (objects with their dates). */
interface LsView {
  bucket: string;
  prefix: string;
  recursive: boolean;
}

const mark = (ok: boolean | undefined) => (ok === false ? "  (outside your contract)" : "");

export const LS_TEXT: TextForms<LsRecord, LsView> = {
  "ls-folder": (r) => `DIR  ${String(r.objects).padStart(7)} objects ${formatBytes(r.size).padStart(10)}  ${r.prefix}${mark(r.entitled)}`,
  "ls-object": (r, v) =>
    v.recursive
      ? `${r.lastModified?.toISOString().slice(0, 19).replace("T", " ") ?? "".padEnd(19)} ${formatBytes(r.size).padStart(10)}  ${r.key}${r.storageClass ? `  [${r.storageClass}]` : ""}${mark(r.entitled)}`
      : `     ${"".padStart(15)} ${formatBytes(r.size).padStart(10)}  ${r.key}`,
  "ls-total": (r, v) => `total: ${r.total.objects} objects, ${formatBytes(r.total.size)} in s3://${v.bucket}/${v.prefix}`,
};

const DAY_WORD = /^(testdata\/)?(today|yesterday|latest)\/?$/i;

async function ls(prefixArg: string, flags: LsFlags, self: Command, filter: Filter | undefined): Promise<number> {
  const config = await commandConfig(self);
  const bucket = flags.dest ? config.destBucket : config.sourceBucket;
  if (!bucket) throw new UsageError("--dest needs --dest-bucket (or FLEXCOPY_DEST_BUCKET, or destBucket in flexcopy.config.json)");
  if (flags.checkAccess && flags.dest) throw new UsageError("--check-access checks the provider's bucket; it cannot be combined with --dest");
  printFilterWarning(filter, flags.json);
  const word = DAY_WORD.test(prefixArg.trim()) ? parseSelectors([prefixArg.trim()], { sample: flags.sample, now: now() }) : undefined;
  const out = makeOutput({ ...flags, quiet: true });
  const session = await openSession(config, out.emit);
  const l: Listing = { store: s3Store(session.s3), requester: session.requester(out.emit) };
  const side = flags.dest ? "dest" : "source";
  const print = recordPrinter(flags.json ?? false, LS_TEXT, (line) => process.stdout.write(line + "\n"));
  let prefix = folderPrefix(prefixArg);
  if (word) {
    // today / yesterday / latest: the day folder of the provider's bucket that the word names, if it exists.
    const days: string[] = [];
    for await (const d of planDays(word, { listPrefixes: (p) => listPrefixes(l, config.sourceBucket, p, "source") })) days.push(d);
    if (days.length === 0) {
      process.stderr.write(`flexcopy: no day folder in s3://${config.sourceBucket} for ${prefixArg.trim()}\n`);
      return EXIT.ok;
    }
    prefix = days[days.length - 1]!;
  }
  const kept = (o: ObjInfo, unit: string) => !filter || filter.keep(o.key, dayFolderOf(o.key) ?? unit);
  // --check-access: one HeadObject per day folder (of its first object), remembered per day.
  const access = new Map<string, Promise<boolean>>();
  const entitled = (day: string | undefined, key: string): Promise<boolean> | undefined => {
    if (!flags.checkAccess || day === undefined) return undefined;
    let v = access.get(day);
    if (!v) access.set(day, (v = sourceReadable(l, bucket, key)));
    return v;
  };
  const view: LsView = { bucket, prefix, recursive: flags.recursive ?? false };
  let objects = 0;
  let bytes = 0;

  if (flags.recursive) {
    for await (const o of listObjects(l, bucket, prefix, side)) {
      if (!kept(o, prefix)) continue;
      objects += 1;
      bytes += o.size;
      const ok = await entitled(dayFolderOf(o.key), o.key);
      const sc = o.storageClass && o.storageClass !== "STANDARD" ? o.storageClass : undefined;
      print({ kind: "ls-object", key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified, storageClass: sc, entitled: ok }, view);
    }
  } else {
    const folders: string[] = [];
    const direct: ObjInfo[] = [];
    for await (const e of listLevel(l, bucket, prefix, side)) {
      if ("prefix" in e) folders.push(e.prefix);
      else direct.push(e.object);
    }
    const limit = pLimit(8);
    const sizes = await Promise.all(
      folders.map((f) =>
        limit(async () => {
          const t: { objects: number; bytes: number; entitled?: boolean } = { objects: 0, bytes: 0 };
          let first: string | undefined;
          for await (const o of listObjects(l, bucket, f, side)) {
            if (!kept(o, f)) continue;
            first ??= o.key;
            t.objects += 1;
            t.bytes += o.size;
          }
          if (first !== undefined && parseDayPrefix(f)) t.entitled = await entitled(f, first);
          return t;
        }),
      ),
    );
    folders.forEach((f, i) => {
      const t = sizes[i]!;
      objects += t.objects;
      bytes += t.bytes;
      print({ kind: "ls-folder", prefix: f, objects: t.objects, size: t.bytes, entitled: t.entitled }, view);
    });
    for (const o of direct.filter((o) => kept(o, prefix))) {
      objects += 1;
      bytes += o.size;
      print({ kind: "ls-object", key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified }, view);
    }
  }
  print({ kind: "ls-total", total: { objects, size: bytes } }, view);
  return EXIT.ok;
}
