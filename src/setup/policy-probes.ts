/**
 * The requests `policy --merge` decides offline with iam/evaluate.ts: the provider's role's own (what fetch
 * sends: ListObjectsV2, CopyObject/PutObject with the ACL, and with --allow-multipart the multipart ones) and a
 * set of other principals' (to show the merged policy decides for them as the original did).
 */
import type { RequestContext } from "../iam/conditions.js";
import { parsePolicy, type Policy } from "../iam/document.js";
import { evaluate, type AccessRequest, type Caller, type Decision } from "../iam/evaluate.js";
import type { RawStatement } from "../iam/exemption.js";
import { OWNER_FULL_CONTROL } from "../iam/manual.js";
import { s3Arn, s3Context, S3_ACTIONS } from "../iam/s3-actions.js";

export const ACL = { "x-amz-acl": OWNER_FULL_CONTROL };
const SOURCE_BUCKET = "dataservice-flex-bucket";

export interface Probe {
  op: string;
  /** Object key; "" for a bucket operation. */
  key: string;
  headers: Record<string, string>;
  query?: Record<string, string>;
}

export interface ProbeWorld {
  bucket: string;
  /** The bucket owner's account (the customer's): s3:ResourceAccount; "" when unknown. */
  resourceAccount: string;
  /** The headers flexcopy's writes carry for --sse / --sse-kms-key-id. */
  sse: Record<string, string>;
}

/** The first key of each Resource / NotResource pattern on the bucket: a Deny on `2021/*` is probed at `2021/0`. */
function keysOfPatterns(bucket: string, statements: RawStatement[]): string[] {
  const prefix = `arn:aws:s3:::${bucket}/`;
  const out: string[] = [];
  for (const s of statements) {
    for (const field of [s.Resource, s.NotResource]) {
      for (const r of Array.isArray(field) ? field : [field]) {
        if (typeof r === "string" && r.startsWith(prefix)) out.push(r.slice(prefix.length).replace(/[*?]/g, "0"));
      }
    }
  }
  return out;
}

/**
 * Keys the role writes: one per year of the data (2008 to next year), sample data, connection specifications,
 * and the keys a statement of the policy names (so a Deny on one prefix or one day is seen).
 */
export function probeKeys(bucket: string, statements: RawStatement[], now = new Date()): string[] {
  const keys = new Set<string>();
  for (let y = 2008; y <= now.getUTCFullYear() + 1; y++) keys.add(`${y}/05/27/${y}0527_1_001.pcap.gz`);
  keys.add("testdata/2021/05/27/20210527_1_001.pcap.gz");
  keys.add("ConnectionSpec/Standard/version 17.4/Japanese/spec.pdf");
  // Only keys flexcopy may write: a day folder, testdata/ or ConnectionSpec/.
  for (const k of keysOfPatterns(bucket, statements)) if (/^(\d|testdata\/|ConnectionSpec\/|0)/.test(k)) keys.add(k);
  return [...keys];
}

/** What the role sends for a copy into `key` (the copy-source headers as fetch sends them). */
function copyHeaders(key: string, extra: Record<string, string>): Record<string, string> {
  return { "x-amz-copy-source": `${SOURCE_BUCKET}/${encodeURI(key)}`, "x-amz-metadata-directive": "COPY", ...extra };
}

/** The role's requests that must be allowed: listing, and each write with the ACL (and the multipart ones). */
export function roleNeeds(keys: string[], w: ProbeWorld, allowMultipart: boolean): Probe[] {
  const out: Probe[] = [{ op: "ListObjectsV2", key: "", headers: {} }];
  for (const key of keys) {
    const day = key.slice(0, key.lastIndexOf("/") + 1);
    if (day) out.push({ op: "ListObjectsV2", key: "", headers: {}, query: { prefix: day } });
    out.push({ op: "CopyObject", key, headers: copyHeaders(key, { ...ACL, ...w.sse }) });
    out.push({ op: "PutObject", key, headers: { ...ACL, ...w.sse } });
    if (allowMultipart) {
      out.push({ op: "CreateMultipartUpload", key, headers: { ...ACL, ...w.sse } });
      out.push({ op: "UploadPartCopy", key, headers: copyHeaders(key, {}) });
      out.push({ op: "CompleteMultipartUpload", key, headers: {} });
      out.push({ op: "AbortMultipartUpload", key, headers: {} });
      out.push({ op: "ListParts", key, headers: {} });
    }
  }
  return out;
}

/** The role's writes without the ACL: refused unless Object Ownership is BucketOwnerEnforced. */
export function roleWritesWithoutAcl(keys: string[], w: ProbeWorld): Probe[] {
  return keys.flatMap((key) => [
    { op: "CopyObject", key, headers: copyHeaders(key, w.sse) },
    { op: "PutObject", key, headers: { ...w.sse } },
    { op: "PutObject", key, headers: { "x-amz-acl": "bucket-owner-read", ...w.sse } },
  ]);
}

/** What other principals may try: read, write (with and without the ACL), delete, list, the policy itself. */
export function otherRequests(keys: string[]): Probe[] {
  const out: Probe[] = [
    { op: "ListObjectsV2", key: "", headers: {} },
    { op: "GetBucketPolicy", key: "", headers: {} },
    { op: "PutBucketPolicy", key: "", headers: {} },
  ];
  for (const key of keys) {
    out.push({ op: "GetObject", key, headers: {} }, { op: "PutObject", key, headers: {} }, { op: "PutObject", key, headers: ACL }, { op: "DeleteObject", key, headers: {} });
  }
  return out;
}

export interface ProbeCaller extends Caller {
  label?: string;
  orgId?: string;
  anonymous?: boolean;
}

const ARN = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):[^*?]+$/;

/** Strings of the policy (principals, condition values) that look like account ids, org ids or ARNs. */
function mentioned(statements: RawStatement[]): { arns: string[]; orgs: string[] } {
  const arns = new Set<string>();
  const orgs = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === "string") {
      if (ARN.test(v)) arns.add(v);
      if (/^o-[a-z0-9]{10,32}$/.test(v)) orgs.add(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  for (const s of statements) walk([s.Principal, s.NotPrincipal, s.Condition]);
  return { arns: [...arns], orgs: [...orgs] };
}

/**
 * Principals other than the provider's role: the bucket owner's account (a user, a role session), another
 * account, another role of the provider's account, an anonymous caller, and every principal the policy names.
 * Each in the organisation the policy names, where it names one, and once outside.
 */
export function otherCallers(statements: RawStatement[], customer: string, roleArn: string): ProbeCaller[] {
  const provider = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(roleArn)?.[1] ?? "461810399597";
  const own = /^\d{12}$/.test(customer) ? customer : "123456789012";
  const { arns, orgs } = mentioned(statements);
  const base: ProbeCaller[] = [
    { label: "a user of your account", arn: `arn:aws:iam::${own}:user/flexcopy-probe`, accountId: own },
    { label: "a role of your account", arn: `arn:aws:sts::${own}:assumed-role/FlexcopyProbe/s`, accountId: own, roleArn: `arn:aws:iam::${own}:role/FlexcopyProbe` },
    { label: "another account's user", arn: "arn:aws:iam::111122223333:user/probe", accountId: "111122223333" },
    { label: "another role of the provider's account", arn: `arn:aws:sts::${provider}:assumed-role/OtherRole/s`, accountId: provider, roleArn: `arn:aws:iam::${provider}:role/OtherRole` },
    { label: "an anonymous caller", arn: "anonymous", accountId: "", anonymous: true },
  ];
  for (const arn of arns) {
    if (arn === roleArn || arn.startsWith(roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/"))) continue;
    const accountId = ARN.exec(arn)![1]!;
    const role = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(arn);
    base.push(role ? { label: arn, arn: `arn:aws:sts::${accountId}:assumed-role/${role[1]}/s`, accountId, roleArn: arn } : { label: arn, arn, accountId });
  }
  return base.flatMap((c) => (c.anonymous ? [c] : [c, ...orgs.map((o) => ({ ...c, label: `${c.label} (in ${o})`, orgId: o }))]));
}

/** The request `who` sends for `p`, as S3 puts it to IAM. */
export function accessRequest(who: ProbeCaller, p: Probe, w: ProbeWorld, secureTransport = true): AccessRequest {
  const rule = S3_ACTIONS[p.op]!;
  const context: RequestContext = s3Context(rule, {
    header: (n) => p.headers[n],
    query: (n) => p.query?.[n],
    callerArn: who.arn,
    principalArn: who.roleArn ?? who.arn,
    callerAccount: who.accountId,
    resourceAccount: w.resourceAccount,
    secureTransport,
    ...(who.orgId ? { principalOrgId: who.orgId } : {}),
    signatureVersion: "AWS4-HMAC-SHA256",
    authType: "REST-HEADER",
    principalType: who.roleArn ? "AssumedRole" : "User",
  });
  if (who.orgId) context["aws:principalorgid"] = who.orgId;
  if (who.anonymous) {
    // An anonymous request carries no principal keys (IAM global condition keys: "available … when the request is signed").
    for (const k of ["aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principaltype", "aws:userid"]) delete context[k];
  }
  return {
    caller: who,
    action: rule.action,
    resource: rule.resource === "bucket" ? s3Arn(w.bucket) : s3Arn(w.bucket, p.key),
    resourceAccount: w.resourceAccount || "bucket-owner",
    context,
  };
}

const ALLOW_ALL = parsePolicy({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } });

/** The bucket policy's decision (the caller's own identity policy assumed to allow; anonymous callers have none). */
export function decide(who: ProbeCaller, p: Probe, policy: Policy, w: ProbeWorld, secureTransport = true): Decision {
  const identity = who.anonymous ? [] : [{ name: "the caller's identity policy", policy: ALLOW_ALL }];
  return evaluate(accessRequest(who, p, w, secureTransport), { identity, resource: { name: "the bucket policy", policy } });
}

/** One statement as a one-statement Deny policy: it "denies" exactly the requests the statement applies to. */
export function asProbe(statement: RawStatement): Policy {
  return parsePolicy({ Statement: [{ ...statement, Effect: "Deny" }] });
}

/** Whether the statement (from asProbe) applies to the request: its principal, action, resource and conditions all match. */
export function applies(probe: Policy, who: ProbeCaller, p: Probe, w: ProbeWorld, secureTransport = true): boolean {
  return evaluate(accessRequest(who, p, w, secureTransport), { identity: [], resource: { name: "s", policy: probe } }).deny !== undefined;
}
