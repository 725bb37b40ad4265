import { writeFile } from "node:fs/promises";
import { ensureWritableDir } from "../../state/output-paths.js";
import { join, resolve } from "node:path";
import { Command } from "commander";
import {
  applyCommands,
  BUCKET_POLICY_FILE,
  bucketPolicy,
  IAM_POLICY_FILE,
  iamPolicy,
  kmsKeyPolicyStatement,
  multipartBucketPolicy,
  ownershipCommand,
  policyJson,
} from "../../setup/policies.js";
import { EXIT, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions } from "../options.js";
import { roleArnOf } from "../session.js";

interface PolicyFlags {
  bucketPolicy?: boolean;
  iamPolicy?: boolean;
  allowMultipart?: boolean;
  kmsKeyPolicy?: boolean;
  outDir?: string;
}

const EXAMPLES = `
Examples:
  flexcopy policy --account-id 123456789012 --dest-bucket my-flex-bucket
  flexcopy policy --bucket-policy > bucket-policy.json
  aws s3api put-bucket-policy --bucket my-flex-bucket --policy file://bucket-policy.json
  flexcopy policy --iam-policy > iam-policy.json
  aws iam create-policy --policy-name flexcopy-assume-jpx-role --policy-document file://iam-policy.json
  flexcopy policy --out-dir ./policies       writes bucket-policy.json and iam-policy.json

The bucket policy (manual step 1-2) can be saved only after JPX has told you that their setup is
complete (about 5 business days after you sent your account id and bucket name): before that, S3
rejects it because the provider's role does not exist yet.

--allow-multipart: the manual's policy lets the provider's role write only requests that carry
x-amz-acl: bucket-owner-full-control. Multipart copies (UploadPartCopy, CompleteMultipartUpload) cannot
carry it, so S3 denies them (aws/aws-cli#1674) and flexcopy copies every object with CopyObject, which
cannot copy objects over 5 GiB. --allow-multipart adds a statement letting the role upload parts, complete,
abort and list parts, and asks you to set Object Ownership to BucketOwnerEnforced first: then every object
in the bucket belongs to you whatever header the request carried, which is what the ACL condition protected.
Trade-off: BucketOwnerEnforced disables ACLs for the whole bucket (use a dedicated bucket if others rely on them).
  flexcopy policy --allow-multipart --dest-bucket my-flex-bucket   both steps, with the commands to apply them
The IAM policy (step 1-3) goes on the IAM user or role whose credentials run flexcopy.

--kms-key-policy: only for --sse aws:kms (a bucket policy that demands SSE-KMS). Prints the statement to add
to your KMS key's policy so the provider's role may encrypt with the key. Cross-account use of a KMS key also
needs the role's own IAM policy to allow it, and that policy is JPX's: ask them, or use --sse AES256.

Exit codes: 0 printed or written, 2 missing or invalid --account-id / --dest-bucket.`;

export function policyCommand(): Command {
  const cmd = new Command("policy")
    .description("print the bucket policy (manual step 1-2) and IAM policy (step 1-3) filled in for your account and bucket")
    .option("--bucket-policy", "print only the destination bucket policy (bare JSON)")
    .option("--iam-policy", "print only the IAM policy allowing sts:AssumeRole on the provider's role (bare JSON)")
    .option("--allow-multipart", "the bucket policy also lets the role finish multipart copies (needed for objects over 5 GiB; faster for large ones); requires Object Ownership BucketOwnerEnforced, printed too")
    .option("--kms-key-policy", "print the statement your KMS key's policy needs for --sse aws:kms (bare JSON)")
    .option("--out-dir <dir>", `write ${BUCKET_POLICY_FILE} and ${IAM_POLICY_FILE} into this directory`)
    .option("--debug", "print stack traces of unexpected errors");
  withConfigOptions(cmd);
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(async (flags: PolicyFlags, self: Command) => {
    process.exitCode = await policy(flags, self);
  });
  return cmd;
}

async function policy(flags: PolicyFlags, self: Command): Promise<number> {
  const config = await commandConfig(self);
  if (flags.kmsKeyPolicy) {
    if (flags.bucketPolicy || flags.iamPolicy || flags.outDir !== undefined) throw new UsageError("--kms-key-policy prints one statement on its own: leave out --bucket-policy, --iam-policy and --out-dir");
    process.stdout.write(`${JSON.stringify(kmsKeyPolicyStatement(roleArnOf(config)), null, 2)}\n`);
    return EXIT.ok;
  }
  // Neither flag (or both): both policies.
  const both = flags.bucketPolicy === flags.iamPolicy;
  const wantBucket = both || flags.bucketPolicy === true;
  const wantIam = both || flags.iamPolicy === true;
  const roleArn = roleArnOf(config);
  const bucket = config.destBucket;
  if (wantBucket && !bucket) {
    throw new UsageError(
      "--dest-bucket is required for the bucket policy (your bucket from step 1-1; or set FLEXCOPY_DEST_BUCKET, or destBucket in flexcopy.config.json)",
    );
  }
  const docs: { file: string; title: string; text: string }[] = [];
  if (wantBucket && bucket) {
    const doc = flags.allowMultipart ? multipartBucketPolicy(roleArn, bucket) : bucketPolicy(roleArn, bucket);
    const title = flags.allowMultipart ? `bucket policy for s3://${bucket} (manual step 1-2, with multipart copies allowed)` : `bucket policy for s3://${bucket} (manual step 1-2)`;
    docs.push({ file: BUCKET_POLICY_FILE, title, text: policyJson(doc) });
  }
  if (wantIam) {
    docs.push({ file: IAM_POLICY_FILE, title: "IAM policy for the user or role that runs flexcopy (manual step 1-3)", text: policyJson(iamPolicy(roleArn)) });
  }
  const out = (s: string) => process.stdout.write(s);

  if (flags.outDir !== undefined) {
    const dir = ensureWritableDir("--out-dir", resolve(process.cwd(), flags.outDir), 0o755);
    try {
      for (const d of docs) await writeFile(join(dir, d.file), d.text);
    } catch (err) {
      throw new UsageError(`--out-dir: cannot write to ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const paths = Object.fromEntries(docs.map((d) => [d.file, join(dir, d.file)]));
    for (const d of docs) out(`wrote ${join(dir, d.file)}: ${d.title}\n`);
    const next = applyCommands(bucket, { bucketPolicy: paths[BUCKET_POLICY_FILE], iamPolicy: paths[IAM_POLICY_FILE] }, flags.allowMultipart);
    if (next.length > 0) out(`next:\n${next.map((c) => `  ${c}\n`).join("")}`);
    return EXIT.ok;
  }

  if (docs.length === 1) {
    out(docs[0]!.text); // bare JSON, pipeable
    return EXIT.ok;
  }
  if (flags.allowMultipart && bucket) {
    out(`# first, Object Ownership "bucket owner enforced" (every object in s3://${bucket} is yours; ACLs are disabled):\n#   ${ownershipCommand(bucket)}\n`);
  }
  for (const d of docs) out(`# ${d.title}\n${d.text}\n`);
  out(`# apply (or write both files with --out-dir <dir>):\n`);
  const mp = flags.allowMultipart ? " --allow-multipart" : "";
  if (wantBucket) {
    if (flags.allowMultipart && bucket) out(`#   ${ownershipCommand(bucket)}\n`);
    out(`#   flexcopy policy --bucket-policy${mp} > ${BUCKET_POLICY_FILE} && aws s3api put-bucket-policy --bucket ${bucket} --policy file://${BUCKET_POLICY_FILE}\n`);
  }
  out(`#   flexcopy policy --iam-policy > ${IAM_POLICY_FILE} && aws iam create-policy --policy-name flexcopy-assume-jpx-role --policy-document file://${IAM_POLICY_FILE}\n`);
  return EXIT.ok;
}
