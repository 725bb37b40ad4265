/**
 * `flexcopy doctor` reads your bucket policy and Object Ownership (with your own credentials: the bucket owner
 * may call GetBucketPolicy and GetBucketOwnershipControls) and decides offline, with the same evaluator and
 * action table as the emulator (src/iam/), what the provider's role will be allowed on your bucket: for one key
 * of every prefix you will copy (doctor-prefixes.ts), with the request context flexcopy's requests carry
 * (doctor-request.ts). Its advice never replaces a policy you have (doctor-advice.ts).
 * The role's own identity policy is the provider's and cannot be read: it is assumed to allow what it needs.
 */
import { GetBucketOwnershipControlsCommand, GetBucketPolicyCommand, type S3Client } from "@aws-sdk/client-s3";
import { isAuthFailure } from "../aws/classify.js";
import { parsePolicy, type Policy, type Statement } from "../iam/document.js";
import { DEFAULT_SOURCE_BUCKET } from "../config/schema.js";
import { OWNER_FULL_CONTROL } from "../iam/manual.js";
import { errorCode, errorText, fail, pass, skip, warn, type CheckOutcome, type Step } from "./doctor.js";
import type { DoctorContext } from "./doctor-checks.js";
import { APPLY_NEW, MERGE, MERGE_MULTIPART, refusalFix } from "./doctor-advice.js";
import { prefixList, probeAll, probesFor, statementLabel } from "./doctor-prefixes.js";
import { requestEnv, roleCaller, SAMPLE_PROBES, sseHeaders, type PolicyFacts, type Probe, type RawStatement, type RequestEnv } from "./doctor-request.js";

export { decideFor, roleCaller, sseHeaders, undecidableKeys, type PolicyFacts } from "./doctor-request.js";

/** What GetBucketPolicy said, with your own credentials. */
export type PolicyRead =
  | { state: "absent" }
  | { state: "refused"; error: unknown }
  | { state: "failed"; error: unknown }
  | { state: "malformed"; message: string }
  | { state: "read"; policy: Policy; raw: RawStatement[] };

/** The policy read and parsed once, keeping the statements as written beside the parsed ones. */
export async function fetchPolicy(s3: S3Client, bucket: string): Promise<PolicyRead> {
  let text: string | undefined;
  try {
    text = (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (err) {
    if (errorCode(err) === "NoSuchBucketPolicy") return { state: "absent" };
    if (isAuthFailure(err) || errorCode(err) === "MethodNotAllowed") return { state: "refused", error: err };
    return { state: "failed", error: err };
  }
  try {
    const policy = parsePolicy(text ?? "");
    const doc = JSON.parse(text ?? "") as { Statement: RawStatement | RawStatement[] };
    return { state: "read", policy, raw: Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement] };
  } catch (err) {
    return { state: "malformed", message: (err as Error).message };
  }
}

/** Your bucket's policy, read once per doctor run ("destination access" and "bucket policy" both need it). */
export const readBucketPolicy = (ctx: DoctorContext): Promise<PolicyRead> => (ctx.policyRead ??= fetchPolicy(ctx.baseS3, ctx.config!.destBucket!));

/** The facts of a read policy for this run's configuration and identity. */
export async function factsOf(ctx: DoctorContext, read: Extract<PolicyRead, { state: "read" }>, probes: Probe[], ownership?: string): Promise<PolicyFacts> {
  const c = ctx.config!;
  // GetBucketPolicy answers only principals of the bucket owner's account (405 otherwise): yours is the owner's.
  const owner = await ctx.identity?.then((id) => id.Account, () => undefined);
  return {
    bucket: c.destBucket!,
    sourceBucket: c.sourceBucket,
    policy: read.policy,
    raw: read.raw,
    ownership,
    caller: roleCaller(c.roleArn ?? "", c.sessionName),
    ownerAccount: owner ?? c.accountId,
    env: requestEnv(c.endpointUrl, c.region),
    probes,
    sse: sseHeaders(c),
    shown: (ctx.exemptionsShown ??= new Set()),
  };
}

/**
 * Why GetBucketPolicy was refused, as far as doctor can tell. S3 answers only the bucket owner's account (405),
 * and only principals its IAM policy allows, unless a Deny of the bucket policy itself refuses them; the root user
 * of the owner's account may always read it ("the root principal of the bucket owner's account can perform the
 * GetBucketPolicy, PutBucketPolicy and DeleteBucketPolicy operations, even if their bucket policy explicitly
 * denies the root principal's access": S3 API Reference, GetBucketPolicy).
 */
export function refusedText(err: unknown, bucket: string, env: RequestEnv): { detail: string; fix: string } {
  if (errorCode(err) === "MethodNotAllowed") {
    return { detail: `${errorText(err)}: your credentials cannot read the bucket policy of s3://${bucket}: they are not of the bucket owner's account`, fix: "run flexcopy doctor with credentials of the account that owns the bucket (--profile) to check what the role may do" };
  }
  const byDeny = /explicit deny in a resource-based policy/i.test(String((err as { message?: unknown }).message ?? ""));
  // Over plain HTTP a TLS-only statement (AWS Config's s3-bucket-ssl-requests-only) refuses your own requests too.
  const http = env.secure ? "" : `; or, as flexcopy reaches S3 over plain HTTP (${env.endpoint}), a TLS-only statement (Deny if aws:SecureTransport is false), which refuses that to everyone`;
  const why = byDeny ? "a Deny in the bucket policy itself refuses them" : "your IAM policy does not allow s3:GetBucketPolicy, or a Deny in the bucket policy itself refuses it";
  return {
    detail: `${errorText(err)}: your credentials cannot read the bucket policy of s3://${bucket} (${why}${http}); whether the bucket has a policy, and what it lets the role do, is not known`,
    fix: `${env.secure ? "" : "use an https:// endpoint (--endpoint-url) if your policy requires HTTPS; else "}run flexcopy doctor with credentials of the bucket owner's account that may call s3:GetBucketPolicy (--profile; the account's root user always may) to check what the role may do`,
  };
}

/** An Allow statement naming the role: by its ARN, the session ARN flexcopy's AssumeRole opens, its account, or "*". */
function namesRole(s: Statement, f: PolicyFacts): boolean {
  if (s.effect !== "Allow") return false;
  const names = [f.caller.roleArn, f.caller.arn, f.caller.accountId, `arn:aws:iam::${f.caller.accountId}:root`];
  if (s.principals !== undefined) return s.principals === "*" || s.principals.some((p) => names.includes(p));
  if (s.notPrincipals !== undefined) return s.notPrincipals !== "*" && !s.notPrincipals.some((p) => names.includes(p));
  return false;
}

export const bucketPolicyCheck: Step<DoctorContext> = {
  name: "bucket policy",
  needs: ["destination bucket"],
  run: async (ctx) => {
    const c = ctx.config!;
    const bucket = c.destBucket!;
    const read = await readBucketPolicy(ctx);
    if (read.state === "absent") return fail(`s3://${bucket} has no bucket policy: the provider's role can do nothing there`, APPLY_NEW(bucket));
    if (read.state === "refused") {
      const t = refusedText(read.error, bucket, requestEnv(c.endpointUrl, c.region));
      return warn(t.detail, t.fix);
    }
    if (read.state === "failed") return warn(`${errorText(read.error)}: the bucket policy could not be read`, "run flexcopy doctor again");
    // S3 accepted it, so it is a policy: doctor's grammar is the narrower one. Nothing of it is to be replaced.
    if (read.state === "malformed") return warn(`the bucket policy of s3://${bucket} could not be evaluated here (${read.message}): what it lets the role do is not checked`, "run flexcopy doctor --write-test (one real copy) from the machine that will run fetch");
    let ownership: string | undefined;
    try {
      const out = await ctx.baseS3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }));
      ownership = out.OwnershipControls?.Rules?.[0]?.ObjectOwnership;
    } catch (err) {
      // A bucket whose setting was never written has ACLs enabled (ObjectWriter).
      if (errorCode(err) === "OwnershipControlsNotFoundError") ownership = "ObjectWriter";
    }
    const f = await factsOf(ctx, read, await probesFor(ctx), ownership);
    ctx.policyFacts = f;
    if (!f.policy.statements.some((s) => namesRole(s, f))) {
      return fail(`the bucket policy of s3://${bucket} allows nothing to the provider's role ${c.roleArn} (nor its session ${f.caller.arn})`, `do not replace it: ${MERGE}`);
    }
    const scheme = f.env.secure ? "HTTPS" : "plain HTTP";
    return pass(
      `${f.policy.statements.length} statement(s); Object Ownership ${ownership ?? "unknown (not readable)"}; decided for ${f.caller.arn} (account ${f.caller.accountId}) into account ${f.ownerAccount ?? "unknown"} over ${scheme}, on one key of ${prefixList(f.probes)}`,
    );
  },
};

function decisionStep(name: string, run: (f: PolicyFacts) => CheckOutcome): Step<DoctorContext> {
  return {
    name,
    needs: ["bucket policy"],
    run: async (ctx) => {
      const f = ctx.policyFacts;
      return f ? run(f) : skip("skipped: the bucket policy could not be read");
    },
  };
}

/** A line doctor cannot decide offline: the refusal hangs on where or how the real requests are made. */
const undecided = (what: string, keys: string[], where: string): CheckOutcome =>
  warn(
    `the role may ${what}${where} only if your bucket policy's conditions on ${keys.join(", ")} hold for the real requests, which doctor cannot know offline`,
    "run flexcopy doctor --write-test from the machine that will run fetch (it makes one real copy)",
  );

interface LineOptions {
  headers?: Record<string, string>;
  /** The fix where no statement allows it. */
  noAllow: string;
  /** A refusal is a failure, or (multipart: flexcopy copies up to 5 GiB without it) a warning. */
  level: "fail" | "warn";
  /** What a refusal means, appended to the detail. */
  meaning?: string;
  probes?: Probe[];
}

/** `op` on every probe: allowed, undecided, or refused, each group of refused prefixes with its statement and fix. */
function decisionLine(f: PolicyFacts, op: string, what: string, o: LineOptions): CheckOutcome {
  const headers = o.headers ?? {};
  const probes = o.probes ?? f.probes;
  const r = probeAll(f, op, headers, probes);
  const scope = probes.length > 1 ? ` (one key of each of ${prefixList(probes)})` : "";
  if (r.refused.length === 0) {
    if (r.undecided.probes.length === 0) return pass(`the role may ${what}${scope}`);
    return undecided(what, r.undecided.keys, r.undecided.probes.length < probes.length ? ` under ${prefixList(r.undecided.probes)}` : "");
  }
  const refused = r.refused.flatMap((g) => g.probes);
  const partial = refused.length < probes.length;
  const bucketLevel = probes.length === 1 && probes[0]!.key === "";
  const cause = (g: (typeof r.refused)[number]): string =>
    g.index !== undefined ? `refused by your bucket policy's ${statementLabel(f, g.index)}` : g.decision.reason.replace(/ on arn:aws:s3:::\S+/, "");
  const causes = r.refused.map((g) => (r.refused.length > 1 ? `${prefixList(g.probes)}: ${cause(g)}` : cause(g)));
  const where = bucketLevel ? "" : partial ? ` under ${prefixList(refused)} (${refused.length} of ${probes.length} prefixes; allowed under ${prefixList(r.allowed) || "none"})` : ` under any prefix (${prefixList(probes)})`;
  const fixes = [...new Set(r.refused.map((g) => refusalFix(f, op, g, headers, o.noAllow, partial)))];
  const detail = `the role may not ${what}${where}: ${causes.join("; ")}${o.meaning ? `: ${o.meaning}` : ""}`;
  return o.level === "fail" ? fail(detail, fixes.join("; and ")) : warn(detail, fixes.join("; and "));
}

const ACL = { "x-amz-acl": OWNER_FULL_CONTROL };
const BUCKET: Probe[] = [{ prefix: "", key: "" }];
const OVER_5_GIB = "objects over 5 GiB cannot be copied (everything up to 5 GiB is, with CopyObject)";
const MULTIPART_FIX = `only if you need objects over 5 GiB: ${MERGE_MULTIPART} (--allow-multipart adds the multipart statement; it needs Object Ownership BucketOwnerEnforced)`;

/** ACLs a write of the role could carry other than the manual's: none, or a canned ACL that leaves the object the writer's. */
const OTHER_ACLS: (string | undefined)[] = [undefined, "bucket-owner-read", "private", "public-read", "authenticated-read", "aws-exec-read"];

const multipart = (name: string, op: string, what: string, headers?: (f: PolicyFacts) => Record<string, string>): Step<DoctorContext> =>
  decisionStep(name, (f) => decisionLine(f, op, what, { headers: headers?.(f) ?? {}, noAllow: MULTIPART_FIX, level: "warn", meaning: OVER_5_GIB }));

export const POLICY_STEPS: Step<DoctorContext>[] = [
  bucketPolicyCheck,
  decisionStep("policy list", (f) => decisionLine(f, "ListObjectsV2", "list your bucket (s3:ListBucket)", { noAllow: `do not replace your policy: ${MERGE}`, level: "fail", probes: BUCKET })),
  decisionStep("policy copy with ACL", (f) =>
    decisionLine(f, "CopyObject", `copy into your bucket with x-amz-acl ${OWNER_FULL_CONTROL}`, { headers: { ...ACL, ...f.sse }, noAllow: `do not replace your policy: ${MERGE}`, level: "fail" }),
  ),
  decisionStep("policy copy without ACL", (f) => {
    // The line's point: the role cannot write an object you would not own. flexcopy always sends
    // bucket-owner-full-control; any other ACL (or none) leaves the object the writer's unless BucketOwnerEnforced.
    for (const acl of OTHER_ACLS) {
      const headers = { ...(acl ? { "x-amz-acl": acl } : {}), ...f.sse };
      const ok = probeAll(f, "CopyObject", headers).allowed[0];
      if (!ok) continue;
      const how = acl ? `with x-amz-acl ${acl}` : `without ${OWNER_FULL_CONTROL}`;
      if (f.ownership === "BucketOwnerEnforced") return pass(`writes ${how} are allowed, and harmless: Object Ownership BucketOwnerEnforced makes every object yours (and S3 refuses other ACLs)`);
      return fail(
        `the role may write ${how} (under ${ok.prefix}), and with Object Ownership ${f.ownership ?? "unknown"} such objects would belong to the provider's account`,
        "set Object Ownership to BucketOwnerEnforced: aws s3api put-bucket-ownership-controls --bucket " + f.bucket + " --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'",
      );
    }
    return pass(`refused, as it must be: writes without ${OWNER_FULL_CONTROL} (none, or ${OTHER_ACLS.filter(Boolean).join(", ")}) would leave objects you do not own`);
  }),
  multipart("policy multipart create", "CreateMultipartUpload", "start multipart copies (with the ACL)", (f) => ({ ...ACL, ...f.sse })),
  multipart("policy multipart part", "UploadPartCopy", "copy parts (UploadPartCopy carries no x-amz-acl)"),
  multipart("policy multipart complete", "CompleteMultipartUpload", "complete multipart copies"),
  multipart("policy multipart abort", "AbortMultipartUpload", "abort its multipart uploads"),
  multipart("policy multipart list parts", "ListParts", "list the parts of its uploads (resume)"),
];

/**
 * Before a fetch: what the bucket policy lets the role do with parts, read with the bucket owner's
 * credentials and evaluated offline. "allowed" when UploadPartCopy and CompleteMultipartUpload are allowed on
 * every sample key, "unlikely" when not, "unknown" when the policy cannot be read (then the run's first
 * multipart attempt tells), "unreadable" when your credentials are refused it — then they are most likely
 * the manual's minimal IAM user (sts:AssumeRole only), which cannot abort an upload either.
 */
export async function multipartPermission(
  owner: S3Client,
  bucket: string,
  roleArn: string,
  sessionName?: string,
  request: { endpointUrl?: string; region?: string; ownerAccount?: string; sourceBucket?: string; probes?: Probe[]; sse?: Record<string, string> } = {},
): Promise<{ permission: "allowed" | "unlikely" | "unknown" | "unreadable"; reason?: string; explain?: (key: string) => string | undefined }> {
  const read = await fetchPolicy(owner, bucket);
  if (read.state === "refused") return { permission: "unreadable" };
  if (read.state === "absent") return { permission: "unknown", explain: () => `s3://${bucket} has no bucket policy, so the provider's role may write nothing there: ${APPLY_NEW(bucket)}` };
  if (read.state !== "read") return { permission: "unknown" };
  const f: PolicyFacts = {
    bucket,
    sourceBucket: request.sourceBucket ?? DEFAULT_SOURCE_BUCKET,
    policy: read.policy,
    raw: read.raw,
    ownership: undefined,
    caller: roleCaller(roleArn, sessionName),
    ownerAccount: request.ownerAccount,
    env: requestEnv(request.endpointUrl, request.region ?? "ap-northeast-1"),
    probes: request.probes ?? SAMPLE_PROBES,
    sse: request.sse,
  };
  const explain = (key: string) => explainCopyRefusal(f, key);
  for (const op of ["UploadPartCopy", "CompleteMultipartUpload"]) {
    const r = probeAll(f, op);
    // Refused only for want of facts the real request has (its source address, …): the first probe will tell.
    if (r.refused.length === 0 && r.undecided.probes.length > 0) return { permission: "unknown", explain };
    if (r.refused.length > 0) return { permission: "unlikely", reason: r.refused[0]!.decision.reason, explain };
  }
  return { permission: "allowed", explain };
}

/**
 * Why the role's CopyObject of `key` (with the ACL and the run's encryption headers) was refused, as the policy
 * read before the run decides it offline: the statement that refuses it and the smallest fix doctor would print
 * (doctor-advice.ts: never "replace your policy"). Undefined where the policy allows it offline: the refusal then
 * comes from something the policy does not hold (a condition only the real request has, a KMS key policy, …).
 */
export function explainCopyRefusal(f: PolicyFacts, key: string): string | undefined {
  const headers = { ...ACL, ...f.sse };
  const probe = { prefix: key.replace(/[^/]*$/, ""), key };
  const r = probeAll(f, "CopyObject", headers, [probe]);
  const g = r.refused[0];
  if (!g) return undefined;
  const what = g.index === undefined ? "no statement of your bucket policy allows the provider's role to copy there" : `your bucket policy's ${statementLabel(f, g.index)} refuses it`;
  return `${what}: ${refusalFix(f, "CopyObject", g, headers, `do not replace your policy: ${MERGE}`, true)}`;
}
