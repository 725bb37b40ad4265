/**
 * Which keys doctor decides the role's requests on, and how refusals read: one key of every prefix the user
 * will copy (the days of the selectors given to `flexcopy doctor`, else one real key of each year of the source
 * listing, testdata/ and ConnectionSpec/), so a Deny on `2021/*` or a NotResource allow-list is seen; refusals
 * grouped by the statement that decides them, each named by its Sid and what it tests.
 */
import type { Statement } from "../iam/document.js";
import type { Decision } from "../iam/evaluate.js";
import { parseDayPrefix } from "../engine/day-key.js";
import { listObjects } from "../engine/listing.js";
import { listPrefixes } from "../engine/listing.js";
import { planDays } from "../plan/days.js";
import { doctorListing } from "./doctor.js";
import type { DoctorContext } from "./doctor-checks.js";
import { decideFor, optimistic, SAMPLE_PROBES, type PolicyFacts, type Probe } from "./doctor-request.js";

/** More prefixes than this are not probed one by one (a selector spanning years has thousands of days). */
const MAX_PROBES = 400;

/** The first key under `prefix` as the role lists it, else a key of FLEX's naming there. */
async function firstKey(ctx: DoctorContext, prefix: string): Promise<string> {
  const c = ctx.config!;
  const listing = doctorListing(ctx.role!.s3, c.maxAttempts, ctx.role!.refresher);
  try {
    for await (const o of listObjects(listing, c.sourceBucket, prefix, "source")) return o.key;
  } catch {
    // not listable: decide on a key of the usual name
  }
  return syntheticKey(prefix);
}

/** A key of FLEX's naming in a day folder ("2021/05/31/" → "2021/05/31/20210531_1_001.pcap.gz"), or any key under the prefix. */
export function syntheticKey(prefix: string): string {
  const day = parseDayPrefix(prefix);
  if (day) return `${prefix}${day.key.replace(/\//g, "")}_1_001.pcap.gz`;
  if (/^\d{4}\/$/.test(prefix)) return `${prefix}01/04/${prefix.slice(0, 4)}0104_1_001.pcap.gz`;
  return `${prefix}flexcopy-doctor-probe`;
}

/**
 * One key of every prefix the user will copy: the day folders of the selectors (planned as fetch plans them,
 * listing as the role), else one real key of each root folder of the source (each year, testdata/,
 * ConnectionSpec/). Without the role (it could not be assumed or list the source): SAMPLE_PROBES.
 */
export async function probesFor(ctx: DoctorContext): Promise<Probe[]> {
  const c = ctx.config!;
  if (!ctx.role) return SAMPLE_PROBES;
  if (ctx.selectors && ctx.selectors.length > 0) {
    const listing = doctorListing(ctx.role.s3, c.maxAttempts, ctx.role.refresher);
    const units: string[] = [];
    try {
      for await (const u of planDays(ctx.selectors, { listPrefixes: (p) => listPrefixes(listing, c.sourceBucket, p, "source") })) {
        units.push(u);
        if (units.length >= MAX_PROBES) break;
      }
    } catch {
      return SAMPLE_PROBES;
    }
    // Day folders get a key of FLEX's naming (one listing each would be thousands of requests); other prefixes a real key.
    return Promise.all(units.map(async (u) => ({ prefix: u, key: parseDayPrefix(u) ? syntheticKey(u) : await firstKey(ctx, u) })));
  }
  const roots = ctx.sourcePrefixes;
  if (!roots || roots.length === 0) return SAMPLE_PROBES;
  const wanted = roots.filter((p) => /^\d{4}\/$/.test(p) || p === "testdata/" || p === "ConnectionSpec/").slice(0, MAX_PROBES);
  const probes: Probe[] = [];
  for (const prefix of wanted) probes.push({ prefix, key: await firstKey(ctx, prefix) });
  return probes.length > 0 ? probes : SAMPLE_PROBES;
}

/** Refused probes that one cause decides: a Deny statement (its index), or no Allow. */
export interface RefusalGroup {
  /** Index of the deciding Deny statement; undefined when no statement allows it. */
  index?: number;
  decision: Decision;
  probes: Probe[];
}

export interface ProbeOutcome {
  allowed: Probe[];
  refused: RefusalGroup[];
  /** Probes refused only for want of facts a real request has (aws:SourceIp, …): the keys. */
  undecided: { probes: Probe[]; keys: string[] };
}

/**
 * `op` with `headers` on every probe: allowed, refused (by which statement: where an unknown key's condition
 * could go the role's way the refusal that stands whatever it says is named), or undecided.
 */
export function probeAll(f: PolicyFacts, op: string, headers: Record<string, string> = {}, probes: Probe[] = f.probes): ProbeOutcome {
  const out: ProbeOutcome = { allowed: [], refused: [], undecided: { probes: [], keys: [] } };
  for (const p of probes) {
    let d = decideFor(f, op, p.key, headers);
    if (d.allowed) {
      out.allowed.push(p);
      continue;
    }
    const best = optimistic(f, op, p.key, headers);
    if (best?.allowed) {
      out.undecided.probes.push(p);
      for (const k of best.keys) if (!out.undecided.keys.includes(k)) out.undecided.keys.push(k);
      continue;
    }
    if (best) d = best; // refused whatever those conditions say: name what refuses it then
    const index = d.deny?.index;
    let group = out.refused.find((g) => g.index === index);
    if (!group) out.refused.push((group = { ...(index !== undefined ? { index } : {}), decision: d, probes: [] }));
    group.probes.push(p);
  }
  return out;
}

/** "2021/, testdata/" — the first few, then how many more. */
export function prefixList(probes: Probe[], max = 6): string {
  const names = probes.map((p) => p.prefix);
  return names.length <= max ? names.join(", ") : `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}

const listText = (xs: string[]): string => (xs.length === 1 ? xs[0]! : `[${xs.join(", ")}]`);

/** What a statement tests, in one line: `Deny s3:PutObject on arn:aws:s3:::b/2021/* for * if StringNotEquals aws:PrincipalAccount 111122223333`. */
export function describeStatement(s: Statement): string {
  const parts: string[] = [s.effect];
  if (s.actions) parts.push(listText(s.actions));
  if (s.notActions) parts.push(`every action but ${listText(s.notActions)}`);
  if (s.resources) parts.push(`on ${listText(s.resources)}`);
  if (s.notResources) parts.push(`on everything but ${listText(s.notResources)}`);
  if (s.principals !== undefined) parts.push(`for ${s.principals === "*" ? "*" : listText(s.principals)}`);
  if (s.notPrincipals !== undefined) parts.push(`for everyone but ${s.notPrincipals === "*" ? "*" : listText(s.notPrincipals)}`);
  const tests = Object.entries(s.conditions).flatMap(([op, block]) => Object.entries(block).map(([k, v]) => `${op} ${k} ${listText(v)}`));
  if (tests.length > 0) parts.push(`if ${tests.join(" and ")}`);
  return parts.join(" ");
}

/** `statement "Sid"`, or `statement #3` without a Sid. */
export function statementName(f: PolicyFacts, index: number): string {
  const s = f.policy.statements[index]!;
  return `statement ${s.sid !== undefined ? `"${s.sid}"` : `#${index + 1}`}`;
}

/** `statement "Sid" (Deny … if …)`. */
export const statementLabel = (f: PolicyFacts, index: number): string => `${statementName(f, index)} (${describeStatement(f.policy.statements[index]!)})`;
