// An --include with no --exclude before it cannot change the selection (issue 19): the warning, and that the
// form it suggests selects what the --include matches.
import { describe, expect, it } from "vitest";
import { buildFilter, ineffectiveIncludes, type FilterRule } from "./filters.js";

const DAY = "2021/05/31/";
const KEYS = ["20210531_1_001.pcap.gz", "20210531_1_002.pcap.gz", "20210531_2_001.pcap.gz", "notes.txt"].map((k) => DAY + k);
const inc = (glob: string): FilterRule => ({ kind: "include", glob });
const exc = (glob: string): FilterRule => ({ kind: "exclude", glob });
const kept = (rules: FilterRule[]) => KEYS.filter((k) => buildFilter(rules)!.keep(k, DAY)).map((k) => k.slice(DAY.length));

/** Parses the suggestion back into rules (it is shell-quoted `--kind 'glob'` pairs). */
function rulesOf(text: string): FilterRule[] {
  return [...text.matchAll(/--(include|exclude) (?:'([^']*)'|(\S+))/g)].map((m) => ({ kind: m[1] as FilterRule["kind"], glob: m[2] ?? m[3]! }));
}

describe("ineffectiveIncludes", () => {
  it("--include alone selects every object: warned, with --exclude '*' first", () => {
    const rules = [inc("*_001.pcap.gz")];
    expect(kept(rules)).toHaveLength(4);
    const w = ineffectiveIncludes(rules)!;
    expect(w.globs).toEqual(["*_001.pcap.gz"]);
    expect(w.suggestion).toBe("--exclude '*' --include '*_001.pcap.gz'");
    expect(w.message).toMatch(/--include '\*_001\.pcap\.gz' changes nothing.*--exclude '\*' --include '\*_001\.pcap\.gz'$/);
    expect(w.message).not.toMatch(/\n/);
    expect(kept(rulesOf(w.suggestion))).toEqual(["20210531_1_001.pcap.gz", "20210531_2_001.pcap.gz"]);
  });

  it("an --include before the first --exclude is named; the suggestion keeps the rest of the rules", () => {
    const rules = [inc("*_1_*"), exc("*_002*")];
    const w = ineffectiveIncludes(rules)!;
    expect(w.globs).toEqual(["*_1_*"]);
    expect(kept(rulesOf(w.suggestion))).toEqual(["20210531_1_001.pcap.gz"]);
  });

  it("no warning when every --include follows an --exclude, or there is none", () => {
    expect(ineffectiveIncludes([exc("*"), inc("*_1_*")])).toBeUndefined();
    expect(ineffectiveIncludes([exc("*.txt")])).toBeUndefined();
    expect(ineffectiveIncludes([])).toBeUndefined();
    expect(buildFilter([exc("*"), inc("*_1_*")])!.ineffective).toBeUndefined();
    expect(buildFilter([inc("*_1_*")])!.ineffective?.globs).toEqual(["*_1_*"]);
  });
});
