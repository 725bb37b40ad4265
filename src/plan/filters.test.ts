import { describe, expect, it } from "vitest";
import { buildFilter, FilterError, nothingMatched, type FilterRule } from "./filters.js";

const DAY = "2021/05/31/";
const KEYS = ["20210531_1_001.pcap.gz", "20210531_1_002.pcap.gz", "20210531_2_001.pcap.gz", "notes.txt", ".hidden"].map((k) => DAY + k);
const rel = (k: string) => k.slice(DAY.length);
const inc = (glob: string): FilterRule => ({ kind: "include", glob });
const exc = (glob: string): FilterRule => ({ kind: "exclude", glob });

function kept(rules: FilterRule[], match?: string): string[] {
  const f = buildFilter(rules, match);
  if (!f) return KEYS.map(rel);
  return KEYS.filter((k) => f.keep(k, DAY)).map(rel);
}

describe("buildFilter (the AWS CLI's --exclude/--include rules)", () => {
  it("no rules: no filter", () => {
    expect(buildFilter([])).toBeUndefined();
  });

  it.each<[string, FilterRule[], string[]]>([
    ["an include alone changes nothing: everything starts included", [inc("*.gz")], KEYS.map(rel)],
    ["exclude everything, then include some", [exc("*"), inc("*_1_*")], ["20210531_1_001.pcap.gz", "20210531_1_002.pcap.gz"]],
    ["the later rule wins", [inc("*_1_*"), exc("*")], []],
    ["exclude one kind", [exc("*.txt")], ["20210531_1_001.pcap.gz", "20210531_1_002.pcap.gz", "20210531_2_001.pcap.gz", ".hidden"]],
    ["? is one character", [exc("*"), inc("20210531_?_001.pcap.gz")], ["20210531_1_001.pcap.gz", "20210531_2_001.pcap.gz"]],
    ["[!seq] negates", [exc("*"), inc("20210531_[!1]_*")], ["20210531_2_001.pcap.gz"]],
    ["* matches names starting with a dot", [exc("*")], []],
    ["matched against the key relative to the day folder, not the full key", [exc("*"), inc("2021/05/31/*")], []],
  ])("%s", (_name, rules, expected) => {
    expect(kept(rules)).toEqual(expected);
  });

  it("* also matches '/' below the folder (as the AWS CLI's fnmatch)", () => {
    const f = buildFilter([exc("*"), inc("English/*")])!;
    expect(f.keep("ConnectionSpec/Standard/version 17.4/English/a/b.pdf", "ConnectionSpec/Standard/version 17.4/")).toBe(true);
    expect(f.keep("ConnectionSpec/Standard/version 17.4/Japanese/b.pdf", "ConnectionSpec/Standard/version 17.4/")).toBe(false);
  });

  it("--match searches the full key and applies on top of the globs", () => {
    expect(kept([], "^2021/05/\\d+/\\d+_2_")).toEqual(["20210531_2_001.pcap.gz"]);
    expect(kept([exc("*_2_*")], "pcap")).toEqual(["20210531_1_001.pcap.gz", "20210531_1_002.pcap.gz"]);
  });

  it("describes itself for messages", () => {
    expect(nothingMatched(buildFilter([inc("*.csv"), exc("*.gz")], "zzz")!)).toBe("--include '*.csv' --exclude '*.gz' --match zzz matched no object in the selected days");
  });

  it.each<[FilterRule[], string | undefined, string]>([
    [[inc("[abc")], undefined, '--include "[abc": Missing closing: "]"'],
    [[exc("")], undefined, "--exclude: the pattern is empty"],
    [[], "(", '--match "(": /(/u: Unterminated group'],
    [[], "", "--match: the regular expression is empty"],
  ])("bad input %j %j: one line", (rules, match, message) => {
    let err: unknown;
    try {
      buildFilter(rules, match);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterError);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).not.toContain("\n");
  });
});
