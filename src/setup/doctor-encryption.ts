/**
 * `flexcopy doctor`: the destination's default encryption, read with your own credentials (GetBucketEncryption),
 * judged for copies written by the provider's role, a principal of another account (the rule: src/iam/kms.ts).
 * SSE-S3 just works; SSE-KMS with aws/s3 or a key not named by ARN fails; a customer managed key is a warning,
 * since neither its key policy nor the role's IAM policy can be read here. `--sse`/`--sse-kms-key-id` replace
 * the default for flexcopy's own writes, so they are judged instead.
 */
import { GetBucketEncryptionCommand } from "@aws-sdk/client-s3";
import { isAuthFailure } from "../aws/classify.js";
import { crossAccountKey } from "../iam/kms.js";
import { errorCode, errorText, fail, pass, skip, warn, type CheckOutcome, type Step } from "./doctor.js";
import type { DoctorContext } from "./doctor-checks.js";

const USE_SSE_S3 = (bucket: string) =>
  `use SSE-S3 for flexcopy's copies (--sse AES256), or make the default SSE-S3: aws s3api put-bucket-encryption --bucket ${bucket} --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'; or use a customer managed key by its full ARN whose key policy allows the provider's role`;

/** What SSE-KMS with `keyId` means for the provider's role writing into `bucket`. */
export function judgeKmsKey(bucket: string, roleArn: string, keyId: string | undefined, source: string): CheckOutcome {
  const kind = crossAccountKey(keyId);
  if (kind === "aws-managed") {
    return fail(`${source} is SSE-KMS with the AWS managed key aws/s3, which the provider's role (another account) cannot use: every copy would be refused`, USE_SSE_S3(bucket));
  }
  if (kind === "not-an-arn") {
    return fail(`${source} names the KMS key "${keyId}" without its full ARN: for the provider's role it is looked up in the provider's account, not yours`, `name the key by its ARN (arn:aws:kms:ap-northeast-1:<account>:key/<id>), or ${USE_SSE_S3(bucket)}`);
  }
  return warn(
    `${source} is SSE-KMS with ${keyId}: copies work only if the provider's role may use that key, which needs both its key policy and the role's own IAM policy (JPX's side) to allow it`,
    `add \`flexcopy policy --kms-key-policy\` to the key policy and ask JPX to allow ${roleArn} kms:GenerateDataKey and kms:Decrypt on ${keyId} (doctor cannot read either policy); or use SSE-S3 (--sse AES256). Check with flexcopy doctor --write-test`,
  );
}

export const encryptionCheck: Step<DoctorContext> = {
  name: "default encryption",
  needs: ["destination bucket"],
  run: async (ctx) => {
    const c = ctx.config!;
    const bucket = c.destBucket!;
    const roleArn = c.roleArn ?? "the provider's role";
    if (c.sse === "AES256") return pass("flexcopy's copies ask for SSE-S3 (--sse AES256), whatever the bucket's default");
    if (c.sse === "aws:kms") return judgeKmsKey(bucket, roleArn, c.sseKmsKeyId, "--sse aws:kms");
    let rule: { SSEAlgorithm?: string; KMSMasterKeyID?: string } | undefined;
    try {
      const out = await ctx.baseS3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
      rule = out.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
    } catch (err) {
      if (errorCode(err) === "ServerSideEncryptionConfigurationNotFoundError") return pass("no default encryption set: S3 encrypts new objects with SSE-S3");
      if (isAuthFailure(err)) return skip(`skipped: your credentials may not read the default encryption of s3://${bucket} (s3:GetEncryptionConfiguration)`);
      return warn(`${errorText(err)}: the default encryption could not be read`, "run flexcopy doctor again");
    }
    const algorithm = rule?.SSEAlgorithm ?? "AES256";
    if (algorithm === "AES256") return pass("SSE-S3: works for copies written by the provider's role");
    return judgeKmsKey(bucket, roleArn, rule?.KMSMasterKeyID, `the default encryption of s3://${bucket}`);
  },
};
