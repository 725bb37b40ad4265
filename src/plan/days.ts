import { parseDayPrefix } from "../engine/day-key.js";
import { dateKey, daysInMonth, MAX_YEAR, type Selector } from "./selectors.js";

/** Delimiter "/" listing: yields the CommonPrefixes under `prefix`, e.g. "2021/" -> "2021/01/", "2021/02/". */
export interface Lister {
  listPrefixes(prefix: string): AsyncIterable<string>;
}

type DaySelector = Extract<Selector, { kind: "days" }>;

/** Years spanned by the selectors beyond which the base folder is listed once instead of each year. */
const DIRECT_YEAR_LIMIT = 10;

/**
 * Yields the day folders that exist and that the selectors cover, sorted by date, each once, with a
 * trailing slash and spelled as listed (an unpadded "2021/5/21/" stays so). Real-data days come
 * first, then testdata/ days, then prefix selectors as given. Only the years and months the
 * selectors touch are listed.
 */
export async function* planDays(selectors: Selector[], lister: Lister): AsyncGenerator<string> {
  const days = await resolveLatest(selectors, lister);
  for (const sample of [false, true]) {
    const group = days.filter((s) => s.sample === sample);
    if (group.length > 0) yield* planBase(sample ? "testdata/" : "", group, lister);
  }
  const seen = new Set<string>();
  for (const s of selectors) {
    if (s.kind !== "prefix") continue;
    const prefix = withSlash(s.prefix);
    if (seen.has(prefix)) continue;
    seen.add(prefix);
    yield prefix;
  }
}

async function* planBase(base: string, selectors: DaySelector[], lister: Lister): AsyncGenerator<string> {
  const ranges = selectors.map((s) => ({ from: s.from, to: s.to }));
  const overlaps = (from: string, to: string): boolean => ranges.some((r) => r.from <= to && from <= r.to);
  const covers = (key: string): boolean => ranges.some((r) => r.from <= key && key <= r.to);

  for (const year of await listYears(base, ranges, lister)) {
    const months = (await listNumbered(lister, year.prefix)).filter((m) => m.n >= 1 && m.n <= 12);
    // "2021/5/" and "2021/05/" may both exist: read every folder of a month before yielding its days.
    for (const n of [...new Set(months.map((m) => m.n))]) {
      if (!overlaps(dateKey(year.n, n, 1), dateKey(year.n, n, 31))) continue;
      const last = daysInMonth(year.n, n);
      const found: Folder[] = [];
      for (const month of months.filter((m) => m.n === n)) found.push(...(await listNumbered(lister, month.prefix)));
      for (const day of sortFolders(found)) {
        if (day.n >= 1 && day.n <= last && covers(dateKey(year.n, n, day.n))) yield day.prefix;
      }
    }
  }
}

interface Folder {
  n: number;
  prefix: string;
}

async function listYears(base: string, ranges: { from: string; to: string }[], lister: Lister): Promise<Folder[]> {
  const wanted = new Set<number>();
  for (const r of ranges) {
    const first = Number(r.from.slice(0, 4));
    const last = Number(r.to.slice(0, 4));
    for (let y = first; y <= last && wanted.size <= DIRECT_YEAR_LIMIT; y++) wanted.add(y);
  }
  if (wanted.size <= DIRECT_YEAR_LIMIT) {
    return [...wanted].sort((a, b) => a - b).map((n) => ({ n, prefix: `${base}${n}/` }));
  }
  const yearTouched = (y: number): boolean => ranges.some((r) => r.from.slice(0, 4) <= String(y) && String(y) <= r.to.slice(0, 4));
  return (await listNumbered(lister, base)).filter((f) => String(f.n).length === 4 && yearTouched(f.n));
}

/** Lists the numeric child folders of `prefix`, sorted by value then by name. Non-numeric names are ignored. */
async function listNumbered(lister: Lister, prefix: string): Promise<Folder[]> {
  const out: Folder[] = [];
  for await (const child of lister.listPrefixes(prefix)) {
    if (!child.startsWith(prefix)) continue;
    const name = child.slice(prefix.length).replace(/\/$/, "");
    if (!/^\d{1,4}$/.test(name)) continue;
    out.push({ n: Number(name), prefix: withSlash(child) });
  }
  return sortFolders(out);
}

function sortFolders(folders: Folder[]): Folder[] {
  const unique = [...new Map(folders.map((f) => [f.prefix, f])).values()];
  return unique.sort((a, b) => a.n - b.n || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

function withSlash(p: string): string {
  return p.endsWith("/") ? p : `${p}/`;
}

export { parseDayPrefix };

/** Whether a day folder (or any key under a prefix selector) is covered by the (resolved) selectors. */
export function dayInSelectors(day: string, selectors: Selector[]): boolean {
  const parsed = parseDayPrefix(day);
  return selectors.some((s) => {
    if (s.kind === "prefix") return withSlash(day).startsWith(withSlash(s.prefix));
    if (s.kind === "latest") return false;
    return parsed !== undefined && parsed.sample === s.sample && s.from <= parsed.key && parsed.key <= s.to;
  });
}

/**
 * The day selectors, with each `latest:N` turned into the range from the N-th newest day that
 * exists up to its `until` day (so exactly those N days; a day after `until`, which FLEXCOPY_NOW
 * puts in the past, is not one of them). A bucket with no days gives none.
 */
export async function resolveLatest(selectors: Selector[], lister: Lister): Promise<DaySelector[]> {
  const out: DaySelector[] = [];
  for (const s of selectors) {
    if (s.kind === "days") out.push(s);
    if (s.kind !== "latest") continue;
    const until = s.until ?? dateKey(MAX_YEAR, 12, 31);
    const newest = await newestDays(s.sample ? "testdata/" : "", s.count, until, lister);
    const oldest = newest[newest.length - 1];
    if (oldest !== undefined) out.push({ kind: "days", from: oldest, to: until, sample: s.sample, text: s.text });
  }
  return out;
}

/** The `count` newest day keys up to `until` under `base`, newest first, walking years, months and days backwards. */
async function newestDays(base: string, count: number, until: string, lister: Lister): Promise<string[]> {
  const found: string[] = [];
  const years = (await listNumbered(lister, base)).filter((f) => String(f.n).length === 4 && String(f.n) <= until.slice(0, 4)).reverse();
  for (const year of years) {
    const months = (await listNumbered(lister, year.prefix)).filter((m) => m.n >= 1 && m.n <= 12);
    for (const n of [...new Set(months.map((m) => m.n))].reverse()) {
      if (dateKey(year.n, n, 1) > until) continue;
      const days = new Set<number>();
      for (const month of months.filter((m) => m.n === n)) {
        for (const d of await listNumbered(lister, month.prefix)) if (d.n >= 1 && d.n <= daysInMonth(year.n, n)) days.add(d.n);
      }
      for (const d of [...days].sort((a, b) => b - a)) {
        if (dateKey(year.n, n, d) > until) continue;
        found.push(dateKey(year.n, n, d));
        if (found.length >= count) return found;
      }
    }
  }
  return found;
}
