import type { Command } from "commander";
import type { EventOf } from "../engine/events.js";
import { redact } from "./redact.js";
import { buildFilter, FilterError, type Filter, type FilterRule } from "../plan/filters.js";
import { UsageError } from "./errors.js";

export const FILTER_HELP = `
Filters (--include, --exclude: the AWS CLI's rules; --match: a regular expression):
  Every object starts included; --include/--exclude apply in the order given, a later match wins.
  A glob is matched against the key below its day folder (e.g. 20210531_1_001.pcap.gz):
  * any characters (also /), ? one character, [abc], [!abc]. --match is searched in the full key.
  --exclude '*' --include '*_1_*'     only objects whose name contains _1_ (--include alone changes
                                      nothing, as every object starts included: flexcopy warns)
  --exclude '*.txt'                   everything but .txt files
  --match '^2021/05/\\d+/\\d+_2_'       a regular expression on the full key`;

/**
 * Adds --include/--exclude (repeatable, order kept across both) and --match. Returns a function
 * that compiles them, after parsing, into a Filter (or undefined), with one-line usage errors.
 */
export function withFilterOptions(cmd: Command): () => Filter | undefined {
  const rules: FilterRule[] = [];
  const add = (kind: FilterRule["kind"]) => (glob: string) => {
    rules.push({ kind, glob });
    return rules.filter((r) => r.kind === kind).map((r) => r.glob);
  };
  cmd
    .option("--include <glob>", "only objects matching (with --exclude; repeatable, later wins; key below the day folder)", add("include"))
    .option("--exclude <glob>", "leave out objects matching (repeatable; see Filters below)", add("exclude"))
    .option("--match <regex>", "only objects whose full key matches this regular expression");
  return () => {
    try {
      return buildFilter(rules, (cmd.opts() as { match?: string }).match);
    } catch (err) {
      if (err instanceof FilterError) throw new UsageError(err.message);
      throw err;
    }
  };
}

/** The `filter-warning` record of a filter whose --include rules change nothing; undefined when they all do. */
export function filterWarning(filter: Filter | undefined): EventOf<"filter-warning"> | undefined {
  const w = filter?.ineffective;
  return w ? { kind: "filter-warning", message: w.message, includes: w.globs, suggestion: w.suggestion } : undefined;
}

/** For commands that print their own records (ls, verify): the warning as a JSON line on stdout, else one line on stderr. */
export function printFilterWarning(filter: Filter | undefined, json: boolean | undefined): void {
  const w = filterWarning(filter);
  if (!w) return;
  if (json) process.stdout.write(redact(JSON.stringify(w)) + "\n");
  else process.stderr.write(redact(`flexcopy: warning: ${w.message}`) + "\n");
}
