/**
 * The requests doctor decides offline: the provider's role doing one S3 operation on your bucket, with the
 * request context a real request of flexcopy's carries (IAM User Guide, "AWS global condition context keys";
 * Service Authorization Reference for Amazon S3), filled from what doctor knows: the real account ids (the
 * role's, from its ARN; the bucket owner's, the account whose credentials read the policy), the endpoint's
 * scheme (aws:SecureTransport), the region the request is signed for, SigV4 in an Authorization header, the
 * time, and the copy source. Keys only a real request has (its source address, VPC endpoint, the role's
 * unique id) are left out and tested "optimistically" (undecidableKeys): a refusal that hangs on them is a
 * warning, not a failure.
 */
import { parsePolicy, type Policy } from "../iam/document.js";
import { conditionKeysFor, evaluate, type AccessRequest, type Caller, type Decision } from "../iam/evaluate.js";
import { s3Arn, s3Context, S3_ACTIONS } from "../iam/s3-actions.js";

/** A statement as written in the bucket policy (JSON). */
export type RawStatement = Record<string, unknown>;

/** One key of a prefix the user will copy: what doctor decides the role's requests on. */
export interface Probe {
  /** "2021/", "2021/05/31/", "testdata/", "ConnectionSpec/". */
  prefix: string;
  key: string;
}

/** How flexcopy's requests reach S3: the facts of their request context that do not depend on the operation. */
export interface RequestEnv {
  /** https endpoint: aws:SecureTransport true. */
  secure: boolean;
  /** The endpoint as configured (for messages), or the AWS one. */
  endpoint: string;
  /** aws:RequestedRegion: the region flexcopy signs for. */
  region: string;
  now: Date;
}

export interface PolicyFacts {
  bucket: string;
  sourceBucket: string;
  policy: Policy;
  /** The policy's statements as written, by index (Decision.deny.index): what an exemption is added to. */
  raw: RawStatement[];
  /** undefined: could not be read. */
  ownership: string | undefined;
  caller: Caller;
  /** The bucket owner's account (aws:ResourceAccount, s3:ResourceAccount); undefined when not known. */
  ownerAccount: string | undefined;
  env: RequestEnv;
  /** One key of every prefix the user will copy. */
  probes: Probe[];
  /** Deny statements whose exemption a fix has printed already (by index): later fixes point to it. */
  shown?: Set<number>;
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

/** The request environment of an endpoint URL (none: the AWS endpoint of the region, HTTPS). */
export function requestEnv(endpointUrl: string | undefined, region: string, now = new Date()): RequestEnv {
  const endpoint = endpointUrl ?? `https://s3.${region}.amazonaws.com`;
  return { secure: !/^http:/i.test(endpoint), endpoint, region, now };
}

/** Keys of every kind flexcopy writes, for when the source cannot be listed: a day's data, sample data, connection specifications. */
export const SAMPLE_PROBES: Probe[] = [
  { prefix: "2024/", key: "2024/01/04/20240104_1_001.pcap.gz" },
  { prefix: "testdata/", key: "testdata/2021/05/27/20210527_1_001.pcap.gz" },
  { prefix: "ConnectionSpec/", key: "ConnectionSpec/Standard/version 17.4/Japanese/spec.pdf" },
];

/** AssumeRole's session name flexcopy uses unless --session-name says otherwise (config/schema.ts). */
export const DEFAULT_SESSION_NAME = "flexcopy";

/** The role as the bucket policy sees it: the session flexcopy opens (AssumeRole's RoleSessionName), in the provider's account. */
export function roleCaller(roleArn: string, sessionName = DEFAULT_SESSION_NAME): Caller {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  const account = m?.[1] ?? "";
  return { arn: `arn:aws:sts::${account}:assumed-role/${m?.[2] ?? ""}/${sessionName}`, accountId: account, roleArn };
}

/** SHA-256 of an empty payload, the x-amz-content-sha256 of a request without a body (aws/lean-copy.ts sends it). */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const ALLOW_ALL = parsePolicy({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } });

/** The request doctor decides offline for the role doing `op` on `key` with these headers. */
function roleRequest(f: PolicyFacts, op: string, key: string, headers: Record<string, string>): AccessRequest {
  const rule = S3_ACTIONS[op]!;
  const account = /^\d{12}$/.test(f.caller.accountId) ? f.caller.accountId : "";
  const resourceAccount = f.ownerAccount ?? ""; // unknown: its keys are tested optimistically (unknownKeys)
  const sent: Record<string, string> = { ...headers };
  if (rule.copy) sent["x-amz-copy-source"] = `${f.sourceBucket}/${key}`;
  if (op === "CopyObject") sent["x-amz-metadata-directive"] = "COPY";
  // Signed payload hash (s3:x-amz-content-sha256): flexcopy's requests have no body but CompleteMultipartUpload's.
  if (op !== "CompleteMultipartUpload") sent["x-amz-content-sha256"] = EMPTY_SHA256;
  return {
    caller: f.caller,
    action: rule.action,
    resource: rule.resource === "bucket" ? s3Arn(f.bucket) : s3Arn(f.bucket, key),
    resourceAccount,
    context: s3Context(rule, {
      header: (n) => sent[n],
      callerArn: f.caller.arn,
      principalArn: f.caller.roleArn ?? f.caller.arn,
      callerAccount: account,
      resourceAccount,
      secureTransport: f.env.secure,
      region: f.env.region,
      now: f.env.now,
      signatureAgeMs: 0, // the SDK signs each request as it sends it
      authType: "REST-HEADER",
      signatureVersion: "AWS4-HMAC-SHA256",
      principalType: "AssumedRole",
      // principalOrgId: absent. The provider's account is not in your organisation: a test of aws:PrincipalOrgID
      // against your organisation's id never matches it.
    }),
  };
}

/** Would the role be allowed `op` on `key`, with these request headers? */
export function decideFor(f: PolicyFacts, op: string, key: string, headers: Record<string, string> = {}): Decision {
  return evaluate(roleRequest(f, op, key, headers), { identity: [{ name: "the provider's role policy", policy: ALLOW_ALL }], resource: { name: "your bucket policy", policy: f.policy } });
}

/**
 * Condition keys whose value only a real request has: where it comes from (aws:SourceIp, VPC and VPC endpoint),
 * the provider's side of the role session (aws:userid holds the role's unique id; its tags; its source
 * identity), your organisation (aws:ResourceOrgID: doctor does not read it).
 */
const ONLY_AT_REQUEST_TIME = ["aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip", "aws:userid", "aws:principaltag/", "aws:sourceidentity", "aws:resourceorgid", "aws:resourceorgpaths", "aws:resourcetag/"];

/** The keys doctor cannot know offline for these facts: the list above, the TLS version over HTTPS, the owner's account when not known. */
function unknownKeys(f: PolicyFacts): string[] {
  return [...ONLY_AT_REQUEST_TIME, ...(f.env.secure ? ["s3:tlsversion"] : []), ...(f.ownerAccount === undefined ? ["aws:resourceaccount", "s3:resourceaccount"] : [])];
}

const unknownTo = (f: PolicyFacts): ((k: string) => boolean) => {
  const list = unknownKeys(f);
  return (k) => list.some((p) => (p.endsWith("/") ? k.toLowerCase().startsWith(p) : k.toLowerCase() === p));
};

/**
 * Where a refusal could turn into an allowance with facts only the real request has: the unknown keys that
 * decide it. The request is decided again as if every such condition went the role's way (a Deny that tests
 * one does not hit, an Allow's test of one holds); if that allows it, those keys are returned, else none (the
 * refusal stands whatever they are).
 */
export function undecidableKeys(f: PolicyFacts, op: string, key: string, headers: Record<string, string> = {}): string[] {
  const v = optimistic(f, op, key, headers);
  return v?.allowed ? v.keys : [];
}

/** The decision if every condition on an unknown key went the role's way; undefined when none is tested. */
export function optimistic(f: PolicyFacts, op: string, key: string, headers: Record<string, string> = {}): (Decision & { keys: string[] }) | undefined {
  const unknown = unknownTo(f);
  const r = roleRequest(f, op, key, headers);
  const keys = conditionKeysFor(r, f.policy, true).filter(unknown);
  if (keys.length === 0) return undefined;
  const statements = f.policy.statements.map((st) => {
    const tested = Object.values(st.conditions).some((block) => Object.keys(block).some(unknown));
    if (!tested) return st;
    // A Deny that tests an unknown key is taken not to hit: a statement that can never apply keeps its index.
    if (st.effect === "Deny") return { ...st, conditions: { Null: { "flexcopy:never": ["false"] } } };
    const conditions = Object.fromEntries(
      Object.entries(st.conditions)
        .map(([op2, block]) => [op2, Object.fromEntries(Object.entries(block).filter(([k]) => !unknown(k)))] as const)
        .filter(([, block]) => Object.keys(block).length > 0),
    );
    return { ...st, conditions };
  });
  const best = evaluate(r, { identity: [{ name: "the provider's role policy", policy: ALLOW_ALL }], resource: { name: "your bucket policy", policy: { statements } } });
  return { ...best, keys };
}
