// Initial contents of the emulator's source bucket ("dataservice-flex-bucket").
//   "demo"       small, deterministic: 2021/05 trading days, 2021/06/01–02, testdata/, ConnectionSpec/
//   "year:YYYY"  one year at the real FLEX scale (manual's per-year TB table, 2010–2023), lazily generated
//   "years:A-B"  years A to B (inclusive) one after another, each as "year:YYYY"
//   "archive"    every year of the table: "years:2010-2023", 19.39 TB, ~96,000 objects, still lazy
//   "none"       empty
//   otherwise    a path to a JSON layout file (see layout.ts)
import { demoSeed } from "./demo.js";
import { loadLayoutFile } from "./layout.js";
import { FLEX_FIRST_YEAR, FLEX_LAST_YEAR, yearSeed, yearsSeed } from "./year.js";

export interface SeedObject {
  key: string;
  size: number;
  contentType?: string;
  metadata?: Record<string, string>;
  lastModified?: string;
  storageClass?: string; // default STANDARD
}

export const SEED_HELP = 'seed must be "demo", "year:YYYY" (2010–2023), "years:YYYY-YYYY", "archive", "none" or a path to a JSON layout file';

/**
 * Resolve a seed spec. Throws (synchronously, with a message naming the problem) on an unknown year,
 * a missing/invalid layout file, etc.; the returned iterable is cheap to iterate more than once.
 */
export function loadSeed(spec: string): Iterable<SeedObject> {
  const s = spec.trim();
  if (s === "" || s === "none") return [];
  if (s === "demo") return demoSeed();
  const year = /^year:(.*)$/i.exec(s);
  if (year) {
    const y = year[1] ?? "";
    if (!/^\d{4}$/.test(y)) throw new Error(`seed ${JSON.stringify(spec)}: expected "year:YYYY", e.g. "year:2023"`);
    return yearSeed(Number(y));
  }
  if (s === "archive") return yearsSeed(FLEX_FIRST_YEAR, FLEX_LAST_YEAR);
  const years = /^years:(.*)$/i.exec(s);
  if (years) {
    const m = /^(\d{4})-(\d{4})$/.exec(years[1] ?? "");
    if (!m) throw new Error(`seed ${JSON.stringify(spec)}: expected "years:YYYY-YYYY", e.g. "years:2010-2023"`);
    return yearsSeed(Number(m[1]), Number(m[2]));
  }
  return loadLayoutFile(s);
}

export { parseLayout, parseSeedSize, SeedLayoutError } from "./layout.js";
export { FLEX_YEAR_TB, FLEX_FIRST_YEAR, FLEX_LAST_YEAR, yearTargetBytes } from "./year.js";
export { tradingDays, marketHolidays, isTradingDay } from "./util.js";
