/**
 * The one definition of a day folder ("2021/05/31/", "2021/5/3", "testdata/2021/05/31/") and of
 * the zero-padded day key "YYYY/MM/DD". The planner, the shard split and the contract ranges use it.
 */

const DAY = String.raw`(testdata\/)?(\d{4})\/(\d{1,2})\/(\d{1,2})`;
const DAY_PREFIX = new RegExp(`^${DAY}\\/?$`);
const DAY_FOLDER_OF_KEY = new RegExp(`^${DAY}\\/`);

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Zero-padded "YYYY/MM/DD". */
export function dateKey(year: number, month: number, day: number): string {
  return `${year}/${String(month).padStart(2, "0")}/${String(day).padStart(2, "0")}`;
}

/** The parts of a day folder's name as written (no calendar check), or undefined for any other prefix. */
export function splitDayPrefix(day: string): { sample: boolean; year: number; month: number; day: number; padded: string } | undefined {
  const m = DAY_PREFIX.exec(day);
  if (!m) return undefined;
  const padded = `${m[1] ?? ""}${m[2]}/${(m[3] ?? "").padStart(2, "0")}/${(m[4] ?? "").padStart(2, "0")}`;
  return { sample: m[1] !== undefined, year: Number(m[2]), month: Number(m[3]), day: Number(m[4]), padded };
}

/** Parses "2021/05/31/", "2021/5/31" or "testdata/2021/05/31/" into a zero-padded key and sample flag; undefined unless a calendar day. */
export function parseDayPrefix(day: string): { key: string; sample: boolean } | undefined {
  const p = splitDayPrefix(day);
  if (!p || p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysInMonth(p.year, p.month)) return undefined;
  return { key: dateKey(p.year, p.month, p.day), sample: p.sample };
}

/** The day folder ("2021/05/31/", "testdata/2021/5/3/") a key lies in, or undefined. */
export function dayFolderOf(key: string): string | undefined {
  return DAY_FOLDER_OF_KEY.exec(key)?.[0];
}
