// The customer's contracted periods: which source keys the provider's role may read for this customer,
// written as the Resource list of the role's identity policy (see authorize.ts), so that reads are decided
// by IAM evaluation like every other request.

const DATE_ENTRY = /^(\d{4})(?:\/(\d{1,2})(?:\/(\d{1,2}))?)?$/;

const pad = (s: string): string => (s.length === 1 ? `0${s}` : s);

function normDate(e: string): string | undefined {
  const m = DATE_ENTRY.exec(e.replace(/\/+$/, ""));
  if (!m) return undefined;
  return [m[1], m[2], m[3]].filter((x): x is string => x !== undefined).map(pad).join("/");
}

interface Parsed {
  /** single dates (YYYY, YYYY/MM or YYYY/MM/DD) */
  dates: string[];
  /** inclusive ranges, lo as a full day, hi as written (its prefix is compared) */
  ranges: [string, string][];
  prefixes: string[];
}

function parse(periods: string[]): Parsed {
  const out: Parsed = { dates: [], ranges: [], prefixes: [] };
  for (const raw of periods) {
    const e = raw.trim();
    if (!e) continue;
    const range = e.split("..");
    if (range.length === 2) {
      const lo = normDate(range[0] as string);
      const hi = normDate(range[1] as string);
      if (lo !== undefined && hi !== undefined) {
        out.ranges.push([lo.length === 4 ? `${lo}/01/01` : lo.length === 7 ? `${lo}/01` : lo, hi]);
        continue;
      }
    }
    const d = normDate(e);
    if (d !== undefined) out.dates.push(d);
    else out.prefixes.push(e);
  }
  return out;
}

const daysIn = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();
const two = (n: number): string => String(n).padStart(2, "0");

/** The fewest YYYY, YYYY/MM and YYYY/MM/DD folders that cover lo..hi (hi: a year, month or day, inclusive). */
export function coverRange(lo: string, hi: string): string[] {
  const [hy, hm, hd] = hi.split("/").map(Number) as [number, number | undefined, number | undefined];
  const end = `${hy}/${two(hm ?? 12)}/${two(hd ?? daysIn(hy, hm ?? 12))}`;
  const out: string[] = [];
  let [y, m, d] = lo.split("/").map(Number) as [number, number, number];
  let guard = 0;
  while (`${y}/${two(m)}/${two(d)}` <= end && guard++ < 100000) {
    if (m === 1 && d === 1 && `${y}/12/31` <= end) {
      out.push(String(y));
      y++;
      continue;
    }
    const last = daysIn(y, m);
    if (d === 1 && `${y}/${two(m)}/${two(last)}` <= end) {
      out.push(`${y}/${two(m)}`);
    } else {
      out.push(`${y}/${two(m)}/${two(d)}`);
      if (d < last) {
        d++;
        continue;
      }
    }
    d = 1;
    if (++m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/**
 * Contracted periods as s3:GetObject resources of the source bucket: "2021", "2021/05", "2021/05/31",
 * ranges "2021/05/10..2021/06/03" (inclusive, either end a year, month or day), or plain key prefixes
 * ("testdata", "ConnectionSpec"); a date also covers the same date under testdata/. undefined = everything.
 */
export function contractResources(sourceBucket: string, periods: string[] | undefined): string[] {
  const arn = `arn:aws:s3:::${sourceBucket}/`;
  if (periods === undefined) return [`${arn}*`];
  const p = parse(periods);
  const folders = [...p.dates, ...p.ranges.flatMap(([lo, hi]) => coverRange(lo, hi))];
  const out = folders.flatMap((f) => [`${arn}${f}/*`, `${arn}testdata/${f}/*`]);
  for (const x of p.prefixes) out.push(`${arn}${x}*`);
  // An empty list would make the statement invalid; a resource no key has keeps it valid and grants nothing.
  return out.length ? out : [`${arn}\u0000none`];
}
