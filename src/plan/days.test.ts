import { describe, it, expect } from "vitest";
import { dayInSelectors, parseDayPrefix, planDays, type Lister } from "./days.js";
import { parseSelectors } from "./selectors.js";

/** A delimiter lister over a fixed set of folders; records every prefix it was asked to list. */
function fakeLister(folders: string[]): Lister & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async *listPrefixes(prefix: string) {
      calls.push(prefix);
      const children = new Set<string>();
      for (const f of folders) {
        if (!f.startsWith(prefix)) continue;
        const rest = f.slice(prefix.length);
        const cut = rest.indexOf("/");
        if (cut > 0) children.add(prefix + rest.slice(0, cut + 1));
      }
      // S3 returns CommonPrefixes in UTF-8 byte order, which puts "10/" before "2/"
      yield* [...children].sort();
    },
  };
}

const bucket = fakeLister([
  "2020/12/30/a.pcap.gz",
  "2020/12/31/a.pcap.gz",
  "2021/01/04/a.pcap.gz",
  "2021/05/1/a.pcap.gz",
  "2021/05/10/a.pcap.gz",
  "2021/05/31/a.pcap.gz",
  "2021/06/01/a.pcap.gz",
  "2021/06/02/a.pcap.gz",
  "2021/06/03/a.pcap.gz",
  "2021/06/04/a.pcap.gz",
  "2021/07/01/a.pcap.gz",
  "2021/notes/readme.txt",
  "2022/01/05/a.pcap.gz",
  "testdata/2021/05/31/a.pcap.gz",
  "testdata/2021/06/01/a.pcap.gz",
  "ConnectionSpec/Standard/version 17.4/Japanese/spec.pdf",
]);

async function plan(args: string[], lister: Lister = bucket, sample = false): Promise<string[]> {
  const out: string[] = [];
  for await (const d of planDays(parseSelectors(args, { sample }), lister)) out.push(d);
  return out;
}

describe("planDays", () => {
  it("yields the existing days of a month, with trailing slash, sorted by date", async () => {
    expect(await plan(["2021/05"])).toEqual(["2021/05/1/", "2021/05/10/", "2021/05/31/"]);
  });

  it("a single day does not match a longer day name (2021/05/1 vs 2021/05/10)", async () => {
    expect(await plan(["2021/05/01"])).toEqual(["2021/05/1/"]);
    expect(await plan(["2021/05/10"])).toEqual(["2021/05/10/"]);
  });

  it("ranges cross months and years", async () => {
    expect(await plan(["2021/05/10..2021/06/03"])).toEqual(["2021/05/10/", "2021/05/31/", "2021/06/01/", "2021/06/02/", "2021/06/03/"]);
    expect(await plan(["2020/12/31..2021/01"])).toEqual(["2020/12/31/", "2021/01/04/"]);
  });

  it("de-duplicates overlapping selectors and sorts across them", async () => {
    expect(await plan(["2021/06/02..2021/06/04", "2021/05/31", "2021/06/01..2021/06/03"])).toEqual([
      "2021/05/31/",
      "2021/06/01/",
      "2021/06/02/",
      "2021/06/03/",
      "2021/06/04/",
    ]);
  });

  it("lists only the years and months the selectors touch", async () => {
    const lister = fakeLister(["2021/05/31/a", "2021/06/01/a", "2021/12/01/a", "2022/01/01/a"]);
    await plan(["2021/05/31"], lister);
    expect(lister.calls).toEqual(["2021/", "2021/05/"]);
  });

  it("discovers years from the base when a range spans many years", async () => {
    const lister = fakeLister(["2021/05/31/a", "2022/01/01/a"]);
    expect(await plan(["2000..2100"], lister)).toEqual(["2021/05/31/", "2022/01/01/"]);
    expect(lister.calls).toEqual(["", "2021/", "2021/05/", "2022/", "2022/01/"]);
  });

  it("yields nothing for days that do not exist", async () => {
    expect(await plan(["2023"])).toEqual([]);
    expect(await plan(["2021/08"])).toEqual([]);
  });

  it("yields unpadded folders as listed, sorted by date", async () => {
    const lister = fakeLister(["2021/5/21/a", "2021/5/3/a", "2021/10/1/a", "2021/05/4/a"]);
    expect(await plan(["2021"], lister)).toEqual(["2021/5/3/", "2021/05/4/", "2021/5/21/", "2021/10/1/"]);
    expect(await plan(["2021/05/21"], lister)).toEqual(["2021/5/21/"]);
  });

  it("ignores non-numeric and impossible folder names", async () => {
    const lister = fakeLister(["2021/02/30/a", "2021/13/01/a", "2021/02/x/a", "2021/02/28/a"]);
    expect(await plan(["2021"], lister)).toEqual(["2021/02/28/"]);
  });

  it("plans testdata days under testdata/", async () => {
    expect(await plan(["testdata/2021"])).toEqual(["testdata/2021/05/31/", "testdata/2021/06/01/"]);
    expect(await plan(["2021/06/01"], bucket, true)).toEqual(["testdata/2021/06/01/"]);
    expect(await plan(["testdata"])).toEqual(["testdata/2021/05/31/", "testdata/2021/06/01/"]);
  });

  it("yields real days, then testdata days, then prefixes as given", async () => {
    expect(await plan(["ConnectionSpec/Standard/version 17.4/Japanese", "testdata/2021/05/31", "2021/05/31", "ConnectionSpec/Standard/version 17.4/Japanese/"])).toEqual([
      "2021/05/31/",
      "testdata/2021/05/31/",
      "ConnectionSpec/Standard/version 17.4/Japanese/",
    ]);
  });
});

describe("planDays: latest and open ranges", () => {
  const plan = async (args: string[]) => {
    const out: string[] = [];
    for await (const d of planDays(parseSelectors(args), bucket)) out.push(d);
    return out;
  };
  it("latest is the newest day that exists; latest:N the N newest, oldest first", async () => {
    expect(await plan(["latest"])).toEqual(["2022/01/05/"]);
    expect(await plan(["latest:3"])).toEqual(["2021/06/04/", "2021/07/01/", "2022/01/05/"]);
    expect(await plan(["testdata/latest"])).toEqual(["testdata/2021/06/01/"]);
  });
  it("latest counts only days up to Japan's date at `now` (FLEXCOPY_NOW re-runs a job as of that day)", async () => {
    const at = (iso: string) => async (args: string[]) => {
      const out: string[] = [];
      for await (const d of planDays(parseSelectors(args, { now: Date.parse(iso) }), bucket)) out.push(d);
      return out;
    };
    expect(await at("2021-07-01T08:00:00+09:00")(["latest:2"])).toEqual(["2021/06/04/", "2021/07/01/"]);
    // 23:30 UTC on 30 June is already 1 July in Tokyo.
    expect(await at("2021-06-30T23:30:00Z")(["latest"])).toEqual(["2021/07/01/"]);
    expect(await at("2021-06-30T14:00:00Z")(["latest"])).toEqual(["2021/06/04/"]);
    expect(await at("2020-01-01T00:00:00+09:00")(["latest"])).toEqual([]);
  });
  it("an open end runs to the newest day, an open start from the oldest", async () => {
    expect(await plan(["2021/06/03.."])).toEqual(["2021/06/03/", "2021/06/04/", "2021/07/01/", "2022/01/05/"]);
    expect(await plan(["..2021/01"])).toEqual(["2020/12/30/", "2020/12/31/", "2021/01/04/"]);
  });
  it("latest in an empty bucket is nothing", async () => {
    const out: string[] = [];
    for await (const d of planDays(parseSelectors(["latest:2"]), fakeLister([]))) out.push(d);
    expect(out).toEqual([]);
  });
});

describe("parseDayPrefix", () => {
  it.each([
    ["2021/05/31/", { key: "2021/05/31", sample: false }],
    ["2021/5/3", { key: "2021/05/03", sample: false }],
    ["testdata/2021/05/31/", { key: "2021/05/31", sample: true }],
  ])("%j", (day, parsed) => {
    expect(parseDayPrefix(day)).toEqual(parsed);
  });
  it.each(["2021/02/30/", "2021/05/", "x/2021/05/31/", "ConnectionSpec/"])("%j -> undefined", (day) => {
    expect(parseDayPrefix(day)).toBeUndefined();
  });
});

describe("dayInSelectors", () => {
  const selectors = parseSelectors(["2021/05/10..2021/06/03", "testdata/2021/07", "ConnectionSpec/MBO"]);
  it.each([
    ["2021/05/10/", true],
    ["2021/5/10/", true],
    ["2021/06/03", true],
    ["2021/05/09/", false],
    ["2021/06/04/", false],
    ["testdata/2021/05/10/", false],
    ["testdata/2021/07/15/", true],
    ["2021/07/15/", false],
    ["ConnectionSpec/MBO/version 0.1/", true],
    ["ConnectionSpec/MBOX/", false],
    ["ConnectionSpec/Standard/", false],
  ])("%j -> %s", (day, inside) => {
    expect(dayInSelectors(day, selectors)).toBe(inside);
  });
});
