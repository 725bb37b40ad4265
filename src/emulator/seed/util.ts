// Shared helpers for the emulator's seed generators: a tiny deterministic PRNG, an approximate
// JPX (Tokyo Stock Exchange) trading calendar, and the FLEX key layout.

/** mulberry32: a small, fast, deterministic 32-bit PRNG. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable 32-bit hash of a string (FNV-1a), to derive per-day PRNG seeds. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface Ymd {
  y: number;
  m: number; // 1..12
  d: number; // 1..31
}

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

/** "2021/05/31" — the manual's zero-padded day prefix (without the trailing slash). */
export function dayPath(day: Ymd): string {
  return `${day.y}/${pad2(day.m)}/${pad2(day.d)}`;
}

/** "2021/05/31/20210531_1_001.pcap.gz" (optionally under a prefix such as "testdata/"). */
export function pcapKey(day: Ymd, seq: number, prefix = "", line = 1): string {
  return `${prefix}${dayPath(day)}/${day.y}${pad2(day.m)}${pad2(day.d)}_${line}_${pad3(seq)}.pcap.gz`;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: Ymd): number {
  return new Date(Date.UTC(day.y, day.m - 1, day.d)).getUTCDay();
}

export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function isValidDate(day: Ymd): boolean {
  return day.m >= 1 && day.m <= 12 && day.d >= 1 && day.d <= daysInMonth(day.y, day.m);
}

/** The n-th (1-based) Monday of a month. */
function nthMonday(y: number, m: number, n: number): number {
  const first = weekday({ y, m, d: 1 });
  const firstMonday = 1 + ((8 - first) % 7);
  return firstMonday + 7 * (n - 1);
}

/** Approximate astronomical equinox days (valid 1980–2099). */
function vernalEquinox(y: number): number {
  return Math.floor(20.8431 + 0.242194 * (y - 1980) - Math.floor((y - 1980) / 4));
}
function autumnalEquinox(y: number): number {
  return Math.floor(23.2488 + 0.242194 * (y - 1980) - Math.floor((y - 1980) / 4));
}

/**
 * Days the Japanese market is closed in year `y` (besides weekends), as "MM-DD" strings.
 * An approximation of the TSE calendar: year-end/new-year holidays (Dec 31, Jan 1–3), the national
 * holidays with their Happy-Monday rules, equinoxes, substitute holidays for Sunday holidays, and the
 * 2019–2021 one-off moves (enthronement, Olympics). Good to a day or two per year, which is plenty for
 * an emulator.
 */
export function marketHolidays(y: number): Set<string> {
  const key = (m: number, d: number): string => `${pad2(m)}-${pad2(d)}`;
  const national: [number, number][] = [
    [1, 1],
    [1, nthMonday(y, 1, 2)], // Coming of Age Day
    [2, 11],
    [3, vernalEquinox(y)],
    [4, 29],
    [5, 3],
    [5, 4],
    [5, 5],
    [9, autumnalEquinox(y)],
    [11, 3],
    [11, 23],
  ];
  if (y >= 2020) national.push([2, 23]);
  if (y >= 1989 && y <= 2018) national.push([12, 23]);
  // Marine Day, Sports Day, Mountain Day; the Olympic years moved them.
  if (y === 2020) national.push([7, 23], [7, 24], [8, 10]);
  else if (y === 2021) national.push([7, 22], [7, 23], [8, 9]);
  else {
    national.push([7, nthMonday(y, 7, 3)], [10, nthMonday(y, 10, 2)]);
    if (y >= 2016) national.push([8, 11]);
  }
  national.push([9, nthMonday(y, 9, 3)]); // Respect for the Aged Day
  if (y === 2019) national.push([4, 30], [5, 1], [5, 2], [10, 22]); // enthronement

  const out = new Set<string>();
  for (const [m, d] of national) out.add(key(m, d));
  // Substitute holiday: a holiday falling on Sunday moves to the next non-holiday weekday.
  for (const [m, d] of national) {
    if (weekday({ y, m, d }) !== 0) continue;
    const t = new Date(Date.UTC(y, m - 1, d + 1));
    while (out.has(key(t.getUTCMonth() + 1, t.getUTCDate()))) t.setUTCDate(t.getUTCDate() + 1);
    if (t.getUTCFullYear() === y) out.add(key(t.getUTCMonth() + 1, t.getUTCDate()));
  }
  // A weekday sandwiched between two holidays is a holiday (e.g. Sep 22 in some years).
  for (let m = 1; m <= 12; m++) {
    for (let d = 2; d < daysInMonth(y, m); d++) {
      if (out.has(key(m, d - 1)) && out.has(key(m, d + 1)) && weekday({ y, m, d }) !== 0) out.add(key(m, d));
    }
  }
  // Exchange year-end/new-year closure.
  out.add(key(1, 2)).add(key(1, 3)).add(key(12, 31));
  return out;
}

export function isTradingDay(day: Ymd, holidays: Set<string> = marketHolidays(day.y)): boolean {
  const wd = weekday(day);
  if (wd === 0 || wd === 6) return false;
  return !holidays.has(`${pad2(day.m)}-${pad2(day.d)}`);
}

/** Trading days of a month, or of a whole year when `m` is omitted. */
export function tradingDays(y: number, m?: number): Ymd[] {
  const holidays = marketHolidays(y);
  const out: Ymd[] = [];
  for (let mm = m ?? 1; mm <= (m ?? 12); mm++) {
    for (let d = 1; d <= daysInMonth(y, mm); d++) {
      const day = { y, m: mm, d };
      if (isTradingDay(day, holidays)) out.push(day);
    }
  }
  return out;
}

/** ISO timestamp of the afternoon (JST) after the trading day, when the provider uploads its files. */
export function uploadTime(day: Ymd, jitterSeconds = 0): string {
  const t = Date.UTC(day.y, day.m - 1, day.d + 1, 4, 31, 36) + Math.round(jitterSeconds) * 1000;
  return new Date(t).toISOString();
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;
export const KiB = 1024;

/** Compare keys the way S3 lists them (UTF-8 byte order). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
