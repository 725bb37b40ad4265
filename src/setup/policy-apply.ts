/**
 * `flexcopy policy --merge-current` / `--apply`: the bucket's policy and Object Ownership read with your own
 * credentials (the bucket owner's: GetBucketPolicy, GetBucketOwnershipControls), the previous policy saved to
 * a new file, and PutBucketPolicy. The merge itself is policy-merge.ts (pure).
 */
import { GetBucketOwnershipControlsCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, type S3Client } from "@aws-sdk/client-s3";
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { errorCode } from "./doctor.js";

/** The bucket's policy as JSON text; undefined when it has none (S3 answers NoSuchBucketPolicy). Other errors are thrown. */
export async function readBucketPolicy(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    return (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (err) {
    if (errorCode(err) === "NoSuchBucketPolicy") return undefined;
    throw err;
  }
}

/** Object Ownership; "ObjectWriter" when never set (OwnershipControlsNotFoundError); undefined when it cannot be read. */
export async function readOwnership(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    return (await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }))).OwnershipControls?.Rules?.[0]?.ObjectOwnership;
  } catch (err) {
    return errorCode(err) === "OwnershipControlsNotFoundError" ? "ObjectWriter" : undefined;
  }
}

export async function putBucketPolicy(s3: S3Client, bucket: string, policy: string): Promise<void> {
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
}

/** `bucket-policy-backup-BUCKET-20261202T101500Z.json` in `dir`. */
export function backupName(bucket: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `bucket-policy-backup-${bucket}-${stamp}.json`;
}

/**
 * Writes `text` to a new file in `dir` (never over an existing one: `-2`, `-3`, … is added to the name).
 * Returns the path. Throws the file system's error when it cannot be written.
 */
export function writeBackup(dir: string, bucket: string, text: string, now: Date): string {
  const name = backupName(bucket, now);
  for (let n = 1; ; n++) {
    const path = join(dir, n === 1 ? name : name.replace(/\.json$/, `-${n}.json`));
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST" && n < 100) continue;
      throw err;
    }
    try {
      writeSync(fd, text.endsWith("\n") ? text : `${text}\n`);
    } finally {
      closeSync(fd);
    }
    return path;
  }
}
