/**
 * The two policies of the provider's manual, filled in: the destination bucket policy (step 1-2) and
 * the IAM policy that lets your user or role assume the provider's role (step 1-3). Pure functions:
 * the templates are those of the Japanese manual v4.0.2 (Sids `S3CopyStmtList` / `S3CopyStmtPutObject`).
 */
import type { PolicyDocument } from "../iam/manual.js";

export { bucketPolicy, iamPolicy, kmsKeyPolicyStatement, multipartBucketPolicy, type PolicyDocument } from "../iam/manual.js";

/** Pretty JSON with a final newline, as `aws s3api put-bucket-policy --policy file://…` accepts it. */
export function policyJson(doc: PolicyDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const BUCKET_POLICY_FILE = "bucket-policy.json";
export const IAM_POLICY_FILE = "iam-policy.json";

/**
 * Object Ownership "bucket owner enforced": every object in the bucket belongs to the bucket owner and ACLs other
 * than bucket-owner-full-control are refused (S3 User Guide, about-object-ownership). Applied before the
 * --allow-multipart policy, so there is no moment when the role may write objects the owner would not own.
 */
export function ownershipCommand(bucket: string): string {
  return `aws s3api put-bucket-ownership-controls --bucket ${bucket} --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'`;
}

/** The AWS CLI commands that apply the written files (printed after `--out-dir`). */
export function applyCommands(bucket: string | undefined, files: { bucketPolicy?: string; iamPolicy?: string }, allowMultipart = false): string[] {
  const out: string[] = [];
  if (files.bucketPolicy && bucket) {
    if (allowMultipart) out.push(ownershipCommand(bucket));
    out.push(`aws s3api put-bucket-policy --bucket ${bucket} --policy ${fileUrl(files.bucketPolicy)}`);
  }
  if (files.iamPolicy) {
    out.push(`aws iam create-policy --policy-name flexcopy-assume-jpx-role --policy-document ${fileUrl(files.iamPolicy)}`);
  }
  return out;
}

function fileUrl(path: string): string {
  const url = `file://${path}`;
  return /^[\w@%+=:,./-]+$/.test(url) ? url : `'${url.replace(/'/g, `'\\''`)}'`;
}
