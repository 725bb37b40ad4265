import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSeed, type SeedObject } from "../../src/emulator/seed/seed.js";
import { marketHolidays, tradingDays } from "../../src/emulator/seed/util.js";

const FIVE_GIB = 5 * 1024 ** 3;
const DATE_KEY = /^(?:testdata\/)?(\d{4})\/(\d{2})\/(\d{2})\/(\d{4})(\d{2})(\d{2})_1_(\d{3})\.pcap\.gz$/;

function dayOf(key: string): string | undefined {
  const m = DATE_KEY.exec(key);
  return m ? `${m[1]}/${m[2]}/${m[3]}` : undefined;
}

function tmpFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "flexcopy-seed-"));
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe("seed: demo", () => {
  const objs = [...loadSeed("demo")];
  const keys = objs.map((o) => o.key);

  it("is deterministic and has unique, sorted keys", () => {
    expect([...loadSeed("demo")]).toEqual(objs);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(keys);
  });

  it("covers May 2021 trading days only (no weekends, no Golden Week)", () => {
    const days = new Set(keys.filter((k) => !k.startsWith("testdata/")).map(dayOf).filter((d) => d !== undefined));
    const may = [...days].filter((d) => d.startsWith("2021/05/"));
    expect(may).toHaveLength(18);
    for (const d of days) {
      const [y, m, dd] = d.split("/").map(Number) as [number, number, number];
      const wd = new Date(Date.UTC(y, m - 1, dd)).getUTCDay();
      expect(wd, d).not.toBe(0);
      expect(wd, d).not.toBe(6);
    }
    for (const hol of ["2021/05/03", "2021/05/04", "2021/05/05", "2021/05/01", "2021/05/02", "2021/05/08"]) expect(days.has(hol), hol).toBe(false);
    expect(days.has("2021/05/06")).toBe(true);
    expect(days.has("2021/05/31")).toBe(true);
    expect(days.has("2021/06/01")).toBe(true);
    expect(days.has("2021/06/02")).toBe(true);
  });

  it("uses the manual's zero-padded layout with 3–4 files a day", () => {
    for (const k of keys.filter((k) => /^\d{4}\//.test(k) || k.startsWith("testdata/"))) {
      const m = DATE_KEY.exec(k);
      expect(m, k).not.toBeNull();
      expect(`${m?.[1]}${m?.[2]}${m?.[3]}`).toBe(`${m?.[4]}${m?.[5]}${m?.[6]}`);
    }
    expect(keys).toContain("2021/05/31/20210531_1_001.pcap.gz");
    expect(keys.some((k) => k.startsWith("2021/5/"))).toBe(false);
    const perDay = new Map<string, number>();
    for (const k of keys) if (/^\d{4}\//.test(k)) perDay.set(dayOf(k) ?? "", (perDay.get(dayOf(k) ?? "") ?? 0) + 1);
    for (const [d, n] of perDay) {
      expect(n, d).toBeGreaterThanOrEqual(3);
      expect(n, d).toBeLessThanOrEqual(4);
    }
  });

  it("has testdata/ and ConnectionSpec/ with spaces, Japanese, '+' and both version spellings", () => {
    expect(keys.filter((k) => k.startsWith("testdata/2021/05/")).length).toBeGreaterThanOrEqual(4);
    const spec = keys.filter((k) => k.startsWith("ConnectionSpec/"));
    for (const p of [
      "ConnectionSpec/Standard/version 17.4/Japanese/",
      "ConnectionSpec/Standard/version 17.4/English/",
      "ConnectionSpec/Standard/Version 18.3/Japanese/",
      "ConnectionSpec/Standard/Version 18.3/English/",
      "ConnectionSpec/MBO/version 0.1/Japanese/",
      "ConnectionSpec/MBO/version 0.1/English/",
      "ConnectionSpec/MBO/Version 0.6/Japanese/",
      "ConnectionSpec/MBO/Version 0.6/English/",
    ]) {
      expect(spec.some((k) => k.startsWith(p)), p).toBe(true);
    }
    expect(spec).toContain("ConnectionSpec/Standard/version 17.4/Japanese/FLEX Standard 接続仕様書 v17.4.pdf");
    expect(spec).toContain("ConnectionSpec/Standard/version 17.4/English/FLEX Standard Connection Specification v17.4.pdf");
    expect(spec.some((k) => k.includes("+"))).toBe(true);
    expect(spec.some((k) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(k))).toBe(true);
  });

  it("sets content types, sizes and some user metadata", () => {
    for (const o of objs) {
      expect(o.contentType).toBe(o.key.endsWith(".pdf") ? "application/pdf" : "application/gzip");
      expect(o.size).toBeGreaterThan(0);
      expect(o.size).toBeLessThan(8 * 1024 * 1024);
      expect(Number.isNaN(Date.parse(o.lastModified ?? ""))).toBe(false);
    }
    expect(objs.filter((o) => o.metadata?.["flex-kind"] === "pcap").length).toBeGreaterThan(0);
    expect(objs.find((o) => o.key === "2021/05/31/20210531_1_001.pcap.gz")?.metadata).toEqual({ "flex-kind": "pcap" });
  });
});

describe("seed: calendar", () => {
  it("knows the fixed holidays and the moved ones", () => {
    const h2023 = marketHolidays(2023);
    for (const d of ["01-01", "01-02", "01-03", "01-09", "02-23", "03-21", "05-03", "05-04", "05-05", "07-17", "09-18", "09-23", "10-09", "11-03", "11-23", "12-31"]) {
      expect(h2023.has(d), d).toBe(true);
    }
    expect(marketHolidays(2021).has("07-22")).toBe(true); // Olympics Marine Day
    expect(marketHolidays(2015).has("09-22")).toBe(true); // sandwiched "citizens' holiday"
    expect(marketHolidays(2019).has("05-06")).toBe(true); // substitute for Sunday May 5
  });

  it("has about 245 trading days every year", () => {
    for (let y = 2010; y <= 2023; y++) {
      const n = tradingDays(y).length;
      expect(n, String(y)).toBeGreaterThanOrEqual(240);
      expect(n, String(y)).toBeLessThanOrEqual(248);
    }
  });
});

describe("seed: year:YYYY", () => {
  it("year:2023 matches the manual's 4.59 TB within 1%, ~245 days, with files over 5 GiB", () => {
    let total = 0;
    let count = 0;
    let big = 0;
    const days = new Set<string>();
    const t0 = performance.now();
    let prev = "";
    for (const o of loadSeed("year:2023")) {
      total += o.size;
      count++;
      if (o.size > FIVE_GIB) big++;
      expect(o.size).toBeGreaterThan(0);
      expect(o.key > prev, o.key).toBe(true);
      prev = o.key;
      const d = dayOf(o.key);
      expect(d, o.key).toBeDefined();
      days.add(d ?? "");
    }
    const ms = performance.now() - t0;
    expect(Math.abs(total - 4.59e12) / 4.59e12).toBeLessThan(0.01);
    expect(days.size).toBeGreaterThanOrEqual(240);
    expect(days.size).toBeLessThanOrEqual(248);
    expect(count).toBeGreaterThanOrEqual(6000);
    expect(count).toBeLessThanOrEqual(10000);
    expect(big).toBeGreaterThanOrEqual(20);
    expect(big).toBeLessThanOrEqual(60);
    expect(days.has("2023/01/02")).toBe(false);
    expect(days.has("2023/01/04")).toBe(true);
    expect(ms).toBeLessThan(15_000); // cheap: ~0.5 s with the per-object assertions on an idle 2-core machine
  });

  it("every table year sums to its size and has at least one file over 5 GiB", () => {
    const table: Record<number, number> = { 2010: 0.17, 2015: 0.84, 2020: 1.48, 2021: 2.59, 2022: 3.75 };
    for (const [y, tb] of Object.entries(table)) {
      const objs: SeedObject[] = [...loadSeed(`year:${y}`)];
      const total = objs.reduce((a, o) => a + o.size, 0);
      expect(Math.abs(total - tb * 1e12) / (tb * 1e12), y).toBeLessThan(0.01);
      expect(objs.some((o) => o.size > FIVE_GIB), y).toBe(true);
    }
  });

  it("is lazy and deterministic", () => {
    const it1 = loadSeed("year:2023")[Symbol.iterator]();
    const first = it1.next();
    expect(first.done).toBe(false);
    expect(first.value?.key).toBe("2023/01/04/20230104_1_001.pcap.gz");
    const a = [...loadSeed("year:2022")].slice(0, 50);
    const b = [...loadSeed("year:2022")].slice(0, 50);
    expect(a).toEqual(b);
  });

  it("rejects unknown years and malformed specs", () => {
    expect(() => loadSeed("year:2009")).toThrow(/no FLEX size known for 2009.*2010.*2023/);
    expect(() => loadSeed("year:23")).toThrow(/expected "year:YYYY"/);
  });
});

describe("seed: archive and years:A-B", () => {
  it("archive is every table year, 2010–2023, 19.39 TB, in YYYY/MM/DD day folders of *.pcap.gz", () => {
    let total = 0;
    let count = 0;
    let prev = "";
    const perYear = new Map<number, number>();
    const days = new Set<string>();
    for (const o of loadSeed("archive")) {
      total += o.size;
      count++;
      expect(o.key > prev, o.key).toBe(true); // sorted, so no duplicates
      prev = o.key;
      const d = dayOf(o.key);
      expect(d, o.key).toBeDefined();
      expect(o.key.startsWith("testdata/"), o.key).toBe(false);
      days.add(d ?? "");
      const y = Number(o.key.slice(0, 4));
      perYear.set(y, (perYear.get(y) ?? 0) + o.size);
    }
    // The manual's table sums to 19.39 TB; each year is exact to the byte, so the total is too.
    expect(total).toBe(19.39e12);
    expect([...perYear.keys()]).toEqual([2010, 2011, 2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023]);
    expect(perYear.get(2010)).toBe(0.17e12);
    expect(perYear.get(2023)).toBe(4.59e12);
    expect(days.size).toBeGreaterThanOrEqual(14 * 240);
    expect(days.size).toBeLessThanOrEqual(14 * 248);
    expect(count).toBeGreaterThan(14 * 6000);
    expect(count).toBeLessThan(14 * 8000);
  });

  it("chains years exactly as year:YYYY makes them, lazily", () => {
    const chained = [...loadSeed("years:2011-2012")];
    expect(chained).toEqual([...loadSeed("year:2011"), ...loadSeed("year:2012")]);
    const first = loadSeed("archive")[Symbol.iterator]().next();
    expect(first.value?.key).toMatch(/^2010\/01\/\d{2}\/201001\d{2}_1_001\.pcap\.gz$/);
    expect([...loadSeed("years:2023-2023")]).toEqual([...loadSeed("year:2023")]);
  });

  it("rejects ranges outside the table, reversed or malformed", () => {
    expect(() => loadSeed("years:2009-2012")).toThrow(/no FLEX size known for 2009/);
    expect(() => loadSeed("years:2012-2024")).toThrow(/no FLEX size known for 2024/);
    expect(() => loadSeed("years:2013-2011")).toThrow(/first year is after the last/);
    expect(() => loadSeed("years:2011")).toThrow(/expected "years:YYYY-YYYY"/);
  });
});

describe("seed: none and layout files", () => {
  it("none is empty", () => {
    expect([...loadSeed("none")]).toEqual([]);
  });

  it("parses the shipped example (both forms)", () => {
    const objs = [...loadSeed(join(import.meta.dirname, "../fixtures/layout.json"))];
    const byKey = new Map(objs.map((o) => [o.key, o]));
    expect(byKey.get("2021/05/31/20210531_1_001.pcap.gz")).toMatchObject({ size: 52, metadata: { "flex-kind": "pcap" }, lastModified: "2021-03-24T04:31:36.000Z" });
    expect(byKey.get("2021/05/31/20210531_1_003.pcap.gz")?.size).toBe(6 * 1024 ** 3);
    expect(byKey.get("2021/06/01/20210601_1_003.pcap.gz")).toMatchObject({ size: 1048576, contentType: "application/gzip" });
    expect(byKey.has("2021/06/01/20210601_1_004.pcap.gz")).toBe(false);
    expect(byKey.get("2021/06/02/20210602_1_002.pcap.gz")?.size).toBe(64 * 1024 * 1024);
    expect(byKey.get("testdata/2021/05/28/20210528_1_002.pcap.gz")).toMatchObject({ size: 4096, metadata: { "flex-kind": "sample" } });
    expect(byKey.has("ConnectionSpec/Standard/version 17.4/Japanese/FLEX Standard 接続仕様書 v17.4.pdf")).toBe(true);
    expect(objs).toHaveLength(4 + 3 + 2 + 2);
  });

  it("names the problem in its errors", () => {
    expect(() => loadSeed("/nonexistent/layout.json")).toThrow(/"\/nonexistent\/layout.json": no such file.*demo.*year:YYYY/);
    expect(() => loadSeed("nosuchseed")).toThrow(/no such file/);
    expect(() => loadSeed(tmpFile("bad.json", "{ nope"))).toThrow(/invalid JSON/);
    expect(() => loadSeed(tmpFile("neg.json", JSON.stringify({ objects: [{ key: "a", size: -1 }] })))).toThrow(/objects\[0\]\.size: invalid size -1/);
    expect(() => loadSeed(tmpFile("nokey.json", JSON.stringify({ objects: [{ size: 1 }] })))).toThrow(/objects\[0\]\.key/);
    expect(() => loadSeed(tmpFile("extra.json", JSON.stringify({ objects: [{ key: "a", size: 1, sise: 2 }] })))).toThrow(/sise/);
    expect(() => loadSeed(tmpFile("empty.json", "{}"))).toThrow(/needs "objects" and\/or "days"/);
    expect(() => loadSeed(tmpFile("dup.json", JSON.stringify({ objects: [{ key: "a", size: 1 }, { key: "a", size: 2 }] })))).toThrow(/duplicate key "a"/);
    expect(() => loadSeed(tmpFile("day.json", JSON.stringify({ days: { "2021/5/31": { size: 1 } } })))).toThrow(/days\.2021\/5\/31: day must look like "YYYY\/MM\/DD"/);
    expect(() => loadSeed(tmpFile("feb30.json", JSON.stringify({ days: { "2021/02/30": { size: 1 } } })))).toThrow(/2021\/02\/30: not a calendar date/);
    expect(() => loadSeed(tmpFile("nosize.json", JSON.stringify({ days: { "2021/05/31": { files: 3 } } })))).toThrow(/give either "size"/);
    expect(() => loadSeed(tmpFile("huge.json", JSON.stringify({ objects: [{ key: "a", size: "6TiB" }] })))).toThrow(/5 TiB/);
    expect(() => loadSeed(tmpFile("unit.json", JSON.stringify({ objects: [{ key: "a", size: "12 parsecs" }] })))).toThrow(/invalid size "12 parsecs"/);
  });
});
