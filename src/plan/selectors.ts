/**
 * What the user asked to copy: calendar days (of the real data or of testdata/) or raw prefixes
 * such as ConnectionSpec/... . Parsing checks the calendar; the listing decides what exists.
 */

export type Selector =
  | { kind: "days"; from: string; to: string; sample: boolean; text: string }
  | { kind: "prefix"; prefix: string; text: string };

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

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Zero-padded "YYYY/MM/DD". */
export function dateKey(year: number, month: number, day: number): string {
  return `${year}/${String(month).padStart(2, "0")}/${String(day).padStart(2, "0")}`;
}

const SAMPLE_RE = /^testdata(?:\/|$)/i;
const SPEC_RE = /^connectionspec(?=\/|$)/i;

/**
 * Parses command-line selectors: `2021`, `2021/05`, `2021/5/3`, `2021/05/10..2021/06/03`,
 * `testdata/2021/05`, `ConnectionSpec/Standard/version 17.4/Japanese`. `opts.sample` (--sample)
 * makes every date selector refer to testdata/.
 */
export function parseSelectors(args: string[], opts: { sample?: boolean } = {}): Selector[] {
  return args.map((arg) => parseOne(arg, opts.sample ?? false));
}

function parseOne(text: string, sampleFlag: boolean): Selector {
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
    if (left === "" || right === "") fail("a range needs a date on both sides of \"..\"");
    const from = parseDate(left, fail).first;
    const to = parseDate(right, fail).last;
    if (from > to) fail(`range start ${from} is after its end ${to}`);
    return { kind: "days", from, to, sample, text };
  }

  body = stripSample(body);
  if (body === "" || body === "/") {
    // "testdata" alone: every day of the sample data
    return { kind: "days", from: dateKey(MIN_YEAR, 1, 1), to: dateKey(MAX_YEAR, 12, 31), sample: true, text };
  }
  const { first, last } = parseDate(body, fail);
  return { kind: "days", from: first, to: last, sample, text };
}

/** "2021" | "2021/05" | "2021/5/3" (trailing slash allowed) -> first and last day it covers. */
function parseDate(text: string, fail: (reason: string) => never): { first: string; last: string } {
  const parts = text.replace(/\/$/, "").split("/");
  if (parts.length > 3) fail("expected at most YYYY/MM/DD");
  const [y = "", m, d] = parts;
  if (!/^\d+$/.test(y)) fail("expected YYYY, YYYY/MM or YYYY/MM/DD, a range A..B, testdata/... or ConnectionSpec/...");
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
