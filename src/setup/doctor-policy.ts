/**
 * `flexcopy doctor` reads your bucket policy and Object Ownership (with your own credentials: the bucket owner
 * may call GetBucketPolicy and GetBucketOwnershipControls) and decides offline, with the same evaluator and
 * action table as the emulator (src/iam/), what the provider's role will be allowed on your bucket.
 * The role's own identity policy is the provider's and cannot be read: it is assumed to allow what it needs.
 */
import { GetBucketOwnershipControlsCommand, GetBucketPolicyCommand, type S3Client } from "@aws-sdk/client-s3";
import { isAuthFailure } from "../aws/classify.js";
import { parsePolicy, type Policy } from "../iam/document.js";
import { conditionKeysFor, evaluate, type AccessRequest, type Caller, type Decision } from "../iam/evaluate.js";
import { OWNER_FULL_CONTROL } from "../iam/manual.js";
import { s3Arn, s3Context, S3_ACTIONS } from "../iam/s3-actions.js";
import { STORAGE_CLASSES } from "../config/schema.js";
import { errorCode, errorText, fail, pass, skip, warn, type CheckOutcome, type Step } from "./doctor.js";
import type { DoctorContext } from "./doctor-checks.js";

export interface PolicyFacts {
  bucket: string;
  policy: Policy;
  /** undefined: could not be read. */
  ownership: string | undefined;
  caller: Caller;
  /** The encryption headers flexcopy's writes carry (`--sse`, `--sse-kms-key-id`); none by default. */
  sse?: Record<string, string>;
}

/** The request headers `--sse` / `--sse-kms-key-id` / `--storage-class` add to CopyObject and CreateMultipartUpload. */
export function sseHeaders(w: { sse?: string; sseKmsKeyId?: string; storageClass?: string }): Record<string, string> {
  return {
    ...(w.sse ? { "x-amz-server-side-encryption": w.sse } : {}),
    ...(w.sseKmsKeyId ? { "x-amz-server-side-encryption-aws-kms-key-id": w.sseKmsKeyId } : {}),
    ...(w.storageClass ? { "x-amz-storage-class": w.storageClass } : {}),
  };
}

/** Keys of every kind flexcopy writes: a day's data, sample data, connection specifications. */
export const SAMPLE_KEYS = ["2024/01/04/20240104_1_001.pcap.gz", "testdata/2021/05/27/20210527_1_001.pcap.gz", "ConnectionSpec/Standard/version 17.4/Japanese/spec.pdf"];

/** The role as the bucket policy sees it (a session of the role, in the provider's account). */
export function roleCaller(roleArn: string, sessionName = "flexcopy"): Caller {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  const account = m?.[1] ?? "";
  return { arn: `arn:aws:sts::${account}:assumed-role/${m?.[2] ?? ""}/${sessionName}`, accountId: account, roleArn };
}

const ALLOW_ALL = parsePolicy({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } });

/** The request doctor decides offline for the role doing `op` on `key` with these headers. */
function roleRequest(f: PolicyFacts, op: string, key: string, headers: Record<string, string>): AccessRequest {
  const rule = S3_ACTIONS[op]!;
  const account = /^\d{12}$/.test(f.caller.accountId) ? f.caller.accountId : "";
  const resourceAccount = "bucket-owner"; // never equal to the provider's account: the request is cross-account
  return {
    caller: f.caller,
    action: rule.action,
    resource: rule.resource === "bucket" ? s3Arn(f.bucket) : s3Arn(f.bucket, key),
    resourceAccount,
    context: s3Context(rule, { header: (n) => headers[n], callerArn: f.caller.arn, principalArn: f.caller.roleArn ?? f.caller.arn, callerAccount: account, resourceAccount, secureTransport: true }),
  };
}

/** Would the role be allowed `op` on `key`, with these request headers? */
export function decideFor(f: PolicyFacts, op: string, key: string, headers: Record<string, string> = {}): Decision {
  return evaluate(roleRequest(f, op, key, headers), { identity: [{ name: "the provider's role policy", policy: ALLOW_ALL }], resource: { name: "your bucket policy", policy: f.policy } });
}

/**
 * Condition keys whose value only a real request has: where the request comes from (aws:SourceIp, VPC and VPC
 * endpoint), how it is signed and sent (s3:TlsVersion, s3:signatureversion, s3:authType, s3:signatureAge), when
 * (aws:CurrentTime, aws:EpochTime), and the provider's side of the role session (aws:userid, its tags).
 */
const ONLY_AT_REQUEST_TIME = ["aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip", "s3:tlsversion", "s3:signatureversion", "s3:authtype", "s3:signatureage", "aws:currenttime", "aws:epochtime", "aws:userid", "aws:principaltag/", "aws:sourceidentity"];

const atRequestTime = (k: string): boolean => ONLY_AT_REQUEST_TIME.some((p) => (p.endsWith("/") ? k.startsWith(p) : k === p.toLowerCase()));

/**
 * Where a refusal could turn into an allowance with facts only the real request has: the keys of
 * ONLY_AT_REQUEST_TIME that decide it. The request is decided again as if every such condition went the
 * role's way (a Deny that tests one does not hit, an Allow's test of one holds); if that allows it, those keys
 * are returned, else none (the refusal stands whatever they are).
 */
export function undecidableKeys(f: PolicyFacts, op: string, key: string, headers: Record<string, string> = {}): string[] {
  const v = optimistic(f, op, key, headers);
  return v?.allowed ? v.keys : [];
}

/** The decision if every condition on an ONLY_AT_REQUEST_TIME key went the role's way; undefined when none is tested. */
function optimistic(f: PolicyFacts, op: string, key: string, headers: Record<string, string>): (Decision & { keys: string[] }) | undefined {
  const r = roleRequest(f, op, key, headers);
  const keys = conditionKeysFor(r, f.policy, true).filter(atRequestTime);
  if (keys.length === 0) return undefined;
  const statements = f.policy.statements.flatMap((st) => {
    const tested = Object.values(st.conditions).some((block) => Object.keys(block).some((k) => atRequestTime(k.toLowerCase())));
    if (!tested) return [st];
    if (st.effect === "Deny") return [];
    const conditions = Object.fromEntries(
      Object.entries(st.conditions)
        .map(([op2, block]) => [op2, Object.fromEntries(Object.entries(block).filter(([k]) => !atRequestTime(k.toLowerCase())))] as const)
        .filter(([, block]) => Object.keys(block).length > 0),
    );
    return [{ ...st, conditions }];
  });
  const best = evaluate(r, { identity: [{ name: "the provider's role policy", policy: ALLOW_ALL }], resource: { name: "your bucket policy", policy: { statements } } });
  return { ...best, keys };
}

/** The first sample key the role is denied `op` on, with the reason; undefined when all are allowed. */
function deniedOn(f: PolicyFacts, op: string, headers: Record<string, string> = {}): { key: string; reason: string } | undefined {
  for (const key of SAMPLE_KEYS) {
    const d = decideFor(f, op, key, headers);
    if (!d.allowed) return { key, reason: d.reason };
  }
  return undefined;
}

const ACL = { "x-amz-acl": OWNER_FULL_CONTROL };
const MULTIPART_FIX = "apply what `flexcopy policy --allow-multipart` prints; until then flexcopy copies with CopyObject and cannot copy objects over 5 GiB";
const REAPPLY = (bucket: string) => `re-apply the manual's policy: flexcopy policy --bucket-policy > bucket-policy.json && aws s3api put-bucket-policy --bucket ${bucket} --policy file://bucket-policy.json`;

const facts = (ctx: DoctorContext): PolicyFacts | undefined => ctx.policyFacts;

export const bucketPolicyCheck: Step<DoctorContext> = {
  name: "bucket policy",
  needs: ["destination bucket"],
  run: async (ctx) => {
    const c = ctx.config!;
    const bucket = c.destBucket!;
    const roleArn = c.roleArn ?? "";
    let text: string | undefined;
    try {
      text = (await ctx.baseS3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
    } catch (err) {
      if (errorCode(err) === "NoSuchBucketPolicy") return fail(`s3://${bucket} has no bucket policy: the provider's role can do nothing there`, REAPPLY(bucket));
      if (isAuthFailure(err) || errorCode(err) === "MethodNotAllowed") {
        return warn(`${errorText(err)}: your credentials cannot read the bucket policy of s3://${bucket}`, "run flexcopy doctor with the bucket owner's credentials (or allow them s3:GetBucketPolicy) to check what the role may do");
      }
      return warn(`${errorText(err)}: the bucket policy could not be read`, "run flexcopy doctor again");
    }
    let policy: Policy;
    try {
      policy = parsePolicy(text ?? "");
    } catch (err) {
      return fail(`the bucket policy of s3://${bucket} cannot be read as a policy: ${(err as Error).message}`, REAPPLY(bucket));
    }
    let ownership: string | undefined;
    try {
      const out = await ctx.baseS3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }));
      ownership = out.OwnershipControls?.Rules?.[0]?.ObjectOwnership;
    } catch (err) {
      // A bucket whose setting was never written has ACLs enabled (ObjectWriter).
      if (errorCode(err) === "OwnershipControlsNotFoundError") ownership = "ObjectWriter";
    }
    const caller = roleCaller(roleArn, c.sessionName);
    ctx.policyFacts = { bucket, policy, ownership, caller, sse: sseHeaders(c) };
    const mentions = policy.statements.some((s) => s.effect === "Allow" && s.principals !== undefined && (s.principals === "*" || s.principals.includes(roleArn) || s.principals.includes(caller.accountId) || s.principals.includes(`arn:aws:iam::${caller.accountId}:root`)));
    if (!mentions) return fail(`the bucket policy of s3://${bucket} allows nothing to the provider's role ${roleArn}`, REAPPLY(bucket));
    return pass(`${policy.statements.length} statement(s); Object Ownership ${ownership ?? "unknown (not readable)"}`);
  },
};

function decisionStep(name: string, run: (f: PolicyFacts) => CheckOutcome): Step<DoctorContext> {
  return {
    name,
    needs: ["bucket policy"],
    run: async (ctx) => {
      const f = facts(ctx);
      return f ? run(f) : skip("skipped: the bucket policy could not be read");
    },
  };
}

/** A line doctor cannot decide offline: the refusal hangs on where or how the real requests are made. */
const undecided = (what: string, keys: string[]): CheckOutcome =>
  warn(
    `the role may ${what} only if your bucket policy's conditions on ${keys.join(", ")} hold for the real requests, which doctor cannot know offline`,
    "run flexcopy doctor --write-test from the machine that will run fetch (it makes one real copy)",
  );

const allowedLine = (f: PolicyFacts, op: string, what: string, fix: string, headers: Record<string, string> = {}): CheckOutcome => {
  const d = deniedOn(f, op, headers);
  if (!d) return pass(`the role may ${what}`);
  // A refusal that hangs on where or how the request is made (an IP range, a VPC endpoint) is not doctor's to call.
  const best = optimistic(f, op, d.key, headers);
  if (best?.allowed) return undecided(what, best.keys);
  // Refused whatever those conditions say: name what refuses it then (not a Deny that only might apply).
  if (best) d.reason = best.reason;
  // The key is named only when the refusal depends on it (a Deny on some prefix), not when every key is refused.
  const everyKey = SAMPLE_KEYS.every((k) => !decideFor(f, op, k, headers).allowed);
  const reason = d.reason.replace(/ on arn:aws:s3:::\S+/, "");
  return fail(`the role may not ${what}: ${everyKey ? reason : `${d.key}: ${reason}`}`, fix);
};

/** Where copies with the ACL are refused as they are: the `--sse` value that would make them allowed, if any. */
function encryptionThatWorks(f: PolicyFacts): "AES256" | "aws:kms" | undefined {
  for (const sse of ["AES256", "aws:kms"] as const) {
    if (!deniedOn(f, "CopyObject", { ...ACL, "x-amz-server-side-encryption": sse })) return sse;
  }
  return undefined;
}

/** Where copies are refused as they are: the `--storage-class` that would make them allowed (a policy requiring one), if any. */
function storageClassThatWorks(f: PolicyFacts): string | undefined {
  return STORAGE_CLASSES.find((sc) => !deniedOn(f, "CopyObject", { ...ACL, ...f.sse, "x-amz-storage-class": sc }));
}

export const POLICY_STEPS: Step<DoctorContext>[] = [
  bucketPolicyCheck,
  decisionStep("policy list", (f) => {
    const d = decideFor(f, "ListObjectsV2", "");
    if (d.allowed) return pass("the role may list your bucket (s3:ListBucket)");
    const unknown = undecidableKeys(f, "ListObjectsV2", "");
    if (unknown.length > 0) return undecided("list your bucket", unknown);
    return fail(`the role may not list your bucket (${d.reason})`, REAPPLY(f.bucket));
  }),
  decisionStep("policy copy with ACL", (f) => {
    const line = allowedLine(f, "CopyObject", `copy into your bucket with x-amz-acl ${OWNER_FULL_CONTROL}`, REAPPLY(f.bucket), { ...ACL, ...f.sse });
    const sse = line.status === "fail" ? encryptionThatWorks(f) : undefined;
    if (sse) return { ...line, fix: `your bucket policy requires a server-side encryption header: add --sse ${sse} (or FLEXCOPY_SSE=${sse}, or "sse": "${sse}" in the config file)` };
    const sc = line.status === "fail" ? storageClassThatWorks(f) : undefined;
    return sc ? { ...line, fix: `your bucket policy requires a storage class: add --storage-class ${sc} (or FLEXCOPY_STORAGE_CLASS=${sc}, or "storageClass": "${sc}" in the config file)` } : line;
  }),
  decisionStep("policy copy without ACL", (f) => {
    const d = SAMPLE_KEYS.map((k) => decideFor(f, "CopyObject", k, f.sse)).find((x) => x.allowed);
    if (!d) return pass("refused, as it must be: objects written without the ACL would not be yours");
    if (f.ownership === "BucketOwnerEnforced") return pass("allowed, and harmless: Object Ownership BucketOwnerEnforced makes every object yours");
    return fail(
      `the role may write without ${OWNER_FULL_CONTROL} (${d.reason}), and with Object Ownership ${f.ownership ?? "unknown"} such objects would belong to the provider's account`,
      "set Object Ownership to BucketOwnerEnforced first: aws s3api put-bucket-ownership-controls --bucket " + f.bucket + " --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'",
    );
  }),
  decisionStep("policy multipart create", (f) => allowedLine(f, "CreateMultipartUpload", "start multipart copies (with the ACL)", MULTIPART_FIX, { ...ACL, ...f.sse })),
  decisionStep("policy multipart part", (f) => allowedLine(f, "UploadPartCopy", "copy parts (UploadPartCopy carries no x-amz-acl)", MULTIPART_FIX)),
  decisionStep("policy multipart complete", (f) => allowedLine(f, "CompleteMultipartUpload", "complete multipart copies", MULTIPART_FIX)),
  decisionStep("policy multipart abort", (f) => allowedLine(f, "AbortMultipartUpload", "abort its multipart uploads", MULTIPART_FIX)),
  decisionStep("policy multipart list parts", (f) => allowedLine(f, "ListParts", "list the parts of its uploads (resume)", MULTIPART_FIX)),
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
): Promise<{ permission: "allowed" | "unlikely" | "unknown" | "unreadable"; reason?: string }> {
  let policy: Policy;
  try {
    policy = parsePolicy((await owner.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? "");
  } catch (err) {
    return { permission: isAuthFailure(err) ? "unreadable" : "unknown" };
  }
  const f: PolicyFacts = { bucket, policy, ownership: undefined, caller: roleCaller(roleArn, sessionName) };
  const denied = deniedOn(f, "UploadPartCopy") ?? deniedOn(f, "CompleteMultipartUpload");
  if (!denied) return { permission: "allowed" };
  // Denied only for want of facts the real request has (its source address, …): the first probe will tell.
  if (undecidableKeys(f, "UploadPartCopy", denied.key).length > 0 || undecidableKeys(f, "CompleteMultipartUpload", denied.key).length > 0) return { permission: "unknown" };
  return { permission: "unlikely", reason: denied.reason };
}
