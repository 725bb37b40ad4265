/**
 * --include / --exclude globs and --match regex: which objects of the selected days a command
 * touches. The globs follow the AWS CLI's rules for `aws s3 cp/sync --exclude/--include`
 * (https://docs.aws.amazon.com/cli/latest/reference/s3/index.html, "Use of Exclude and Include
 * Filters"): every object is included to start with; the rules apply in the order given and a later
 * rule that matches overrides an earlier one; a pattern is matched against the key relative to the
 * folder being copied — here the day folder ("20210531_1_001.pcap.gz" of
 * "2021/05/31/20210531_1_001.pcap.gz"), or the prefix given for ConnectionSpec/... selectors.
 * Symbols: `*` anything (also "/"), `?` one character (not "/"), `[abc]`, `[a-z]`, `[!abc]`.
 * --match is a JavaScript regular expression searched in the full key; an object must also match it.
 * Matching is picomatch's, configured to these rules.
 */
import picomatch from "picomatch";

export interface FilterRule {
  kind: "include" | "exclude";
  glob: string;
}

/** One line for a bad glob or regex: exit 2. */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FilterError";
  }
}

/** Whether to touch `key`, listed under `unit` (a day folder or prefix with a trailing slash). */
export type KeyFilter = (key: string, unit: string) => boolean;

export interface Filter {
  keep: KeyFilter;
  /** "--include '*_1_*' --exclude '*.txt'", for messages. */
  text: string;
  /** Set when an --include cannot change the selection (see `ineffectiveIncludes`). */
  ineffective?: IneffectiveIncludes;
}

/** --include rules that select nothing away, and the rule list that does what they likely meant. */
export interface IneffectiveIncludes {
  /** The --include globs with no --exclude before them. */
  globs: string[];
  /** The one-line warning. */
  message: string;
  /** The rule list with `--exclude '*'` first: only objects an --include matches (then the later rules). */
  suggestion: string;
}

const GLOB_OPTIONS: picomatch.PicomatchOptions = {
  bash: true, // a single `*` also matches "/", as the AWS CLI's fnmatch does
  dot: true, // and names starting with "."
  strictBrackets: true, // an unclosed "[" is an error, not a literal
  nobrace: true, // no {a,b}, +(a), !(a), leading-"!" negation: not in the AWS CLI's rules
  noextglob: true,
  nonegate: true,
};

function compileGlob(rule: FilterRule): (relative: string) => boolean {
  const flag = `--${rule.kind}`;
  if (rule.glob.trim() === "") throw new FilterError(`${flag}: the pattern is empty`);
  try {
    // fnmatch's "[!abc]" is picomatch's "[^abc]".
    return picomatch(rule.glob.replace(/\[!/g, "[^"), GLOB_OPTIONS);
  } catch (err) {
    throw new FilterError(`${flag} ${JSON.stringify(rule.glob)}: ${(err as Error).message.split("\n")[0]}`);
  }
}

function compileRegex(source: string): RegExp {
  if (source === "") throw new FilterError("--match: the regular expression is empty");
  try {
    return new RegExp(source, "u");
  } catch (err) {
    throw new FilterError(`--match ${JSON.stringify(source)}: ${(err as Error).message.replace(/^Invalid regular expression: /, "")}`);
  }
}

const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const rulesText = (rules: FilterRule[]): string => rules.map((r) => `--${r.kind} ${quote(r.glob)}`).join(" ");

/**
 * Under the AWS CLI's rules every object starts included, so an --include with no --exclude before it includes
 * nothing that was not included already: it cannot change the selection (`--include '*_001.pcap.gz'` alone selects
 * every object). The form that selects only what it matches starts with `--exclude '*'`. Undefined when every
 * --include follows an --exclude.
 */
export function ineffectiveIncludes(rules: FilterRule[]): IneffectiveIncludes | undefined {
  const first = rules.findIndex((r) => r.kind === "exclude");
  const globs = (first < 0 ? rules : rules.slice(0, first)).filter((r) => r.kind === "include").map((r) => r.glob);
  if (globs.length === 0) return undefined;
  const suggestion = rulesText([{ kind: "exclude", glob: "*" }, ...rules]);
  const what = globs.map((g) => `--include ${quote(g)}`).join(" ");
  return {
    globs,
    message: `${what} changes nothing: every object starts included and only an --exclude before it can leave objects out (the AWS CLI's rules); to take only the objects it matches, use ${suggestion}`,
    suggestion,
  };
}

/** Compiles the rules (validating every one); undefined when there is nothing to filter. */
export function buildFilter(rules: FilterRule[], match?: string): Filter | undefined {
  if (rules.length === 0 && match === undefined) return undefined;
  const compiled = rules.map((r) => ({ include: r.kind === "include", test: compileGlob(r) }));
  const regex = match === undefined ? undefined : compileRegex(match);
  const text = [rulesText(rules), ...(match === undefined ? [] : [`--match ${quote(match)}`])].filter((t) => t !== "").join(" ");
  const keep: KeyFilter = (key, unit) => {
    const relative = key.startsWith(unit) ? key.slice(unit.length) : key;
    let kept = true;
    for (const r of compiled) if (r.test(relative)) kept = r.include;
    return kept && (!regex || regex.test(key));
  };
  const ineffective = ineffectiveIncludes(rules);
  return { keep, text, ...(ineffective ? { ineffective } : {}) };
}

/** The note for a run whose filter left no object of the selected days. */
export function nothingMatched(f: Filter): string {
  return `${f.text} matched no object in the selected days`;
}
