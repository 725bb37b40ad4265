/**
 * `flexcopy policy --merge`: one bucket policy that keeps every statement of yours, adds the manual's (and
 * `--allow-multipart`'s) once, and exempts the provider's role from each of your Deny statements that would
 * refuse what fetch sends, with the smallest exemption (iam/exemption.ts). Pure: the command reads and writes.
 * `checkMerge` proves the result before it is written: the role may list and copy with the ACL, its writes
 * without the ACL are refused (unless BucketOwnerEnforced), and every other principal is decided as before.
 */
import { parsePolicy, type Policy } from "../iam/document.js";
import { exemptRole, type RawStatement } from "../iam/exemption.js";
import { bucketPolicy, multipartBucketPolicy } from "../iam/manual.js";
import { S3_ACTIONS } from "../iam/s3-actions.js";
import { roleCaller } from "./doctor-policy.js";
import { applies, asProbe, decide, otherCallers, otherRequests, probeKeys, roleNeeds, roleWritesWithoutAcl, type Probe, type ProbeWorld } from "./policy-probes.js";

export interface RawPolicy {
  Version?: string;
  Id?: string;
  Statement: RawStatement[];
}

export interface MergeOptions extends ProbeWorld {
  roleArn: string;
  allowMultipart: boolean;
  now?: Date;
}

export interface MergeResult {
  policy: RawPolicy;
  /** One line per thing added, and why. */
  added: string[];
  /** Deny statements the role cannot be exempted from, because flexcopy can meet them (encryption): what to do. */
  unmet: string[];
  changed: boolean;
}

/** Reads a policy document (JSON text; "" or undefined: none). Throws Error with a one-line reason when it is not one S3 would accept. */
export function readPolicy(text: string | undefined): RawPolicy | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error("not valid JSON");
  }
  parsePolicy(raw); // the grammar (throws with the reason)
  const doc = raw as { Version?: string; Id?: string; Statement: RawStatement | RawStatement[] };
  return { ...doc, Statement: Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement] };
}

const sorted = (v: unknown, lower = false): unknown => {
  const list = (Array.isArray(v) ? v : [v]).map((x) => (lower ? String(x).toLowerCase() : String(x)));
  return [...new Set(list)].sort();
};
const principalForm = (p: unknown): unknown =>
  p === undefined || typeof p === "string" ? p : Object.fromEntries(Object.entries(p as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sorted(v)]));

/** A statement's content, Sid aside: lists as sorted sets, action names and condition keys in lower case. */
function contentOf(s: RawStatement): string {
  const cond = (s.Condition ?? {}) as Record<string, Record<string, unknown>>;
  const condition = Object.keys(cond)
    .sort()
    .map((op) => [op, Object.entries(cond[op] ?? {}).map(([k, v]) => [k.toLowerCase(), sorted(v)]).sort()]);
  return JSON.stringify([
    s.Effect,
    principalForm(s.Principal),
    principalForm(s.NotPrincipal),
    s.Action === undefined ? null : sorted(s.Action, true),
    s.NotAction === undefined ? null : sorted(s.NotAction, true),
    s.Resource === undefined ? null : sorted(s.Resource),
    s.NotResource === undefined ? null : sorted(s.NotResource),
    condition,
  ]);
}

/** `sid`, or `sid` + "Flexcopy" (+ a number) when a statement already has it. */
function freeSid(sid: string, taken: Set<string>): string {
  if (!taken.has(sid)) return sid;
  for (let n = 1; ; n++) {
    const candidate = `${sid}Flexcopy${n === 1 ? "" : n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

const nameOf = (s: RawStatement, i: number): string => (typeof s.Sid === "string" && s.Sid !== "" ? `"${s.Sid}"` : `#${i + 1}`);
const where = (p: Probe): string => (p.key ? ` on ${p.key}` : p.query?.prefix ? ` (prefix ${p.query.prefix})` : "");

const SSE_KEYS = ["s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"];
/** A Deny that demands an encryption header: flexcopy sends it with --sse, so the role is not exempted. */
const demandsEncryption = (s: RawStatement): boolean =>
  Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>).some((block) => Object.keys(block ?? {}).some((k) => SSE_KEYS.includes(k.toLowerCase())));

/** The manual's statements (and --allow-multipart's) for this role and bucket. */
export function manualStatements(roleArn: string, bucket: string, allowMultipart: boolean): RawStatement[] {
  return (allowMultipart ? multipartBucketPolicy(roleArn, bucket) : bucketPolicy(roleArn, bucket)).Statement as unknown as RawStatement[];
}

export function mergePolicy(current: RawPolicy | undefined, o: MergeOptions): MergeResult {
  const statements: RawStatement[] = structuredClone(current?.Statement ?? []);
  const added: string[] = [];
  const unmet: string[] = [];
  const contents = new Set(statements.map(contentOf));
  const sids = new Set(statements.map((s) => s.Sid).filter((s): s is string => typeof s === "string"));
  for (const want of manualStatements(o.roleArn, o.bucket, o.allowMultipart)) {
    if (contents.has(contentOf(want))) continue; // already there, whatever its Sid
    const sid = freeSid(String(want.Sid), sids);
    sids.add(sid);
    statements.push({ ...want, Sid: sid });
    const renamed = sid !== want.Sid ? ` (as "${sid}": your policy has another statement "${String(want.Sid)}")` : "";
    added.push(`added the manual's statement "${String(want.Sid)}"${renamed}: ${purpose(String(want.Sid))}`);
  }

  const role = roleCaller(o.roleArn);
  let policy = parsePolicy({ Statement: statements });
  const exempted = new Set<number>();
  for (const p of roleNeeds(probeKeys(o.bucket, statements, o.now), o, o.allowMultipart)) {
    for (let tries = 0; tries <= statements.length; tries++) {
      const d = decide(role, p, policy, o);
      if (d.allowed || d.deny?.kind !== "resource") break;
      const i = d.deny.index;
      const s = statements[i]!;
      if (demandsEncryption(s) && S3_ACTIONS[p.op]?.sse) {
        unmet.push(`your statement ${nameOf(s, i)} refuses the role's ${p.op} without a server-side encryption header: run policy (and fetch) with --sse AES256 or --sse aws:kms --sse-kms-key-id ARN as it demands; it is not exempted`);
        break;
      }
      const ex = exemptRole(s, o.roleArn);
      if (!ex.changed) break;
      statements[i] = ex.statement;
      exempted.add(i);
      policy = parsePolicy({ Statement: statements });
      added.push(`your statement ${nameOf(s, i)} refused the role's ${p.op}${where(p)}: ${ex.added.replace(/^(the )?statement( "[^"]*")?: /, "")}`);
    }
  }
  const doc: RawPolicy = { Version: current?.Version ?? "2012-10-17", ...(current?.Id !== undefined ? { Id: current.Id } : {}), Statement: statements };
  return { policy: doc, added, unmet: [...new Set(unmet)], changed: added.length > 0 };
}

function purpose(sid: string): string {
  if (sid === "S3CopyStmtList") return "the provider's role may list the bucket (step 1-2)";
  if (sid === "S3CopyStmtPutObject") return "the provider's role may write objects only with x-amz-acl bucket-owner-full-control (step 1-2)";
  return "the provider's role may finish multipart copies (--allow-multipart; needs Object Ownership BucketOwnerEnforced)";
}

export interface CheckOptions extends MergeOptions {
  /** Object Ownership of the bucket; "BucketOwnerEnforced" lets the role's writes without the ACL through harmlessly. */
  ownership?: string;
}

/**
 * What must hold before the merged policy is written; each failure one line (empty: all hold).
 * `original` is the customer's policy as it was (undefined: none).
 */
export function checkMerge(original: RawPolicy | undefined, merged: RawPolicy, o: CheckOptions): string[] {
  const failures: string[] = [];
  const mergedPolicy = parsePolicy({ Statement: merged.Statement });
  const before: Policy = original ? parsePolicy({ Statement: original.Statement }) : { statements: [] };
  const keys = probeKeys(o.bucket, merged.Statement, o.now);
  const role = roleCaller(o.roleArn);
  for (const p of roleNeeds(keys, o, o.allowMultipart)) {
    const d = decide(role, p, mergedPolicy, o);
    if (!d.allowed) {
      failures.push(`the provider's role would still be refused ${p.op}${where(p)}: ${d.reason}`);
      break;
    }
  }
  if (o.ownership !== "BucketOwnerEnforced") {
    for (const p of roleWritesWithoutAcl(keys, o)) {
      const d = decide(role, p, mergedPolicy, o);
      if (d.allowed) {
        failures.push(`the provider's role could ${p.op}${where(p)} without x-amz-acl bucket-owner-full-control, and under Object Ownership ${o.ownership ?? "(unknown)"} that object would not be yours: set Object Ownership BucketOwnerEnforced first`);
        break;
      }
    }
  }
  const originals = original?.Statement ?? [];
  const changed = originals.flatMap((s, i) => (contentOf(s) === contentOf(merged.Statement[i] ?? {}) ? [] : [i]));
  const probes = changed.map((i) => ({ i, was: asProbe(originals[i]!), now: merged.Statement[i] ? asProbe(merged.Statement[i]) : undefined }));
  outer: for (const who of otherCallers(originals, o.resourceAccount, o.roleArn)) {
    for (const p of otherRequests(keys)) {
      for (const tls of [true, false]) {
        for (const c of probes) {
          if (c.now === undefined || applies(c.was, who, p, o, tls) !== applies(c.now, who, p, o, tls)) {
            failures.push(`your statement ${nameOf(originals[c.i]!, c.i)} would decide differently for ${who.label} (${p.op}${where(p)})`);
            break outer;
          }
        }
        if (decide(who, p, before, o, tls).allowed !== decide(who, p, mergedPolicy, o, tls).allowed) {
          failures.push(`the merged policy would decide ${p.op}${where(p)} differently for ${who.label}`);
          break outer;
        }
      }
    }
  }
  return failures;
}
