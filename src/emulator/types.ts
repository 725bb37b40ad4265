// Public contract of the emulator (docs/ARCHITECTURE.md) plus a few internal shapes shared by its modules.

export interface EmulatorOptions {
  port?: number; // default 0 (free port); host always 127.0.0.1
  seed?: string; // "demo" (default) | "year:2023" | "years:2010-2023" | "archive" | "none" | path to a JSON layout file
  accountId?: string; // customer account, default "123456789012"
  providerAccountId?: string; // default "461810399597"
  sourceBucket?: string; // default "dataservice-flex-bucket"
  destBuckets?: string[]; // default ["flex-dest"]; owned by the base user
  contractedPeriods?: string[]; // e.g. ["2021/05", "2021/06/01..2021/06/10", "testdata", "ConnectionSpec"]; default: everything
  externalId?: string; // when set, AssumeRole must carry it
  maxSessionDuration?: number; // default 43200
  tokenTtlSeconds?: number; // override: issued tokens expire after this many seconds
  /**
   * The destination buckets' bucket policy: true (default) = the manual's template filled in (what
   * `flexcopy policy --bucket-policy` prints); false = none (the provider has not finished setup, or the
   * customer has not applied it: the role gets AccessDenied on the destination); an object or JSON text = that
   * document (placeholders "${bucket}" and "${roleArn}" are filled in per bucket).
   */
  bucketPolicy?: boolean | string | object;
  /** Object Ownership of the destination buckets (default "ObjectWriter": ACLs enabled). */
  objectOwnership?: ObjectOwnership;
  /**
   * The multipart initiator may always abort and list the parts of its own uploads, whatever the policies say
   * (one reading of the S3 User Guide's "Multipart upload API and permissions"). Default false: policies only.
   */
  initiatorMayAbort?: boolean;
  /**
   * The identity policy of your IAM user (the base credentials): "bucket-admin" (default) = the manual's
   * step 1-3 (sts:AssumeRole on the provider's role) plus full use of your destination buckets, as an account
   * administrator has; "manual" = exactly step 1-3 and nothing else, the user the manual has you create: it may
   * not read your bucket policy, list or abort uploads in your bucket, or read your objects.
   */
  userPolicy?: UserPolicy;
  /**
   * KMS keys (ARNs) the provider's role may encrypt with: both the key's policy and the role's own IAM policy allow
   * it. The emulator has no KMS, so this says what those two policies would; default none: every SSE-KMS write
   * by the role is refused, as AWS refuses it unless both allow (src/iam/kms.ts).
   */
  kmsKeyGrants?: string[];
  /**
   * Serve HTTPS instead of HTTP, with a private CA and a certificate for localhost, 127.0.0.1 and ::1 made at start
   * (`hostnames`: more DNS names or IPs the certificate covers). The CA is written to a file (Emulator.tls.caFile),
   * removed on stop. Requests then carry aws:SecureTransport "true" and s3:TlsVersion; over HTTP "false".
   */
  tls?: boolean | { hostnames?: string[] };
  /**
   * The organisation (AWS Organizations id, "o-" + 10-32 lower-case letters or digits) of your (customer) account:
   * requests by your principals carry aws:PrincipalOrgID, requests on your buckets aws:ResourceOrgID. The provider's
   * account is outside it. Default: no organisation (both keys absent, as for an account in none).
   */
  orgId?: string;
  /**
   * S3 Block Public Access on your buckets (all four settings), as on every bucket created since April 2023;
   * default true. PutBucketPolicy of a public policy is then refused (403 AccessDenied).
   */
  blockPublicAccess?: boolean;
  baseCredentials?: { accessKeyId: string; secretAccessKey: string }; // default fixed
  faults?: Partial<Faults>; // changeable at runtime
  requestLogLimit?: number; // default 10000 entries (ring buffer); 0 = off
}

export type UserPolicy = "bucket-admin" | "manual";

export interface FailNextRule {
  op: string;
  count: number;
  code?: string;
  /** With code "Stall": how long the request is held unanswered before its connection drops (default 30 min). */
  stallMs?: number;
}

export interface Faults {
  latencyMs: number; // per request
  copyRateBytesPerSec: number; // 0 = infinite; a copy of N bytes takes latency + N / rate
  timeScale: number; // divides every modelled delay (default 1)
  slowDownRate: number;
  internalErrorRate: number;
  resetRate: number;
  copyErrorBodyRate: number; // probabilities 0..1
  failNext: FailNextRule[]; // "fail the next N requests of operation X"
  clockOffsetMs: number; // server's idea of now
  bucketRegions: Record<string, string>; // per-bucket region override (default ap-northeast-1)
  maxInflight: number; // 0 = unlimited; above N write requests (PUT/COPY/POST/DELETE) in flight: 503 SlowDown (pushback.ts)
  maxRate: number; // 0 = unlimited; above N write requests per modelled second per prefix (the key's folder): 503 SlowDown (pushback.ts)
}

export type ObjectOwnership = "ObjectWriter" | "BucketOwnerPreferred" | "BucketOwnerEnforced";

export type PrincipalKind = "base" | "role" | "anonymous";

export interface RequestLogEntry {
  time: string;
  op: string;
  bucket?: string;
  key?: string;
  principal: PrincipalKind;
  status: number;
  code?: string;
  acl?: string;
  /** x-amz-server-side-encryption, when the request carried it. */
  sse?: string;
  /** x-amz-storage-class, when the request carried it. */
  storageClass?: string;
  /** The Host header the client sent (the endpoint it addressed), and its User-Agent. */
  host?: string;
  userAgent?: string;
  copySource?: string;
  uploadId?: string;
  partNumber?: number;
  /** For a denied request: the IAM action evaluated and why it was denied. */
  action?: string;
  denyReason?: string;
  inflight?: number; // write requests in flight when this one was admitted (itself included)
  /** Under `maxRate`: when this write was admitted (Date.now() ms), the clock the rate is counted on. */
  admittedAt?: number;
  /** The request was carried out but its response never sent: the connection dropped (failNext "ResetAfter"). */
  responseLost?: boolean;
}

export interface Grant {
  grantee: string;
  permission: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  owner: string;
  grants: Grant[];
  copySource?: string;
  contentType?: string;
  metadata: Record<string, string>;
  lastModified: string;
  storageClass?: string; // absent = STANDARD
}

export interface PutObjectOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  storageClass?: string; // e.g. "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"; default STANDARD
  /** Another version of the object (same key and size, other bytes and ETag), as when the provider republishes a file. */
  version?: string;
}

export interface Emulator {
  endpoint: string; // "http://127.0.0.1:PORT" ("https://127.0.0.1:PORT" with tls)
  /** With `tls`: the CA that signed the server's certificate, as PEM and as a file (pass it as --ca-bundle). */
  tls?: { caPem: string; caFile: string };
  /** Your account's organisation (EmulatorOptions.orgId), if any. */
  orgId?: string;
  region: "ap-northeast-1";
  accessKeyId: string;
  secretAccessKey: string; // base user
  accountId: string;
  providerAccountId: string;
  roleArn: string;
  sourceBucket: string;
  destBuckets: string[];
  requestLog(): RequestLogEntry[];
  clearLog(): void;
  objects(bucket: string): ObjectInfo[];
  putObject(bucket: string, key: string, size: number, opts?: PutObjectOptions): void;
  /** Incomplete multipart uploads of a bucket (what the owner's ListMultipartUploads shows). */
  uploads(bucket: string): { key: string; uploadId: string; initiator: string; initiated: string; parts: number }[];
  /** Set (document or JSON text) or remove (undefined) a bucket's policy, as PutBucketPolicy / DeleteBucketPolicy. */
  setBucketPolicy(bucket: string, policy: string | object | undefined): void;
  /** Remove an incomplete multipart upload (as the bucket owner's AbortMultipartUpload). */
  abortUpload(bucket: string, key: string, uploadId: string): void;
  setObjectOwnership(bucket: string, ownership: ObjectOwnership): void;
  deleteObject(bucket: string, key: string): void;
  setFaults(f: Partial<Faults>): void;
  /** Write requests in flight now, and the most at once since start or the last clearLog(). */
  inflight(): { current: number; max: number };
  expireAllTokens(): void;
  stop(): Promise<void>;
}

/** A temporary credential issued by AssumeRole. */
export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number; // ms since epoch (server clock)
  sessionName: string;
  chained: boolean; // issued to a caller that itself used temporary credentials
}

export interface Principal {
  kind: PrincipalKind;
  accountId: string; // "" for anonymous
  arn: string;
  session?: Session;
}

export const DEFAULT_REGION = "ap-northeast-1" as const;
export const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";
export const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
export const FIVE_GIB = 5 * 1024 ** 3;
export const MIN_PART_SIZE = 5 * 1024 ** 2;
