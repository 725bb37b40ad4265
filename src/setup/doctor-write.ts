/** `flexcopy doctor --write-test`: one small real copy through the engine's single-copy path. */
import { CreateMultipartUploadCommand, ListObjectsV2Command, UploadPartCopyCommand, type S3Client } from "@aws-sdk/client-s3";
import { OWNER_FULL_CONTROL } from "../aws/acl.js";
import { formatBytes } from "../config/sizes.js";
import { cleanupCommand, copyOne, copySource } from "../engine/copy.js";
import { abortUpload, type UploadAccess } from "../engine/uploads.js";
import type { CredentialRefresher } from "../engine/request.js";
import { Requester } from "../engine/request.js";
import { MultipartGate } from "../engine/strategy.js";
import type { ObjInfo } from "../engine/skip.js";
import { errorText, fail, isAccessDenied, pass, skip, warn, type Step } from "./doctor.js";
import type { DoctorContext } from "./doctor-checks.js";

export const writeTestCheck: Step<DoctorContext> = {
  name: "write test",
  needs: ["source bucket", "destination access"],
  run: async (ctx) => {
    if (!ctx.writeTest) return skip(`not run: add --write-test to copy one small object with ACL ${OWNER_FULL_CONTROL}`);
    const c = ctx.config!;
    const s3 = ctx.role!.s3;
    const obj = await smallestObject(s3, c.sourceBucket, ["ConnectionSpec/", "testdata/"]);
    if (!obj) return skip("skipped: no object under ConnectionSpec/ or testdata/ to copy");
    const requester = new Requester({ concurrency: 1, maxAttempts: c.maxAttempts, credentials: ctx.role!.refresher, emit: () => undefined });
    try {
      await copyOne(
        {
          s3,
          requester,
          sourceBucket: c.sourceBucket,
          destBucket: c.destBucket!,
          partSize: c.partSize,
          multipartThreshold: c.multipartThreshold,
          gate: new MultipartGate({ multipartThreshold: c.multipartThreshold, canCleanUp: false, initial: "denied" }),
          emit: () => undefined,
        },
        obj,
      );
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      if (isAccessDenied(cause)) {
        return fail(
          `${errorText(cause)}: copying ${obj.key} into s3://${c.destBucket} was refused`,
          `the bucket policy must allow s3:PutObject and s3:PutObjectAcl for the provider's role with the condition s3:x-amz-acl = ${OWNER_FULL_CONTROL}: re-apply \`flexcopy policy --bucket-policy\` (step 1-2)`,
        );
      }
      return fail(`${errorText(cause)}: copying ${obj.key}`, "run flexcopy doctor --write-test again; if it persists, try `flexcopy fetch` with --verbose");
    }
    ctx.writeTestObject = obj;
    return pass(`copied ${obj.key} (${formatBytes(obj.size)}) into s3://${c.destBucket} with ACL ${OWNER_FULL_CONTROL}`);
  },
};

/**
 * `--write-test`, multipart: start a real multipart copy of the same small object into a scratch key, copy its
 * first bytes as part 1, then abort (with your own credentials first: the role may not). Nothing is completed.
 */
export const multipartWriteTestCheck: Step<DoctorContext> = {
  name: "write test multipart",
  needs: ["write test"],
  run: async (ctx) => {
    if (!ctx.writeTest || !ctx.writeTestObject) return skip("not run: add --write-test");
    const c = ctx.config!;
    const s3 = ctx.role!.s3;
    const obj = ctx.writeTestObject;
    const key = `${obj.key}.flexcopy-doctor-multipart-test`;
    // Your own credentials (the bucket owner's) may abort what the role may not; not with --credentials env.
    const requester = (credentials: CredentialRefresher) => new Requester({ concurrency: 1, maxAttempts: c.maxAttempts, credentials, emit: () => undefined });
    const fixed: CredentialRefresher = { currentKeyId: undefined, refreshRejected: async () => false };
    const via: UploadAccess = { s3, requester: requester(ctx.role!.refresher), destBucket: c.destBucket! };
    if (c.credentials !== "env") via.owner = { s3: ctx.baseS3, requester: requester(fixed) };
    let uploadId: string | undefined;
    try {
      uploadId = (await s3.send(new CreateMultipartUploadCommand({ Bucket: c.destBucket!, Key: key, ACL: OWNER_FULL_CONTROL }))).UploadId;
      const last = Math.max(0, Math.min(obj.size, 1024 * 1024) - 1);
      await s3.send(new UploadPartCopyCommand({ Bucket: c.destBucket!, Key: key, UploadId: uploadId, PartNumber: 1, CopySource: copySource(c.sourceBucket, obj.key), CopySourceRange: `bytes=0-${last}` }));
    } catch (err) {
      const removed = uploadId === undefined || (await abortUpload(via, key, uploadId));
      const left = removed ? "" : `; the test upload could not be aborted: ${cleanupCommand(c.destBucket!, key)}`;
      if (isAccessDenied(err)) {
        return fail(`${errorText(err)}: the role may not copy parts into s3://${c.destBucket}${left}`, "flexcopy policy --allow-multipart shows what to apply; without it flexcopy uses CopyObject and cannot copy objects over 5 GiB");
      }
      return fail(`${errorText(err)}: multipart test copy of ${obj.key}${left}`, "run flexcopy doctor --write-test again");
    }
    const removed = await abortUpload(via, key, uploadId!);
    if (!removed) return warn(`parts are allowed, but the test upload could not be aborted`, cleanupCommand(c.destBucket!, key));
    return pass(`copied part 1 of a multipart copy of ${obj.key} and aborted it: multipart copies work`);
  },
};

/** The smallest object under the first of the prefixes that has any (a few pages at most). */
async function smallestObject(s3: S3Client, bucket: string, prefixes: string[]): Promise<ObjInfo | undefined> {
  for (const prefix of prefixes) {
    let best: ObjInfo | undefined;
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith("/")) continue;
        if (!best || (o.Size ?? 0) < best.size) best = { key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && ++pages < 5);
    if (best) return best;
  }
  return undefined;
}
