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
// - The same reference lists s3:prefix / s3:delimiter / s3:max-keys for s3:ListBucket (and ListBucketVersions)
//   only: s3:ListBucketMultipartUploads has none of them, so ListMultipartUploads' query does not reach the context.
// - Keys on every S3 action (the reference's list for each action; "Amazon S3 condition key examples" and
//   bucket-policy-s3-sigv4-conditions): s3:authType ("REST-HEADER", "REST-QUERY-STRING", "POST"),
//   s3:signatureversion ("AWS" for SigV2, "AWS4-HMAC-SHA256" for SigV4), s3:signatureAge (milliseconds),
//   s3:x-amz-content-sha256 (the header as sent), s3:TlsVersion (numeric, HTTPS only), s3:ResourceAccount;
//   s3:x-amz-storage-class on the writes that take the header (PutObject, CopyObject, CreateMultipartUpload).
// - Global keys (IAM User Guide, "AWS global condition context keys"): aws:CurrentTime and aws:EpochTime and
//   aws:SecureTransport are "always included"; aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType and
//   aws:userid are in every signed request; aws:username for IAM users only; aws:PrincipalIsAWSService and
//   aws:ViaAWSService are in "all signed API requests" (false here: flexcopy's callers are IAM users and role
//   sessions calling S3 directly); aws:RequestedRegion is the region the request is signed for;
//   aws:ResourceAccount the resource owner's account; aws:PrincipalOrgID / aws:ResourceOrgID only when the
//   account is in an organization; aws:UserAgent and aws:referer when the client sends the header;
//   aws:MultiFactorAuthPresent only for temporary credentials ("not present when an API operation is called
//   using long-term credentials"), false for a role session obtained without MFA (flexcopy's AssumeRole sends
//   no SerialNumber/TokenCode).
// - S3 User Guide, "Enforce conditional writes": s3:if-none-match and s3:if-match carry the If-None-Match /
//   If-Match headers of the object creations (PutObject, CompleteMultipartUpload; CopyObject is held to the
//   same policies, above).
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
  ListMultipartUploads: { action: "s3:ListBucketMultipartUploads", resource: "bucket" },
  GetBucketPolicy: { action: "s3:GetBucketPolicy", resource: "bucket", ownerAccountOnly: true },
  PutBucketPolicy: { action: "s3:PutBucketPolicy", resource: "bucket", ownerAccountOnly: true },
  DeleteBucketPolicy: { action: "s3:DeleteBucketPolicy", resource: "bucket", ownerAccountOnly: true },
  GetBucketOwnershipControls: { action: "s3:GetBucketOwnershipControls", resource: "bucket" },
  PutBucketOwnershipControls: { action: "s3:PutBucketOwnershipControls", resource: "bucket" },
  GetBucketEncryption: { action: "s3:GetEncryptionConfiguration", resource: "bucket" },
  PutBucketEncryption: { action: "s3:PutEncryptionConfiguration", resource: "bucket" },
  // S3 API Reference, Get/Put/DeletePublicAccessBlock: s3:GetBucketPublicAccessBlock, s3:PutBucketPublicAccessBlock (both Put and Delete).
  GetPublicAccessBlock: { action: "s3:GetBucketPublicAccessBlock", resource: "bucket" },
  PutPublicAccessBlock: { action: "s3:PutBucketPublicAccessBlock", resource: "bucket" },
  DeletePublicAccessBlock: { action: "s3:PutBucketPublicAccessBlock", resource: "bucket" },
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
  /** aws:PrincipalType: "AssumedRole", "User", "Account", … (default: read from callerArn). */
  principalType?: string;
  /** aws:userid: "ROLEID:session" for an assumed role, the user's unique id for a user. */
  userId?: string;
  /** aws:username: IAM users only (default: the name in a user's callerArn). */
  userName?: string;
  /** aws:MultiFactorAuthPresent for temporary credentials (default false: sessions without MFA). */
  mfa?: boolean;
}

/** aws:PrincipalType from the caller's ARN (global condition keys page: the values of aws:PrincipalType). */
export function principalTypeOf(arn: string): string | undefined {
  if (/^arn:aws[a-z-]*:sts::\d{12}:assumed-role\//.test(arn)) return "AssumedRole";
  if (/^arn:aws[a-z-]*:sts::\d{12}:federated-user\//.test(arn)) return "FederatedUser";
  if (/^arn:aws[a-z-]*:iam::\d{12}:user\//.test(arn)) return "User";
  if (/^arn:aws[a-z-]*:iam::\d{12}:root$/.test(arn)) return "Account";
  return undefined;
}

/** aws:username: the friendly name of an IAM user ("arn:aws:iam::ACCOUNT:user/path/NAME" -> NAME). */
export function userNameOf(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m?.[1];
}

/**
 * The request context an S3 operation's request carries, per the table above. Facts a caller does not give are
 * left out, except those that are the same for every request S3RequestFacts describes (a SigV4-signed request
 * of an IAM user or role session, sent in an Authorization header): s3:signatureversion "AWS4-HMAC-SHA256",
 * s3:authType "REST-HEADER", aws:PrincipalIsAWSService / aws:ViaAWSService "false", aws:CurrentTime /
 * aws:EpochTime now, and aws:PrincipalType / aws:username as the caller's ARN says.
 */
export function s3Context(rule: S3Rule, f: S3RequestFacts): RequestContext {
  const now = f.now ?? new Date();
  const ctx: RequestContext = {
    "aws:principalarn": f.principalArn,
    "aws:principalaccount": f.callerAccount,
    "aws:securetransport": f.secureTransport ? "true" : "false",
    "aws:principalisawsservice": "false",
    "aws:viaawsservice": "false",
    "aws:currenttime": now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    "aws:epochtime": String(Math.floor(now.getTime() / 1000)),
    "aws:resourceaccount": f.resourceAccount,
    "s3:resourceaccount": f.resourceAccount,
    "s3:signatureversion": f.signatureVersion ?? "AWS4-HMAC-SHA256",
    "s3:authtype": f.authType ?? "REST-HEADER",
  };
  const type = f.principalType ?? principalTypeOf(f.callerArn);
  if (type !== undefined) ctx["aws:principaltype"] = type;
  if (f.userId !== undefined) ctx["aws:userid"] = f.userId;
  const userName = f.userName ?? userNameOf(f.callerArn);
  if (userName !== undefined && (type === undefined || type === "User")) ctx["aws:username"] = userName;
  if (type === "AssumedRole" || type === "FederatedUser") ctx["aws:multifactorauthpresent"] = f.mfa ? "true" : "false";
  if (f.region !== undefined) ctx["aws:requestedregion"] = f.region;
  if (f.principalOrgId !== undefined) ctx["aws:principalorgid"] = f.principalOrgId;
  if (f.resourceOrgId !== undefined) ctx["aws:resourceorgid"] = f.resourceOrgId;
  if (f.secureTransport && f.tlsVersion !== undefined) ctx["s3:tlsversion"] = f.tlsVersion;
  if (f.signatureAgeMs !== undefined) ctx["s3:signatureage"] = String(Math.max(0, Math.round(f.signatureAgeMs)));
  const sha = f.header("x-amz-content-sha256");
  if (sha !== undefined) ctx["s3:x-amz-content-sha256"] = sha;
  const ua = f.header("user-agent");
  if (ua !== undefined) ctx["aws:useragent"] = ua;
  const referer = f.header("referer");
  if (referer !== undefined) ctx["aws:referer"] = referer;
  if (f.sourceIp !== undefined) ctx["aws:sourceip"] = f.sourceIp;
  // s3:TlsVersion (Service Authorization Reference for S3: on every action, the TLS version of the request);
  // aws:PrincipalOrgID / aws:ResourceOrgID (IAM "AWS global condition context keys": in the context only when the
  // principal's / the resource owner's account is a member of an organization).
  if (f.secureTransport && f.tlsVersion !== undefined) ctx["s3:tlsversion"] = f.tlsVersion;
  if (f.principalOrgId !== undefined) ctx["aws:principalorgid"] = f.principalOrgId;
  if (f.resourceOrgId !== undefined) ctx["aws:resourceorgid"] = f.resourceOrgId;
  if (rule.creation !== undefined) ctx["s3:objectcreationoperation"] = rule.creation ? "true" : "false";
  if (rule.creation) {
    for (const h of ["if-match", "if-none-match"]) {
      const v = f.header(h);
      if (v !== undefined) ctx[`s3:${h}`] = v;
    }
  }
  // s3:x-amz-storage-class: Service Authorization Reference for Amazon S3 lists it on s3:PutObject, from the
  // x-amz-storage-class header, which only PutObject, CopyObject and CreateMultipartUpload take (S3 API Reference).
  // In the context only when the header is sent: with none, a StringNotEquals Deny on it hits (the key is absent).
  if (rule.acl && rule.action === "s3:PutObject") {
    const sc = f.header("x-amz-storage-class");
    if (sc !== undefined) ctx["s3:x-amz-storage-class"] = sc;
  }
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
    for (const h of ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"]) {
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
