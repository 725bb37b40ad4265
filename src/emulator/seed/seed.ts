// Initial contents of the emulator's source bucket ("dataservice-flex-bucket").
//   "demo"       small, deterministic: 2021/05 trading days, 2021/06/01–02, testdata/, ConnectionSpec/
//   "year:YYYY"  one year at the real FLEX scale (manual's per-year TB table, 2010–2023), lazily generated
//   "none"       empty
//   otherwise    a path to a JSON layout file (see layout.ts)
import { demoSeed } from "./demo.js";
import { loadLayoutFile } from "./layout.js";
import { yearSeed } from "./year.js";

export interface SeedObject {
  key: string;
  size: number;
  contentType?: string;
  metadata?: Record<string, string>;
  lastModified?: string;
  storageClass?: string; // default STANDARD
}

export const SEED_HELP = 'seed must be "demo", "year:YYYY" (2010–2023), "none" or a path to a JSON layout file';

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
  return loadLayoutFile(s);
}

export { parseLayout, parseSeedSize, SeedLayoutError } from "./layout.js";
export { FLEX_YEAR_TB, yearTargetBytes } from "./year.js";
export { tradingDays, marketHolidays, isTradingDay } from "./util.js";
