/**
 * The two policies of the provider's manual, filled in: the destination bucket policy (step 1-2) and
 * the IAM policy that lets your user or role assume the provider's role (step 1-3). Pure functions:
 * the templates are those of the Japanese manual v4.0.2 (Sids `S3CopyStmtList` / `S3CopyStmtPutObject`).
 */
import { OWNER_FULL_CONTROL } from "../aws/acl.js";

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow";
  Principal?: { AWS: string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Step 1-2: lets the provider's role list your bucket and write objects that you will own. */
export function bucketPolicy(roleArn: string, bucket: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "S3CopyStmtList",
        Effect: "Allow",
        Principal: { AWS: [roleArn] },
        Action: "s3:ListBucket",
        Resource: [`arn:aws:s3:::${bucket}`],
      },
      {
        Sid: "S3CopyStmtPutObject",
        Effect: "Allow",
        Principal: { AWS: [roleArn] },
        Action: ["s3:PutObject", "s3:PutObjectAcl"],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { StringEquals: { "s3:x-amz-acl": OWNER_FULL_CONTROL } },
      },
    ],
  };
}

/** Step 1-3: attach to the IAM user or role that runs flexcopy (your "base" credentials). */
export function iamPolicy(roleArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Resource: roleArn }],
  };
}

/** Pretty JSON with a final newline, as `aws s3api put-bucket-policy --policy file://…` accepts it. */
export function policyJson(doc: PolicyDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const BUCKET_POLICY_FILE = "bucket-policy.json";
export const IAM_POLICY_FILE = "iam-policy.json";

/** The AWS CLI commands that apply the written files (printed after `--out-dir`). */
export function applyCommands(bucket: string | undefined, files: { bucketPolicy?: string; iamPolicy?: string }): string[] {
  const out: string[] = [];
  if (files.bucketPolicy && bucket) {
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
