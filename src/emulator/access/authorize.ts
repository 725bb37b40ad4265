// Access decisions, the way S3 makes them: each request is mapped to its IAM action and request context by
// the one table in src/iam/s3-actions.ts, then decided by IAM's evaluation logic (src/iam/evaluate.ts) over
// the caller's identity policies and the bucket's policy. Object ACLs are checked afterwards by the handlers
// (checkObjectAcl), as S3 does for objects the bucket owner does not own.
import { evaluate, type Caller, type Decision, type Policies } from "../../iam/evaluate.js";
import { parsePolicy, type Policy, type PolicyDocumentInput } from "../../iam/document.js";
import { s3Arn, s3Context, S3_ACTIONS } from "../../iam/s3-actions.js";
import { iamPolicy } from "../../iam/manual.js";
import { parseAmzDate } from "../auth.js";
import { accessDenied, S3Error } from "../errors.js";
import { header, type Ctx } from "../http.js";
import { ROLE_ID, USER_ID } from "../sts/ids.js";
import { canonicalId } from "../xml.js";
import { ALL_USERS, AUTH_USERS } from "./acl.js";
import { contractResources } from "./contract.js";
import type { Bucket, ObjRecord } from "../store.js";
import type { Principal } from "../types.js";

export interface World {
  sourceBucket: string;
  destBuckets: string[];
  roleArn: string;
  /** Identity policies of the base user (the customer's IAM user) and of the provider's role. */
  baseIdentity: Policy;
  roleIdentity: Policy;
  /**
   * S3 User Guide, mpuoverview: "By default, the bucket owner and the initiator of the multipart upload are
   * allowed to perform [AbortMultipartUpload] as a part of IAM and S3 bucket polices", and "the initiator of the
   * multipart upload has the permission to list parts of the specific multipart upload". Whether that grants a
   * cross-account initiator anything its policies do not is not documented more precisely, so both readings are
   * modelled: false (default, the stricter) = policies only; true = the initiator may always abort and list parts
   * of its own uploads.
   */
  initiatorMayAbort: boolean;
}

/**
 * The base user's identity policy: the manual's step 1-3 (`manual`), plus full use of the buckets it owns for
 * `bucket-admin`. An IAM user gets nothing it is not granted, in its own account's buckets too, unless a
 * bucket policy names it (IAM policy evaluation logic: same-account access needs an Allow in the identity or
 * the resource policy, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
export function baseIdentityPolicy(roleArn: string, ownBuckets: string[], kind: "bucket-admin" | "manual" = "bucket-admin"): Policy {
  return parsePolicy(baseIdentityDocument(roleArn, ownBuckets, kind));
}

/** The document behind `baseIdentityPolicy`. */
export function baseIdentityDocument(roleArn: string, ownBuckets: string[], kind: "bucket-admin" | "manual" = "bucket-admin"): PolicyDocumentInput {
  const doc = iamPolicy(roleArn);
  if (kind === "manual") return doc;
  return {
    Version: "2012-10-17",
    Statement: [
      ...doc.Statement,
      { Sid: "OwnBuckets", Effect: "Allow", Action: "s3:*", Resource: ownBuckets.flatMap((b) => [s3Arn(b), `${s3Arn(b)}/*`]) },
      { Sid: "ListAllMyBuckets", Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" },
    ],
  };
}

/**
 * The provider's role: list and read its own bucket within the customer's contracted periods (an identity
 * policy in the provider's account), and write to other accounts' buckets (where their bucket policies allow).
 */
export function roleIdentityPolicy(sourceBucket: string, contract: string[] | undefined): Policy {
  return parsePolicy(roleIdentityDocument(sourceBucket, contract));
}

/** The document behind `roleIdentityPolicy`. */
export function roleIdentityDocument(sourceBucket: string, contract: string[] | undefined): PolicyDocumentInput {
  const src = s3Arn(sourceBucket);
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListSource", Effect: "Allow", Action: "s3:ListBucket", Resource: src },
      // The provider's policy is not public. It grants what the manual's own procedure needs with a current AWS
      // CLI: `aws s3 cp` v2 reads the source's tags by default (--copy-props default calls GetObjectTagging;
      // aws/aws-cli#5375), so s3:GetObjectTagging beside s3:GetObject. flexcopy needs only s3:GetObject.
      { Sid: "ReadContractedPeriods", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectTagging"], Resource: contractResources(sourceBucket, contract) },
      {
        Sid: "WriteCustomerBuckets",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:PutObject", "s3:PutObjectAcl", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads"],
        NotResource: [src, `${src}/*`],
      },
    ],
  };
}

function caller(p: Principal, roleArn: string): Caller {
  const c: Caller = { arn: p.arn, accountId: p.accountId, canonicalId: canonicalId(p.accountId) };
  if (p.kind === "role") c.roleArn = roleArn;
  return c;
}

/** Decide `op` (an S3 operation name of the table) by `ctx`'s principal on bucket/key. */
export function decide(ctx: Ctx, op: string, b: Bucket, key?: string): Decision & { action: string } {
  const rule = S3_ACTIONS[op];
  if (!rule) return { allowed: false, reason: `no IAM action known for ${op}`, action: "?" };
  const p = ctx.principal;
  if (p.kind === "anonymous") return { allowed: false, reason: "anonymous request (no bucket policy here grants \"*\")", action: rule.action };
  const w = ctx.st.world;
  const resource = rule.resource === "object" ? s3Arn(b.name, key ?? "") : rule.resource === "bucket" ? s3Arn(b.name) : "*";
  const who = caller(p, w.roleArn);
  const now = ctx.st.now();
  const sig = ctx.sig;
  const context = s3Context(rule, {
    header: (n) => header(ctx, n),
    query: (n) => ctx.q.get(n),
    callerArn: who.arn,
    principalArn: who.roleArn ?? who.arn,
    callerAccount: who.accountId,
    resourceAccount: b.owner,
    secureTransport: ctx.tlsVersion !== undefined, // served over HTTPS (--tls), IAM global condition keys
    tlsVersion: ctx.tlsVersion,
    principalOrgId: ctx.st.orgOf(who.accountId), // aws:PrincipalOrgID / aws:ResourceOrgID: absent outside an organisation
    resourceOrgId: ctx.st.orgOf(b.owner),
    sourceIp: (ctx.req.socket.remoteAddress ?? "").replace(/^::ffff:/i, ""),
    // What the signed request says (auth.ts has verified it): the credential scope's region, x-amz-date, and
    // whether it was signed in the Authorization header or presigned in the query string.
    now: new Date(now),
    ...(sig ? { region: sig.region, signatureAgeMs: now - parseAmzDate(sig.amzDate), authType: sig.presignExpires === undefined ? "REST-HEADER" : "REST-QUERY-STRING" } : {}),
    signatureVersion: "AWS4-HMAC-SHA256", // auth.ts accepts SigV4 only
    // aws:userid is the unique id STS reports: "ROLEID:session" for an assumed role, the user's id for a user
    // (global condition keys page, aws:userid); aws:username the user's friendly name, for IAM users only.
    principalType: p.kind === "role" ? "AssumedRole" : "User",
    userId: p.kind === "role" ? `${ROLE_ID}:${p.session?.sessionName ?? ""}` : USER_ID,
  });
  const policies: Policies = { identity: [{ name: p.kind === "role" ? "the role's identity policy" : "the user's identity policy", policy: p.kind === "role" ? w.roleIdentity : w.baseIdentity }] };
  if (b.policy) policies.resource = { name: `the bucket policy of ${b.name}`, policy: b.policy.parsed };
  const d = evaluate({ caller: who, action: rule.action, resource, resourceAccount: b.owner, context }, policies);
  return { ...d, action: rule.action };
}

/** Throw AccessDenied (and log why) unless `op` is allowed; bucket policy APIs answer 405 to other accounts. */
export function authorize(ctx: Ctx, op: string, b: Bucket, key?: string): void {
  const d = decide(ctx, op, b, key);
  if (d.allowed) {
    if (S3_ACTIONS[op]?.ownerAccountOnly && ctx.principal.accountId !== b.owner) {
      // S3 API reference, PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy: "If you have the correct
      // permissions, but you're not using an identity that belongs to the bucket owner's account, Amazon S3
      // returns a 405 Method Not Allowed error."
      ctx.entry.action = d.action;
      ctx.entry.denyReason = "bucket policy APIs are for the bucket owner's account only";
      throw new S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", { Method: ctx.method, ResourceType: "BUCKETPOLICY" });
    }
    return;
  }
  if ((op === "AbortMultipartUpload" || op === "ListParts") && ctx.st.world.initiatorMayAbort) {
    const up = b.uploads.get(ctx.q.get("uploadId") ?? "");
    if (up && up.initiatorArn === ctx.principal.arn) return;
  }
  ctx.entry.action = d.action;
  ctx.entry.denyReason = d.reason;
  throw accessDenied();
}

/** The object operations the ACL layer decides, and the ACL permission each needs. */
export type AclOperation = "GetObject" | "HeadObject" | "GetObjectAcl" | "PutObjectAcl" | "GetObjectTagging";

/**
 * S3 User Guide, "Access control list (ACL) overview", the table of permissions on an object: READ "Allows
 * grantee to read the object data and its metadata" (GetObject, HeadObject, and the source of a copy), READ_ACP
 * "to read the object ACL" (GetObjectAcl), WRITE_ACP "to write the ACL for the applicable object"
 * (PutObjectAcl), FULL_CONTROL "the READ, READ_ACP, and WRITE_ACP permissions on the object". Object tags have
 * no ACL permission of their own; GetObjectTagging is held to READ (the object's data and metadata).
 */
export const ACL_PERMISSION: Readonly<Record<AclOperation, "READ" | "READ_ACP" | "WRITE_ACP">> = {
  GetObject: "READ",
  HeadObject: "READ",
  GetObjectTagging: "READ",
  GetObjectAcl: "READ_ACP",
  PutObjectAcl: "WRITE_ACP",
};

/**
 * Object ACLs (S3 User Guide, "How Amazon S3 authorizes a request for an object operation"): "If the bucket and
 * object owners are the same, access to the object can be granted in the bucket policy ... If the owners are
 * different, the object owners must use an object ACL to grant permissions" — so when the object's owner is
 * neither the bucket owner nor the requester's account, the object's ACL must grant the requester's account
 * (or AllUsers, or AuthenticatedUsers for a signed request) the permission the operation needs, or
 * FULL_CONTROL. With BucketOwnerEnforced (ACLs disabled) every object belongs to the bucket owner.
 */
export function objectAclAllows(p: Principal, b: Bucket, rec: ObjRecord | undefined, op: AclOperation): boolean {
  if (!rec || rec.owner === p.accountId || rec.owner === b.owner || b.ownership === "BucketOwnerEnforced") return true;
  const need = ACL_PERMISSION[op];
  return rec.grants.some(
    (g) => (g.grantee === p.accountId || g.grantee === ALL_USERS || (g.grantee === AUTH_USERS && p.kind !== "anonymous")) && (g.permission === need || g.permission === "FULL_CONTROL"),
  );
}

/** Throw AccessDenied (and log why) unless the object's ACL allows `op` (see objectAclAllows). */
export function checkObjectAcl(ctx: Ctx, b: Bucket, rec: ObjRecord | undefined, op: AclOperation): void {
  if (objectAclAllows(ctx.principal, b, rec, op)) return;
  const need = ACL_PERMISSION[op];
  ctx.entry.action = S3_ACTIONS[op]?.action ?? op;
  ctx.entry.denyReason = `the object is owned by account ${rec?.owner} and its ACL grants neither ${need} nor FULL_CONTROL to ${ctx.principal.accountId}`;
  throw accessDenied();
}
