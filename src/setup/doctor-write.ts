/** `flexcopy doctor --write-test`: one small real copy through the engine's single-copy path. */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { OWNER_FULL_CONTROL } from "../aws/acl.js";
import { formatBytes } from "../config/sizes.js";
import { copyOne } from "../engine/copy.js";
import { Requester } from "../engine/request.js";
import { MultipartGate } from "../engine/strategy.js";
import type { ObjInfo } from "../engine/skip.js";
import { errorText, fail, isAccessDenied, pass, skip, type Step } from "./doctor.js";
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
    return pass(`copied ${obj.key} (${formatBytes(obj.size)}) into s3://${c.destBucket} with ACL ${OWNER_FULL_CONTROL}`);
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
