/** `flexcopy doctor --write-test`: one small real copy through the engine's single-copy path. */
import { OWNER_FULL_CONTROL } from "../aws/acl.js";
import { isAuthFailure } from "../aws/classify.js";
import { writeOptions } from "../config/schema.js";
import { formatBytes } from "../config/sizes.js";
import { cleanupCommand, copyOne } from "../engine/copy.js";
import { abortUpload, type UploadAccess } from "../engine/uploads.js";
import { listObjects, type Listing } from "../engine/listing.js";
import { MultipartGate } from "../engine/strategy.js";
import type { ObjInfo } from "../engine/storage.js";
import { doctorListing, errorText, fail, FIXED_CREDENTIALS, pass, skip, warn, type Step } from "./doctor.js";
import type { DoctorContext } from "./doctor-checks.js";
import { MERGE, MERGE_MULTIPART } from "./doctor-advice.js";

export const writeTestCheck: Step<DoctorContext> = {
  name: "write test",
  needs: ["source bucket", "destination access"],
  run: async (ctx) => {
    if (!ctx.writeTest) return skip(`not run: add --write-test to copy one small object with ACL ${OWNER_FULL_CONTROL}`);
    const c = ctx.config!;
    const { store, requester } = doctorListing(ctx.role!.s3, c.maxAttempts, ctx.role!.refresher, writeOptions(c));
    const obj = await smallestObject({ store, requester }, c.sourceBucket, ["ConnectionSpec/", "testdata/"]);
    if (!obj) return skip("skipped: no object under ConnectionSpec/ or testdata/ to copy");
    try {
      await copyOne(
        {
          store,
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
      if (isAuthFailure(cause)) {
        return fail(
          `${errorText(cause)}: copying ${obj.key} into s3://${c.destBucket} was refused`,
          `the bucket policy must allow s3:PutObject and s3:PutObjectAcl for the provider's role with the condition s3:x-amz-acl = ${OWNER_FULL_CONTROL}, and no Deny of it may refuse the role (the "policy" lines above name the statement); do not replace a policy you have: ${MERGE}`,
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
    // Whoever could abort the test upload reads the bucket policy too: the manual's own IAM user (sts:AssumeRole
    // only) can do neither, and under the manual's policy the role may not abort, so the upload would stay.
    if (!ctx.policyFacts) {
      return skip(
        "skipped: your credentials cannot read the bucket policy, so they could likely not abort a test upload either (it would stay in your bucket); run it with the bucket owner's credentials (--profile)",
      );
    }
    const c = ctx.config!;
    const role = doctorListing(ctx.role!.s3, c.maxAttempts, ctx.role!.refresher, writeOptions(c));
    const store = role.store;
    const obj = ctx.writeTestObject;
    const key = `${obj.key}.flexcopy-doctor-multipart-test`;
    // Your own credentials (the bucket owner's) may abort what the role may not; not with --credentials env.
    const via: UploadAccess = { ...role, destBucket: c.destBucket! };
    if (c.credentials !== "env") via.owner = doctorListing(ctx.baseS3, c.maxAttempts, FIXED_CREDENTIALS);
    let uploadId: string | undefined;
    try {
      uploadId = (await store.createMultipartUpload({ bucket: c.destBucket!, key, head: {} })).uploadId;
      const last = Math.max(0, Math.min(obj.size, 1024 * 1024) - 1);
      await store.uploadPartCopy({ bucket: c.destBucket!, key, uploadId: uploadId!, partNumber: 1, from: { bucket: c.sourceBucket, key: obj.key }, range: `bytes=0-${last}` });
    } catch (err) {
      const removed = uploadId === undefined || (await abortUpload(via, key, uploadId));
      const left = removed ? "" : `; the test upload could not be aborted: ${cleanupCommand(c.destBucket!, key)}`;
      if (isAuthFailure(err)) {
        // Not a failure: flexcopy copies every object up to 5 GiB with CopyObject (the "policy multipart" lines say why).
        return warn(`${errorText(err)}: the role may not copy parts into s3://${c.destBucket}: objects over 5 GiB cannot be copied (everything up to 5 GiB is, with CopyObject)${left}`, `only if you need objects over 5 GiB: ${MERGE_MULTIPART}`);
      }
      return fail(`${errorText(err)}: multipart test copy of ${obj.key}${left}`, "run flexcopy doctor --write-test again");
    }
    const removed = await abortUpload(via, key, uploadId!);
    if (!removed) return warn(`parts are allowed, but the test upload could not be aborted`, cleanupCommand(c.destBucket!, key));
    return pass(`copied part 1 of a multipart copy of ${obj.key} and aborted it: multipart copies work`);
  },
};

/** The smallest object under the first of the prefixes that has any (its first 5,000 objects at most: a few pages). */
async function smallestObject(l: Listing, bucket: string, prefixes: string[]): Promise<ObjInfo | undefined> {
  for (const prefix of prefixes) {
    let best: ObjInfo | undefined;
    let seen = 0;
    for await (const o of listObjects(l, bucket, prefix, "source")) {
      if (!best || o.size < best.size) best = o;
      if (++seen >= 5000) break;
    }
    if (best) return best;
  }
  return undefined;
}
