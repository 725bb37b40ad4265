// Bucket policy and Object Ownership APIs (authorised in router.ts like every operation; the bucket policy APIs
// answer 405 to other accounts, see access/authorize.ts).
// - GetBucketPolicy on a bucket without one: 404 NoSuchBucketPolicy. PutBucketPolicy with an invalid document:
//   400 MalformedPolicy. DeleteBucketPolicy: 204. (S3 API reference, and the error code list.)
// - Get/Put/DeletePublicAccessBlock: the bucket's Block Public Access settings (access/public-policy.ts), which
//   PutBucketPolicy obeys.
// - Get/PutBucketOwnershipControls: <OwnershipControls><Rule><ObjectOwnership>…</ObjectOwnership></Rule>.
//   S3 always answers GetBucketOwnershipControls for buckets created since April 2023; a bucket whose setting
//   was never written answers OwnershipControlsNotFoundError — the emulator always has a value.
import { S3Error, malformedXml } from "../errors.js";
import { send, sendXml, type Ctx } from "../http.js";
import type { Bucket } from "../store.js";
import type { ObjectOwnership } from "../types.js";
import { esc, parseXml, s3Doc, text } from "../xml.js";
import { SSE_ALGORITHMS, type SseAlgorithm } from "../access/encryption.js";
import { PAB_FIELDS, publicAccessBlock } from "../access/public-policy.js";

/** GetBucketEncryption: every bucket has a default (SSE-S3 unless set otherwise). */
export function getBucketEncryption(ctx: Ctx, b: Bucket): void {
  const e = b.encryption;
  const key = e.kmsKeyId === undefined ? "" : `<KMSMasterKeyID>${esc(e.kmsKeyId)}</KMSMasterKeyID>`;
  sendXml(
    ctx,
    s3Doc("ServerSideEncryptionConfiguration", `<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${e.algorithm}</SSEAlgorithm>${key}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>`),
  );
}

/** PutBucketEncryption: <ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>… */
export function putBucketEncryption(ctx: Ctx, b: Bucket): void {
  const doc = parseXml(ctx.body)?.ServerSideEncryptionConfiguration as Record<string, unknown> | undefined;
  const rule = doc?.Rule;
  const first = (Array.isArray(rule) ? rule[0] : rule) as Record<string, unknown> | undefined;
  const def = first?.ApplyServerSideEncryptionByDefault as Record<string, unknown> | undefined;
  const algorithm = text(def?.SSEAlgorithm)?.trim() as SseAlgorithm | undefined;
  if (!algorithm || !SSE_ALGORITHMS.has(algorithm)) throw malformedXml();
  const key = text(def?.KMSMasterKeyID)?.trim();
  b.encryption = key ? { algorithm, kmsKeyId: key } : { algorithm };
  send(ctx, 200, undefined);
}

const OWNERSHIPS = new Set<ObjectOwnership>(["ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced"]);

export function getBucketPolicy(ctx: Ctx, b: Bucket): void {
  if (!b.policy) throw new S3Error(404, "NoSuchBucketPolicy", "The bucket policy does not exist", { BucketName: b.name });
  send(ctx, 200, b.policy.text, { "content-type": "application/json" });
}

export function putBucketPolicy(ctx: Ctx, b: Bucket): void {
  const text = ctx.body.toString("utf8");
  try {
    ctx.st.setBucketPolicy(b, text, ctx.principal.arn);
  } catch (e) {
    if (e instanceof S3Error) throw e; // Block Public Access (access/public-policy.ts)
    throw new S3Error(400, "MalformedPolicy", (e as Error).message);
  }
  send(ctx, 204, undefined);
}

export function deleteBucketPolicy(ctx: Ctx, b: Bucket): void {
  b.policy = undefined;
  send(ctx, 204, undefined);
}

export function getBucketOwnershipControls(ctx: Ctx, b: Bucket): void {
  sendXml(ctx, s3Doc("OwnershipControls", `<Rule><ObjectOwnership>${b.ownership}</ObjectOwnership></Rule>`));
}

export function putBucketOwnershipControls(ctx: Ctx, b: Bucket): void {
  const doc = parseXml(ctx.body)?.OwnershipControls as Record<string, unknown> | undefined;
  const rule = doc?.Rule;
  const first = (Array.isArray(rule) ? rule[0] : rule) as Record<string, unknown> | undefined;
  const value = text(first?.ObjectOwnership)?.trim() as ObjectOwnership | undefined;
  if (!value || !OWNERSHIPS.has(value)) throw malformedXml();
  b.ownership = value;
  send(ctx, 200, undefined);
}

/** GetPublicAccessBlock: 404 NoSuchPublicAccessBlockConfiguration when none is set (S3 API Reference). */
export function getPublicAccessBlock(ctx: Ctx, b: Bucket): void {
  const c = b.publicAccessBlock;
  if (!c) throw new S3Error(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", { BucketName: b.name });
  sendXml(ctx, s3Doc("PublicAccessBlockConfiguration", PAB_FIELDS.map((f) => `<${f}>${c[f]}</${f}>`).join("")));
}

/** PutPublicAccessBlock: each setting omitted is false (S3 API Reference, PublicAccessBlockConfiguration). */
export function putPublicAccessBlock(ctx: Ctx, b: Bucket): void {
  const doc = parseXml(ctx.body)?.PublicAccessBlockConfiguration as Record<string, unknown> | undefined;
  if (doc === undefined || typeof doc !== "object") throw malformedXml();
  const c = publicAccessBlock(false);
  for (const f of PAB_FIELDS) {
    const v = text(doc[f])?.trim().toLowerCase();
    if (v !== undefined && v !== "true" && v !== "false") throw malformedXml();
    c[f] = v === "true";
  }
  b.publicAccessBlock = c;
  send(ctx, 200, undefined);
}

export function deletePublicAccessBlock(ctx: Ctx, b: Bucket): void {
  b.publicAccessBlock = undefined;
  send(ctx, 204, undefined);
}
