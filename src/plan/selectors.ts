import { dateKey, daysInMonth } from "../engine/day-key.js";

/**
 * What the user asked to copy: calendar days (of the real data or of testdata/) or raw prefixes
 * such as ConnectionSpec/... . Parsing checks the calendar; the listing decides what exists.
 */

export type Selector =
  | { kind: "days"; from: string; to: string; sample: boolean; text: string }
  /**
   * The `count` newest days that exist (`latest`, `latest:5`) up to `until` (Japan's today, so a pinned
   * FLEXCOPY_NOW re-runs a job as of that day); resolved by listing, see resolveLatest.
   */
  | { kind: "latest"; count: number; sample: boolean; text: string; until?: string }
  | { kind: "prefix"; prefix: string; text: string };

export interface ParseOptions {
  /** --sample: every date selector refers to testdata/. */
  sample?: boolean;
  /** Now (ms since the epoch), for `today`, `yesterday` and the last day `latest` may pick; default Date.now(). */
  now?: number;
}

/** One line: `invalid selector "2021/02/30": February 2021 has 28 days`. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelectorError";
  }
}

export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export { dateKey, daysInMonth };

/** The most days `latest:N` may ask for (about forty years of trading days). */
export const MAX_LATEST = 10_000;

const TOKYO = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit" });

/**
 * The calendar date in Japan ("YYYY/MM/DD") at `now`, `offsetDays` later: FLEX days are Tokyo
 * trading days, so `today` means Tokyo's today whatever this machine's time zone.
 */
export function japanDate(now: number, offsetDays = 0): string {
  const parts = Object.fromEntries(TOKYO.formatToParts(new Date(now)).map((p) => [p.type, p.value]));
  const d = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + offsetDays));
  return dateKey(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

const WORDS_HELP = "expected YYYY, YYYY/MM, YYYY/MM/DD, a range A..B (A.. or ..B open-ended), today, yesterday, latest, latest:N, testdata/... or ConnectionSpec/...";

const SAMPLE_RE = /^testdata(?:\/|$)/i;
const SPEC_RE = /^connectionspec(?=\/|$)/i;

/**
 * Parses command-line selectors: `2021`, `2021/05`, `2021/5/3`, `2021/05/10..2021/06/03`,
 * open ranges `2026/11/01..` and `..2010/06`, `today`, `yesterday` (Japan's calendar),
 * `latest` / `latest:N` (the newest N days that exist), `testdata/2021/05`,
 * `ConnectionSpec/Standard/version 17.4/Japanese`. `opts.sample` (--sample) makes every date
 * selector refer to testdata/.
 */
export function parseSelectors(args: string[], opts: ParseOptions = {}): Selector[] {
  const now = opts.now ?? Date.now();
  return args.map((arg) => parseOne(arg, opts.sample ?? false, now));
}

function parseOne(text: string, sampleFlag: boolean, now: number): Selector {
  const fail = (reason: string): never => {
    throw new SelectorError(`invalid selector ${JSON.stringify(text)}: ${reason}`);
  };
  let body = text.trim().replace(/^s3:\/\/[^/]+\//i, "").replace(/^\/+/, "");
  if (body === "") fail("empty");

  if (SPEC_RE.test(body)) {
    const prefix = body.replace(SPEC_RE, "ConnectionSpec");
    return { kind: "prefix", prefix, text };
  }

  let sample = sampleFlag;
  const stripSample = (side: string): string => {
    if (!SAMPLE_RE.test(side)) return side;
    sample = true;
    return side.replace(SAMPLE_RE, "");
  };

  const sides = body.split("..");
  if (sides.length > 2) fail('a range has one ".." between two dates');
  if (sides.length === 2) {
    const [left = "", right = ""] = sides.map((s) => stripSample(s.trim()));
    if (left === "" && right === "") fail('a range needs a date on at least one side of ".."');
    // An open side runs to the oldest or newest day that exists: the listing decides.
    const from = left === "" ? FIRST_DAY : parseSide(left, now, fail).first;
    const to = right === "" ? LAST_DAY : parseSide(right, now, fail).last;
    if (from > to) fail(`range start ${from} is after its end ${to}`);
    return { kind: "days", from, to, sample, text };
  }

  body = stripSample(body);
  if (body === "" || body === "/") {
    // "testdata" alone: every day of the sample data
    return { kind: "days", from: FIRST_DAY, to: LAST_DAY, sample: true, text };
  }
  const latest = /^latest(?::(.*))?$/i.exec(body);
  if (latest) {
    const n = latest[1];
    if (n !== undefined && !/^\d+$/.test(n)) fail(`latest:N needs a whole number of days (got "${n}")`);
    const count = n === undefined ? 1 : Number(n);
    if (count < 1 || count > MAX_LATEST) fail(`latest:N must be 1 to ${MAX_LATEST} days`);
    return { kind: "latest", count, sample, text, until: japanDate(now) };
  }
  const { first, last } = parseSide(body, now, fail);
  return { kind: "days", from: first, to: last, sample, text };
}

const FIRST_DAY = dateKey(MIN_YEAR, 1, 1);
const LAST_DAY = dateKey(MAX_YEAR, 12, 31);

/** A date, or one of the calendar words `today` / `yesterday` (Japan's calendar). */
function parseSide(text: string, now: number, fail: (reason: string) => never): { first: string; last: string } {
  const word = text.toLowerCase();
  if (word === "today" || word === "yesterday") {
    const key = japanDate(now, word === "today" ? 0 : -1);
    return { first: key, last: key };
  }
  if (/^latest(:|$)/i.test(text)) fail('"latest" cannot be one end of a range: write FROM.. for everything from FROM to the newest day');
  return parseDate(text, fail);
}

/** "2021" | "2021/05" | "2021/5/3" (trailing slash allowed) -> first and last day it covers. */
function parseDate(text: string, fail: (reason: string) => never): { first: string; last: string } {
  const parts = text.replace(/\/$/, "").split("/");
  if (parts.length > 3) fail("expected at most YYYY/MM/DD");
  const [y = "", m, d] = parts;
  if (!/^\d+$/.test(y)) fail(WORDS_HELP);
  if (y.length !== 4) fail(`the year must have 4 digits (got "${y}")`);
  const year = Number(y);
  if (year < MIN_YEAR || year > MAX_YEAR) fail(`the year must be ${MIN_YEAR} to ${MAX_YEAR}`);
  if (m === undefined) return { first: dateKey(year, 1, 1), last: dateKey(year, 12, 31) };

  if (!/^\d{1,2}$/.test(m)) fail(`the month must be a number 1 to 12 (got "${m}")`);
  const month = Number(m);
  if (month < 1 || month > 12) fail(`the month must be 1 to 12 (got "${m}")`);
  const last = daysInMonth(year, month);
  if (d === undefined) return { first: dateKey(year, month, 1), last: dateKey(year, month, last) };

  if (!/^\d{1,2}$/.test(d)) fail(`the day must be a number (got "${d}")`);
  const day = Number(d);
  if (day < 1) fail(`the day must be 1 or more (got "${d}")`);
  if (day > last) fail(`${MONTHS[month - 1]} ${year} has ${last} days`);
  const key = dateKey(year, month, day);
  return { first: key, last: key };
}
