// The one table of S3 operation -> IAM action -> condition keys its request carries.
// Sources:
// - Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3" (action names,
//   resource types; s3:x-amz-acl, s3:x-amz-copy-source, s3:x-amz-metadata-directive on s3:PutObject;
//   s3:prefix / s3:delimiter / s3:max-keys on s3:ListBucket).
// - S3 User Guide, "Multipart upload API and permissions" (mpuoverview): Create, UploadPart, UploadPartCopy and
//   Complete need s3:PutObject; UploadPartCopy also s3:GetObject on the source; Abort needs
//   s3:AbortMultipartUpload; ListParts s3:ListMultipartUploadParts; ListMultipartUploads
//   s3:ListBucketMultipartUploads.
// - UploadPart / UploadPartCopy / CompleteMultipartUpload take no x-amz-acl, so s3:x-amz-acl is absent from
//   their request context: aws/aws-cli#1674 (AWS maintainer kyleknap: "The request is failing on UploadPart
//   operation. This operation is encompassed by the s3:PutObject action in the bucket policy. However, s3 does
//   not permit sending the x-amz-acl"), also aws/aws-sdk-js#1830 and boto/boto3#2525.
// - S3 User Guide, "Enforce conditional writes" (conditional-writes-enforce): s3:ObjectCreationOperation exempts
//   CreateMultipartUpload, UploadPart and UploadPartCopy (false) while PutObject and CompleteMultipartUpload are
//   object creations (true); CopyObject is governed by the same conditional-write policies, so it is true too.
// - Service Authorization Reference again: s3:x-amz-server-side-encryption and
//   s3:x-amz-server-side-encryption-aws-kms-key-id on s3:PutObject, from the request's headers; the requests
//   that take those headers are PutObject, CopyObject and CreateMultipartUpload (S3 API Reference). UploadPart
//   and UploadPartCopy do not carry them, so a policy denying writes without them denies the parts too:
//   boto/botocore#471 (UploadPart AccessDenied under an SSE-enforcing policy), aws/aws-cli#4251.
// - Service Authorization Reference: s3:x-amz-storage-class on s3:PutObject ("Filters access by storage class"),
//   from the x-amz-storage-class header, which the same three requests take (S3 API Reference); parts carry none.
import type { RequestContext } from "./conditions.js";

export interface S3Rule {
  action: string;
  resource: "bucket" | "object" | "none";
  /** s3:ObjectCreationOperation for s3:PutObject requests. */
  creation?: boolean;
  /** The request accepts x-amz-acl (so s3:x-amz-acl is in the context when the header is sent). */
  acl?: boolean;
  /** x-amz-copy-source / x-amz-metadata-directive are in the context. */
  copy?: boolean;
  /** The request accepts x-amz-server-side-encryption (its KMS key id, x-amz-storage-class): in the context when sent. */
  sse?: boolean;
  /** s3:prefix, s3:delimiter, s3:max-keys are in the context. */
  listing?: boolean;
  /** Only principals of the bucket owner's account may call it (bucket policy APIs: 405 otherwise). */
  ownerAccountOnly?: boolean;
}

export const S3_ACTIONS: Readonly<Record<string, S3Rule>> = {
  ListBuckets: { action: "s3:ListAllMyBuckets", resource: "none" },
  HeadBucket: { action: "s3:ListBucket", resource: "bucket" },
  ListObjects: { action: "s3:ListBucket", resource: "bucket", listing: true },
  ListObjectsV2: { action: "s3:ListBucket", resource: "bucket", listing: true },
  GetBucketLocation: { action: "s3:GetBucketLocation", resource: "bucket" },
  ListMultipartUploads: { action: "s3:ListBucketMultipartUploads", resource: "bucket", listing: true },
  GetBucketPolicy: { action: "s3:GetBucketPolicy", resource: "bucket", ownerAccountOnly: true },
  PutBucketPolicy: { action: "s3:PutBucketPolicy", resource: "bucket", ownerAccountOnly: true },
  DeleteBucketPolicy: { action: "s3:DeleteBucketPolicy", resource: "bucket", ownerAccountOnly: true },
  GetBucketOwnershipControls: { action: "s3:GetBucketOwnershipControls", resource: "bucket" },
  PutBucketOwnershipControls: { action: "s3:PutBucketOwnershipControls", resource: "bucket" },
  GetBucketEncryption: { action: "s3:GetEncryptionConfiguration", resource: "bucket" },
  PutBucketEncryption: { action: "s3:PutEncryptionConfiguration", resource: "bucket" },
  GetObject: { action: "s3:GetObject", resource: "object" },
  HeadObject: { action: "s3:GetObject", resource: "object" },
  GetObjectAcl: { action: "s3:GetObjectAcl", resource: "object" },
  GetObjectTagging: { action: "s3:GetObjectTagging", resource: "object" },
  PutObjectAcl: { action: "s3:PutObjectAcl", resource: "object", acl: true },
  PutObject: { action: "s3:PutObject", resource: "object", creation: true, acl: true, sse: true },
  CopyObject: { action: "s3:PutObject", resource: "object", creation: true, acl: true, copy: true, sse: true },
  CreateMultipartUpload: { action: "s3:PutObject", resource: "object", creation: false, acl: true, sse: true },
  UploadPart: { action: "s3:PutObject", resource: "object", creation: false },
  UploadPartCopy: { action: "s3:PutObject", resource: "object", creation: false, copy: true },
  CompleteMultipartUpload: { action: "s3:PutObject", resource: "object", creation: true },
  AbortMultipartUpload: { action: "s3:AbortMultipartUpload", resource: "object" },
  ListParts: { action: "s3:ListMultipartUploadParts", resource: "object" },
  DeleteObject: { action: "s3:DeleteObject", resource: "object" },
  DeleteObjects: { action: "s3:DeleteObject", resource: "object" }, // authorised per key
};

export const s3Arn = (bucket: string, key?: string): string => (key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`);

export interface S3RequestFacts {
  /** A request header (lower-case name), if sent. */
  header: (name: string) => string | undefined;
  /** A query parameter, if sent. */
  query?: (name: string) => string | undefined;
  callerArn: string;
  /** aws:PrincipalArn: for an assumed-role session, the role's ARN. */
  principalArn: string;
  callerAccount: string;
  resourceAccount: string;
  secureTransport: boolean;
  /** aws:SourceIp, the requester's address (IAM global condition keys); unknown offline (doctor). */
  sourceIp?: string;
  // Facts every signed request carries (IAM "AWS global condition context keys"; Service Authorization
  // Reference for Amazon S3). Optional here so each caller can supply what it knows; s3Context fills the keys.
  /** aws:PrincipalOrgID: the caller's organisation, when its account is in one. */
  principalOrgId?: string;
  /** aws:ResourceOrgID: the bucket owner's organisation, when in one. */
  resourceOrgId?: string;
  /** s3:TlsVersion when secureTransport ("1.2", "1.3"). */
  tlsVersion?: string;
  /** aws:RequestedRegion: the region the request is signed for. */
  region?: string;
  /** aws:CurrentTime / aws:EpochTime. */
  now?: Date;
  /** s3:signatureAge in milliseconds (now minus the signature's x-amz-date). */
  signatureAgeMs?: number;
  /** s3:authType: "REST-HEADER" (Authorization header), "REST-QUERY-STRING" (presigned), "POST". */
  authType?: string;
  /** s3:signatureversion: "AWS4-HMAC-SHA256" for SigV4. */
  signatureVersion?: string;
  /** aws:PrincipalType: "AssumedRole", "User", "Account", … */
  principalType?: string;
  /** aws:userid: "ROLEID:session" for an assumed role, the user's unique id for a user. */
  userId?: string;
  /** aws:username: IAM users only. */
  userName?: string;
}

/** The request context an S3 operation's request carries, per the table above. */
export function s3Context(rule: S3Rule, f: S3RequestFacts): RequestContext {
  const ctx: RequestContext = {
    "aws:principalarn": f.principalArn,
    "aws:principalaccount": f.callerAccount,
    "aws:securetransport": f.secureTransport ? "true" : "false",
    "s3:resourceaccount": f.resourceAccount,
  };
  if (f.sourceIp !== undefined) ctx["aws:sourceip"] = f.sourceIp;
  if (rule.creation !== undefined) ctx["s3:objectcreationoperation"] = rule.creation ? "true" : "false";
  if (rule.acl) {
    const acl = f.header("x-amz-acl");
    if (acl !== undefined) ctx["s3:x-amz-acl"] = acl;
    for (const g of ["full-control", "read", "read-acp", "write", "write-acp"]) {
      const v = f.header(`x-amz-grant-${g}`);
      if (v !== undefined) ctx[`s3:x-amz-grant-${g}`] = v.split(",").map((s) => s.trim());
    }
  }
  if (rule.copy) {
    const src = f.header("x-amz-copy-source");
    if (src !== undefined) ctx["s3:x-amz-copy-source"] = src;
    const dir = f.header("x-amz-metadata-directive");
    if (dir !== undefined) ctx["s3:x-amz-metadata-directive"] = dir;
  }
  if (rule.sse) {
    for (const h of ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-storage-class"]) {
      const v = f.header(h);
      if (v !== undefined) ctx[`s3:${h}`] = v;
    }
  }
  if (rule.listing && f.query) {
    for (const k of ["prefix", "delimiter", "max-keys"]) {
      const v = f.query(k);
      if (v !== undefined) ctx[`s3:${k}`] = v;
    }
  }
  return ctx;
}
