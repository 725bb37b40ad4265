/**
 * The provider's manual's policies, filled in (the Japanese manual v4.0.2, Sids `S3CopyStmtList` /
 * `S3CopyStmtPutObject`), and the addition that lets the role finish multipart copies.
 * Pure data: used by `flexcopy policy`, by doctor's offline evaluation and by the emulator's default world.
 */
export const OWNER_FULL_CONTROL = "bucket-owner-full-control";

export interface PolicyStatementDoc {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: { AWS: string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatementDoc[];
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

export const MULTIPART_SID = "FlexcopyMultipartCopy";

/**
 * The manual's policy plus one statement: the role may upload parts, complete, abort and list the parts of
 * multipart uploads. Safe only together with Object Ownership `BucketOwnerEnforced` (every object belongs to
 * the bucket owner, ACLs other than bucket-owner-full-control are refused), because CompleteMultipartUpload
 * carries no x-amz-acl and cannot be told apart from a PutObject without it.
 */
export function multipartBucketPolicy(roleArn: string, bucket: string): PolicyDocument {
  const doc = bucketPolicy(roleArn, bucket);
  doc.Statement.push({
    Sid: MULTIPART_SID,
    Effect: "Allow",
    Principal: { AWS: [roleArn] },
    Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
    Resource: [`arn:aws:s3:::${bucket}/*`],
  });
  return doc;
}

/** Step 1-3: attach to the IAM user or role that runs flexcopy (your "base" credentials). */
export function iamPolicy(roleArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Action: "sts:AssumeRole", Effect: "Allow", Resource: roleArn }],
  };
}

/**
 * For `--sse aws:kms`: the statement to add to your KMS key's policy so the provider's role may encrypt with it
 * (kms:GenerateDataKey for each write; kms:Decrypt for the parts of a multipart copy: S3 User Guide, "Multipart
 * upload API and permissions"). In a key policy, "Resource": "*" means this key. Cross-account use also needs
 * an Allow in the role's own IAM policy, which is the provider's (KMS Developer Guide, "Allowing users in other
 * accounts to use a KMS key").
 */
export function kmsKeyPolicyStatement(roleArn: string): PolicyStatementDoc {
  return {
    Sid: "FlexcopyProviderRoleMayEncrypt",
    Effect: "Allow",
    Principal: { AWS: [roleArn] },
    Action: ["kms:GenerateDataKey", "kms:Decrypt"],
    Resource: "*",
  };
}
