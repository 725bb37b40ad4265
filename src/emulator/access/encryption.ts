// Server-side encryption of writes, as far as access goes. A write is encrypted as its request says
// (x-amz-server-side-encryption, x-amz-server-side-encryption-aws-kms-key-id) or else as the bucket's default
// (GetBucketEncryption; every bucket has one, SSE-S3 unless set otherwise, since 2023-01-05: S3 User Guide,
// "Setting default server-side encryption behavior for Amazon S3 buckets"). With SSE-KMS, a principal of another
// account (the provider's role) may write only with a customer managed key named by its ARN, and only where that
// key's policy and the role's own IAM policy both allow it (the rule and its sources: src/iam/kms.ts). The
// emulator has no KMS and cannot read either policy, so it is told which keys the role may use (`kmsKeyGrants`);
// any other key is refused, so the emulator is never more permissive than AWS.
import { randomBytes } from "node:crypto";
import { crossAccountKey } from "../../iam/kms.js";
import { S3Error } from "../errors.js";
import { header, type Ctx } from "../http.js";
import type { Bucket } from "../store.js";

export type SseAlgorithm = "AES256" | "aws:kms" | "aws:kms:dsse";

export interface Encryption {
  algorithm: SseAlgorithm;
  kmsKeyId?: string;
}

export const SSE_ALGORITHMS = new Set<SseAlgorithm>(["AES256", "aws:kms", "aws:kms:dsse"]);

/** How a write to `b` would be encrypted: its own headers, else the bucket's default. */
export function writeEncryption(ctx: Ctx, b: Bucket): Encryption {
  const algorithm = header(ctx, "x-amz-server-side-encryption");
  if (algorithm === undefined) return b.encryption;
  if (!SSE_ALGORITHMS.has(algorithm as SseAlgorithm)) {
    throw new S3Error(400, "InvalidArgument", "The encryption method specified is not supported", { ArgumentName: "x-amz-server-side-encryption", ArgumentValue: algorithm });
  }
  const kmsKeyId = header(ctx, "x-amz-server-side-encryption-aws-kms-key-id");
  return kmsKeyId === undefined ? { algorithm: algorithm as SseAlgorithm } : { algorithm: algorithm as SseAlgorithm, kmsKeyId };
}

/** Refuses a write whose KMS key another account's principal cannot use (see the top of this file). */
export function checkWriteEncryption(ctx: Ctx, b: Bucket): Encryption {
  const e = writeEncryption(ctx, b);
  if (e.algorithm === "AES256" || ctx.principal.accountId === b.owner) return e;
  const kind = crossAccountKey(e.kmsKeyId);
  if (kind === "customer-managed" && ctx.st.kmsKeyGrants.has(e.kmsKeyId!)) return e;
  const key = e.kmsKeyId ?? `arn:aws:kms:${ctx.st.cfg.region}:${b.owner}:alias/aws/s3`;
  ctx.entry.denyReason =
    kind === "aws-managed"
      ? "SSE-KMS with the AWS managed key aws/s3, which another account's principal cannot use (its key policy cannot be changed)"
      : kind === "not-an-arn"
        ? `SSE-KMS key "${e.kmsKeyId}" is not a full key ARN, so it is looked up in the requester's account (${ctx.principal.accountId})`
        : `SSE-KMS key ${e.kmsKeyId} is not one the role may use (emulator option kmsKeyGrants: its key policy and the role's IAM policy must both allow it)`;
  ctx.entry.action = "kms:GenerateDataKey";
  throw new S3Error(403, "AccessDenied", `User: ${ctx.principal.arn} is not authorized to perform: kms:GenerateDataKey on resource: ${key}`);
}

/**
 * The ETag of a new object written whole: the MD5 of its data, except under SSE-KMS (and SSE-C), where "objects
 * created by the PUT Object, POST Object, or Copy operation ... have ETags that are not an MD5 digest of their
 * object data" (S3 API Reference, Object: ETag).
 */
export function wholeObjectEtag(e: Encryption, md5: string): string {
  return e.algorithm === "AES256" ? md5 : randomBytes(16).toString("hex");
}
