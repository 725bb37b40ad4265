// S3 Block Public Access (S3 User Guide, "Blocking public access to your Amazon S3 storage"): four settings per
// bucket, all on for every bucket created since April 2023 ("Amazon S3 now automatically enables S3 Block Public
// Access and disables ACLs for all new buckets", April 2023). The emulator enforces BlockPublicPolicy:
// "Setting this element to TRUE causes Amazon S3 to reject calls to PUT Bucket policy if the specified bucket policy
// allows public access", and BlockPublicAcls: "PUT Bucket ACL and PUT Object ACL calls fail if the specified ACL
// is public. PUT Object calls fail if the request includes a public ACL" (same page). IgnorePublicAcls is stored
// (the emulator never reads an object for AllUsers), and RestrictPublicBuckets only matters for a public policy
// stored while BlockPublicPolicy was off (not modelled: such a policy applies).
import type { Policy, Statement } from "../../iam/document.js";
import { S3Error } from "../errors.js";

export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export const PAB_FIELDS = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const;

export function publicAccessBlock(on: boolean): PublicAccessBlock {
  return { BlockPublicAcls: on, IgnorePublicAcls: on, BlockPublicPolicy: on, RestrictPublicBuckets: on };
}

/**
 * Canned ACLs that are public: they grant to the AllUsers or AuthenticatedUsers group (S3 User Guide, "The
 * meaning of public": "Amazon S3 considers a bucket or object ACL public if it grants any permissions to members
 * of the predefined AllUsers or AuthenticatedUsers groups").
 */
const PUBLIC_CANNED_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);

/** BlockPublicAcls: a write or PutObjectAcl carrying a public canned ACL is refused 403 AccessDenied. */
export function checkPublicAcl(pab: PublicAccessBlock | undefined, acl: string | undefined): void {
  if (pab?.BlockPublicAcls && acl !== undefined && PUBLIC_CANNED_ACLS.has(acl)) throw new S3Error(403, "AccessDenied", "Access Denied");
}

/**
 * Condition keys that make an Allow to everyone non-public when they are tested against fixed values (S3 User
 * Guide, "The meaning of public": a fixed aws:SourceIp range, aws:SourceArn, aws:SourceVpc, aws:SourceVpce,
 * aws:SourceOwner, aws:SourceAccount, aws:PrincipalOrgID, aws:PrincipalAccount, s3:DataAccessPointArn,
 * s3:DataAccessPointAccount, s3:x-amz-server-side-encryption-aws-kms-key-id, aws:userid outside the pattern
 * "AROLEID:*"). "Fixed" = no wildcard and no policy variable.
 */
const LIMITING_KEYS = new Set([
  "aws:sourceip",
  "aws:sourcearn",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceowner",
  "aws:sourceaccount",
  "aws:principalorgid",
  "aws:principalaccount",
  "s3:dataaccesspointarn",
  "s3:dataaccesspointaccount",
  "s3:x-amz-server-side-encryption-aws-kms-key-id",
  "aws:userid",
]);

/**
 * Operators that limit who matches when the key is present and absent alike. Negated operators (StringNotEquals,
 * NotIpAddress) and …IfExists / ForAllValues (true when the key is absent) limit nothing; ForAnyValue:StringEquals
 * on a single-valued key is StringEquals.
 */
const LIMITING_OPERATORS = new Set(["stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"]);

function fixed(key: string, value: string): boolean {
  if (value.includes("${")) return false; // a policy variable
  if (key === "aws:sourceip") {
    // a range that matches every address limits nothing
    return !/^(0\.0\.0\.0\/0|::\/0)$/.test(value.trim());
  }
  return !/[*?]/.test(value);
}

/** A statement that limits its grant by a fixed value of one of LIMITING_KEYS. */
function limited(s: Statement): boolean {
  for (const [op, keys] of Object.entries(s.conditions)) {
    const base = op.toLowerCase().replace(/^foranyvalue:/, "");
    if (!LIMITING_OPERATORS.has(base)) continue;
    for (const [key, values] of Object.entries(keys)) {
      const k = key.toLowerCase();
      if (LIMITING_KEYS.has(k) && values.length > 0 && values.every((v) => fixed(k, v))) return true;
    }
  }
  return false;
}

/**
 * S3 User Guide, "The meaning of public": a bucket policy is public when an Allow statement grants to a wildcard
 * principal ("*", or {"AWS": "*"}) — or to everyone but some (NotPrincipal) — without a limiting condition above.
 * Deny statements never make a policy public. Returns the offending statement, if any.
 */
export function publicStatement(p: Policy): Statement | undefined {
  return p.statements.find((s) => s.effect === "Allow" && (s.principals === "*" || s.notPrincipals !== undefined) && !limited(s));
}

/**
 * The error S3 answers a public PutBucketPolicy with under BlockPublicPolicy: 403 AccessDenied, "User: <caller> is
 * not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::<bucket>" because public policies are
 * blocked by the BlockPublicPolicy block public access setting." (the text S3 returns, as AWS CLI and Terraform
 * users report it; before 2023 the message was a bare "Access Denied", torchbox/buckup#18).
 */
export function publicPolicyBlocked(callerArn: string, bucket: string): S3Error {
  return new S3Error(
    403,
    "AccessDenied",
    `User: ${callerArn} is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
  );
}
