// The "year:YYYY" seed: one year of FLEX data at the real scale, generated lazily; "years:A-B" and
// "archive" (every year of the table, 2010–2023, 19.39 TB) chain the years one after another.
// Per-year totals come from the provider manual's "expected acquisition time" table (TB = 10^12 bytes).
// Every trading day gets 20–36 pcap files with deterministic pseudo-random sizes; some days (at most one
// per week) carry one file over 5 GiB, so a copy needs multipart UploadPartCopy. Totals are exact.
import type { SeedObject } from "./seed.js";
import { GiB, type Ymd, dayPath, hash32, pcapKey, prng, tradingDays, uploadTime, weekday } from "./util.js";

/** Data size per year, TB (10^12 bytes), from FLEX Historical S3 manual v4.0.2 (JA) / v3.1.5 (EN). */
export const FLEX_YEAR_TB: Readonly<Record<number, number>> = {
  2010: 0.17, 2011: 0.21, 2012: 0.22, 2013: 0.44, 2014: 0.55, 2015: 0.84, 2016: 1.24,
  2017: 0.99, 2018: 1.21, 2019: 1.11, 2020: 1.48, 2021: 2.59, 2022: 3.75, 2023: 4.59,
};

export const FIVE_GIB = 5 * GiB;
const MIN_FILES = 20;
const MAX_FILES = 36;

export function yearTargetBytes(year: number): number {
  const tb = FLEX_YEAR_TB[year];
  if (tb === undefined) {
    const known = Object.keys(FLEX_YEAR_TB);
    throw new Error(`seed "year:${year}": no FLEX size known for ${year} (known years: ${known[0]}–${known[known.length - 1]})`);
  }
  return Math.round(tb * 1e12);
}

/** Split `total` into integer parts proportional to `weights`, summing exactly to `total`. */
function apportion(total: number, weights: ArrayLike<number>): number[] {
  let sumW = 0;
  for (let i = 0; i < weights.length; i++) sumW += weights[i] ?? 0;
  const out: number[] = [];
  let cumW = 0;
  let prev = 0;
  for (let i = 0; i < weights.length; i++) {
    cumW += weights[i] ?? 0;
    const cum = i === weights.length - 1 ? total : Math.round((total * cumW) / sumW);
    out.push(cum - prev);
    prev = cum;
  }
  return out;
}

interface DayPlan {
  day: Ymd;
  files: number;
  bigSize: number; // 0 when the day has no file over 5 GiB
  budget: number; // bytes for the ordinary files
}

function planYear(year: number): DayPlan[] {
  const target = yearTargetBytes(year);
  const days = tradingDays(year);
  const rnd = prng(hash32(`year:${year}`));
  // First trading day of each week (weeks start on Monday).
  const weekStarts: number[] = [];
  days.forEach((day, i) => {
    const prevDay = days[i - 1];
    if (i === 0 || !prevDay || weekday(day) <= weekday(prevDay)) weekStarts.push(i);
  });
  // Big files take at most ~25% of the year's volume; one per week when the year is large enough.
  const avgBig = 6.3 * GiB;
  const nBig = Math.max(1, Math.min(weekStarts.length, Math.floor((target * 0.25) / avgBig)));
  const bigDays = new Set<number>();
  for (let k = 0; k < nBig; k++) {
    const w = weekStarts[Math.floor((k * weekStarts.length) / nBig)];
    if (w !== undefined) bigDays.add(w);
  }
  const bigSizes = days.map((_, i) => (bigDays.has(i) ? Math.floor(FIVE_GIB + 0.05 * GiB + rnd() * 2.5 * GiB) : 0));
  const bigTotal = bigSizes.reduce((a, b) => a + b, 0);
  // Day weights: noisy, trending up through the year (volumes grow).
  const weights = days.map((_, i) => (0.7 + 0.6 * rnd()) * (0.85 + (0.3 * i) / days.length));
  const budgets = apportion(target - bigTotal, weights);
  return days.map((day, i) => ({
    day,
    files: MIN_FILES + (hash32(dayPath(day)) % (MAX_FILES - MIN_FILES + 1)),
    bigSize: bigSizes[i] ?? 0,
    budget: budgets[i] ?? 0,
  }));
}

function* generateYear(plan: DayPlan[]): Generator<SeedObject> {
  for (const { day, files, bigSize, budget } of plan) {
    const rnd = prng(hash32(`year-files:${dayPath(day)}`));
    const ordinary = bigSize > 0 ? files - 1 : files;
    const weights = new Float64Array(ordinary);
    for (let j = 0; j < ordinary; j++) weights[j] = 0.3 + 1.4 * rnd() * rnd() + 0.4 * rnd();
    const sizes = apportion(budget, weights);
    let seq = 1;
    if (bigSize > 0) {
      yield { key: pcapKey(day, seq), size: bigSize, contentType: "application/gzip", lastModified: uploadTime(day, seq * 11) };
      seq++;
    }
    for (const size of sizes) {
      yield { key: pcapKey(day, seq), size: Math.max(1, size), contentType: "application/gzip", lastModified: uploadTime(day, seq * 11) };
      seq++;
    }
  }
}

/** Validates the year eagerly (so a bad spec fails at load time), then generates lazily. */
export function yearSeed(year: number): Iterable<SeedObject> {
  yearTargetBytes(year);
  return {
    [Symbol.iterator]: () => generateYear(planYear(year)),
  };
}

/** First and last year of the manual's table. */
export const FLEX_FIRST_YEAR = Math.min(...Object.keys(FLEX_YEAR_TB).map(Number));
export const FLEX_LAST_YEAR = Math.max(...Object.keys(FLEX_YEAR_TB).map(Number));

/**
 * Years `from`..`to` (inclusive) one after another, each generated as `year:YYYY` would be. Lazy: only one
 * year's plan (~250 days) is in memory at a time, so the whole archive costs what one year does.
 */
export function yearsSeed(from: number, to: number): Iterable<SeedObject> {
  if (to < from) throw new Error(`seed "years:${from}-${to}": the first year is after the last`);
  for (let y = from; y <= to; y++) yearTargetBytes(y);
  return {
    *[Symbol.iterator]() {
      for (let y = from; y <= to; y++) yield* generateYear(planYear(y));
    },
  };
}
