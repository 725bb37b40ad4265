// Resolved configuration plus all mutable emulator state (buckets, sessions, faults, log).
import { randomBytes } from "node:crypto";
import { virtualContent, virtualEtag } from "./content.js";
import { FaultState } from "./faults.js";
import { RequestLog } from "./log.js";
import { parsePolicy } from "../iam/document.js";
import { bucketPolicy as manualBucketPolicy } from "../iam/manual.js";
import { baseIdentityPolicy, roleIdentityPolicy, type World } from "./access/authorize.js";
import { grantsFor } from "./access/acl.js";
import { publicPolicyBlocked, publicStatement } from "./access/public-policy.js";
import { InflightGauge, RateGauge } from "./pushback.js";
import { loadSeed } from "./seed/seed.js";
import { Bucket, STORAGE_CLASSES, type ObjRecord } from "./store.js";
import type { EmulatorOptions, PutObjectOptions, Session } from "./types.js";

export const DEFAULT_BASE_CREDENTIALS = {
  accessKeyId: "AKIAFLEXEMULATOR0001",
  secretAccessKey: "flexcopyEmulatorBaseSecretKey0000000000/",
};

export const ROLE_PREFIX = "JeuServiceRoleForS3Copy_";

export interface Config {
  sourceBucket: string;
  accountId: string;
  providerAccountId: string;
  destBuckets: string[];
  externalId?: string;
  maxSessionDuration: number;
  tokenTtlSeconds?: number;
  baseAccessKeyId: string;
  baseSecretAccessKey: string;
  roleName: string;
  roleArn: string;
  baseArn: string;
  region: string;
  /** The customer account's organisation (EmulatorOptions.orgId); the provider's account is in none. */
  orgId?: string;
}

export function resolveConfig(o: EmulatorOptions): Config {
  const accountId = o.accountId ?? "123456789012";
  const providerAccountId = o.providerAccountId ?? "461810399597";
  for (const [name, v] of [["accountId", accountId], ["providerAccountId", providerAccountId]] as const) {
    if (!/^\d{12}$/.test(v)) throw new Error(`${name} must be a 12-digit AWS account id, got ${JSON.stringify(v)}`);
  }
  const sourceBucket = o.sourceBucket ?? "dataservice-flex-bucket";
  const destBuckets = o.destBuckets ?? ["flex-dest"];
  for (const b of [sourceBucket, ...destBuckets]) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b)) throw new Error(`invalid bucket name ${JSON.stringify(b)}`);
  }
  if (destBuckets.includes(sourceBucket)) throw new Error("a destination bucket cannot be the source bucket");
  const creds = o.baseCredentials ?? DEFAULT_BASE_CREDENTIALS;
  const roleName = `${ROLE_PREFIX}${accountId}`;
  const cfg: Config = {
    accountId,
    providerAccountId,
    sourceBucket,
    destBuckets: [...destBuckets],
    maxSessionDuration: o.maxSessionDuration ?? 43200,
    baseAccessKeyId: creds.accessKeyId,
    baseSecretAccessKey: creds.secretAccessKey,
    roleName,
    roleArn: `arn:aws:iam::${providerAccountId}:role/${roleName}`,
    baseArn: `arn:aws:iam::${accountId}:user/flex-user`,
    region: "ap-northeast-1",
  };
  if (o.orgId !== undefined) {
    // AWS Organizations API Reference, Organization: Id pattern ^o-[a-z0-9]{10,32}$
    if (!/^o-[a-z0-9]{10,32}$/.test(o.orgId)) throw new Error(`orgId must look like o-abcd123456 ("o-" and 10-32 lower-case letters or digits), got ${JSON.stringify(o.orgId)}`);
    cfg.orgId = o.orgId;
  }
  if (o.externalId !== undefined) cfg.externalId = o.externalId;
  if (o.tokenTtlSeconds !== undefined) cfg.tokenTtlSeconds = o.tokenTtlSeconds;
  return cfg;
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function randomId(len: number, alphabet = B32): string {
  const bytes = randomBytes(len);
  let s = "";
  for (let i = 0; i < len; i++) s += alphabet[(bytes[i] as number) % alphabet.length];
  return s;
}

export class EmulatorState {
  readonly buckets = new Map<string, Bucket>();
  readonly sessions = new Map<string, Session>();
  readonly faults: FaultState;
  readonly world: World;
  /** KMS keys the provider's role may use (EmulatorOptions.kmsKeyGrants). */
  readonly kmsKeyGrants: Set<string>;
  readonly log: RequestLog;
  readonly writes = new InflightGauge();
  readonly rates = new RateGauge();
  private reqCounter = 0;
  private readonly reqPrefix = randomId(6, "0123456789ABCDEF");

  constructor(
    readonly cfg: Config,
    o: EmulatorOptions,
  ) {
    this.faults = new FaultState(o.faults);
    this.log = new RequestLog(o.requestLogLimit ?? 10000);
    const now = Date.now();
    const src = new Bucket(cfg.sourceBucket, cfg.providerAccountId, now);
    this.buckets.set(src.name, src);
    this.world = {
      sourceBucket: cfg.sourceBucket,
      destBuckets: cfg.destBuckets,
      roleArn: cfg.roleArn,
      baseIdentity: baseIdentityPolicy(cfg.roleArn, cfg.destBuckets, o.userPolicy),
      roleIdentity: roleIdentityPolicy(cfg.sourceBucket, o.contractedPeriods),
      initiatorMayAbort: o.initiatorMayAbort ?? false,
    };
    this.kmsKeyGrants = new Set(o.kmsKeyGrants ?? []);
    for (const d of cfg.destBuckets) {
      const b = new Bucket(d, cfg.accountId, now);
      b.ownership = o.objectOwnership ?? "ObjectWriter";
      if (o.blockPublicAccess === false) b.publicAccessBlock = undefined;
      const doc = o.bucketPolicy ?? true;
      if (doc === true) this.setBucketPolicy(b, manualBucketPolicy(cfg.roleArn, d));
      else if (doc !== false) this.setBucketPolicy(b, fillPlaceholders(doc, d, cfg.roleArn));
      this.buckets.set(d, b);
    }
    const recs: ObjRecord[] = [];
    for (const s of loadSeed(o.seed ?? "demo")) {
      const rec = this.virtualRecord(src, s.key, s.size, s.contentType, s.metadata);
      if (s.storageClass !== undefined && s.storageClass !== "STANDARD") rec.storageClass = s.storageClass;
      if (s.lastModified !== undefined) {
        const t = Date.parse(s.lastModified);
        if (!Number.isNaN(t)) rec.lastModified = t;
      }
      recs.push(rec);
    }
    src.bulkLoad(recs);
  }

  now(): number {
    return this.faults.now();
  }

  nextRequestId(): string {
    return `${this.reqPrefix}${(++this.reqCounter).toString(16).toUpperCase().padStart(10, "0")}`;
  }

  /** A virtual object record owned by the bucket owner (ETag = md5(`${key}:${size}`)). */
  virtualRecord(bucket: Bucket, key: string, size: number, contentType?: string, metadata?: Record<string, string>): ObjRecord {
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`invalid size ${size} for ${key}`);
    const rec: ObjRecord = {
      key,
      size,
      etag: virtualEtag(key, size),
      content: virtualContent(`${key}:${size}`, size),
      lastModified: this.now(),
      owner: bucket.owner,
      grants: grantsFor(undefined, bucket.owner, bucket.owner),
      metadata: { ...(metadata ?? {}) },
    };
    if (contentType !== undefined) rec.contentType = contentType;
    return rec;
  }

  bucket(name: string): Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new Error(`no such bucket: ${name}`);
    return b;
  }

  /** Declare a virtual object (bytes generated on read). */
  putVirtual(bucketName: string, key: string, size: number, opts: PutObjectOptions = {}): void {
    const b = this.bucket(bucketName);
    if (!key || Buffer.byteLength(key) > 1024) throw new Error(`invalid key ${JSON.stringify(key)}`);
    const rec = this.virtualRecord(b, key, size, opts.contentType, opts.metadata);
    // Another version of the same key and size (the provider republished it): other bytes, another ETag.
    if (opts.version !== undefined) {
      rec.etag = virtualEtag(`${key}#${opts.version}`, size);
      rec.content = virtualContent(`${key}#${opts.version}:${size}`, size);
    }
    const sc = opts.storageClass;
    if (sc !== undefined && !(STORAGE_CLASSES as readonly string[]).includes(sc)) throw new Error(`unknown storage class ${JSON.stringify(sc)} (one of ${STORAGE_CLASSES.join(", ")})`);
    if (sc !== undefined && sc !== "STANDARD") rec.storageClass = sc;
    b.put(rec);
  }

  /** The organisation an account is in (aws:PrincipalOrgID / aws:ResourceOrgID), if any. */
  orgOf(accountId: string): string | undefined {
    return accountId === this.cfg.accountId ? this.cfg.orgId : undefined;
  }

  /**
   * PutBucketPolicy / DeleteBucketPolicy (undefined). Throws Error("...") when the document is malformed, and S3's
   * AccessDenied (an S3Error) when Block Public Access refuses a public policy (`callerArn` names the caller in it).
   */
  setBucketPolicy(b: Bucket, doc: string | object | undefined, callerArn = this.cfg.baseArn): void {
    if (doc === undefined) {
      b.policy = undefined;
      return;
    }
    const text = typeof doc === "string" ? doc : JSON.stringify(doc);
    const parsed = parsePolicy(text);
    // S3 API reference, PutBucketPolicy / bucket policy examples: a bucket policy names its principals.
    if (parsed.statements.some((s) => s.principals === undefined && s.notPrincipals === undefined)) throw new Error("Missing required field Principal");
    if (b.publicAccessBlock?.BlockPublicPolicy && publicStatement(parsed)) throw publicPolicyBlocked(callerArn, b.name);
    b.policy = { text, parsed };
  }

  expireAllTokens(): number {
    const t = this.now() - 1000;
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.expiresAt > t) {
        s.expiresAt = t;
        n++;
      }
    }
    return n;
  }
}

/** "${bucket}" and "${roleArn}" in a policy given to the emulator are filled in per destination bucket. */
function fillPlaceholders(doc: string | object, bucket: string, roleArn: string): string {
  const text = typeof doc === "string" ? doc : JSON.stringify(doc);
  return text.split("${bucket}").join(bucket).split("${roleArn}").join(roleArn);
}
