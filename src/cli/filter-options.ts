import type { Command } from "commander";
import { buildFilter, FilterError, type Filter, type FilterRule } from "../plan/filters.js";
import { UsageError } from "./errors.js";

export const FILTER_HELP = `
Filters (--include, --exclude: the AWS CLI's rules; --match: a regular expression):
  Every object starts included; --include/--exclude apply in the order given, a later match wins.
  A glob is matched against the key below its day folder (e.g. 20210531_1_001.pcap.gz):
  * any characters (also /), ? one character, [abc], [!abc]. --match is searched in the full key.
  --exclude '*' --include '*_1_*'     only objects whose name contains _1_
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
