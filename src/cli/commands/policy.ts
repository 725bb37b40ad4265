import { writeFile } from "node:fs/promises";
import { FileReadError, readRegularFile } from "../../config/read-file.js";
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
import { checkMerge, mergePolicy, readPolicy, type MergeOptions, type RawPolicy } from "../../setup/policy-merge.js";
import { putBucketPolicy, readBucketPolicy, readOwnership, writeBackup } from "../../setup/policy-apply.js";
import { sseHeaders } from "../../setup/doctor-policy.js";
import { errorText } from "../../setup/doctor.js";
import { isAuthFailure } from "../../aws/classify.js";
import { makeS3Client } from "../../aws/clients.js";
import { baseCredentials } from "../../aws/credentials.js";
import type { FlexConfig } from "../../config/schema.js";
import { AuthError, EXIT, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions } from "../options.js";
import { clientSettings, registering, roleArnOf } from "../session.js";

interface PolicyFlags {
  bucketPolicy?: boolean;
  iamPolicy?: boolean;
  allowMultipart?: boolean;
  kmsKeyPolicy?: boolean;
  outDir?: string;
  merge?: string;
  mergeCurrent?: boolean;
  apply?: boolean;
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

Your bucket already has a policy (step 1-2 on a bucket in use): merge, do not replace it.
  flexcopy policy --merge-current --dest-bucket my-flex-bucket > merged.json   yours + the manual's, on stdout
  flexcopy policy --merge mine.json          the same from a file ('-': stdin)
  flexcopy policy --apply --dest-bucket my-flex-bucket   check it, save the old policy to a file, then write it
Every statement of yours is kept; the manual's statements are added once (merging again changes nothing);
a Deny of yours that would refuse the provider's role gets only "ArnNotLike aws:PrincipalArn <role>" added, so
it decides as before for everyone else. stderr says what was added and why, one line each. --apply first
evaluates the result: the role may list and copy with the ACL, its writes without the ACL are still refused
(unless Object Ownership is BucketOwnerEnforced), and each of your statements decides as before for other
principals; if not, it writes nothing (exit 1). Details: docs/bucket-policy.md.

Exit codes: 0 printed or written, 1 a check of the merged policy failed (nothing written), 2 missing or invalid
--account-id / --dest-bucket / --merge file, 3 your credentials may not read or write the bucket policy.`;

export function policyCommand(): Command {
  const cmd = new Command("policy")
    .description("print the bucket policy (manual step 1-2) and IAM policy (step 1-3) filled in for your account and bucket")
    .option("--bucket-policy", "print only the destination bucket policy (bare JSON)")
    .option("--iam-policy", "print only the IAM policy allowing sts:AssumeRole on the provider's role (bare JSON)")
    .option("--allow-multipart", "the bucket policy also lets the role finish multipart copies (needed for objects over 5 GiB; faster for large ones); requires Object Ownership BucketOwnerEnforced, printed too")
    .option("--kms-key-policy", "print the statement your KMS key's policy needs for --sse aws:kms (bare JSON)")
    .option("--out-dir <dir>", `write ${BUCKET_POLICY_FILE} and ${IAM_POLICY_FILE} into this directory (with --apply: where the backup of the previous policy goes; default: the current directory)`)
    .option("--merge <file>", "print your bucket policy from FILE ('-': stdin) merged with the manual's: yours kept, the manual's added once, your Deny statements exempting only the provider's role")
    .option("--merge-current", "as --merge, with the bucket's current policy (read with your credentials; none: the manual's)")
    .option("--apply", "as --merge-current, then check the result, save the previous policy to a new file and write the merged one to the bucket")
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
  if (flags.merge !== undefined || flags.mergeCurrent || flags.apply) return merge(flags, config);
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

/** `--merge FILE|-`, `--merge-current`, `--apply`: one policy, yours and the manual's (setup/policy-merge.ts). */
async function merge(flags: PolicyFlags, config: FlexConfig): Promise<number> {
  const modes = [flags.merge !== undefined, flags.mergeCurrent === true, flags.apply === true].filter(Boolean).length;
  if (modes > 1) throw new UsageError("give one of --merge FILE, --merge-current or --apply");
  if (flags.iamPolicy || flags.kmsKeyPolicy) throw new UsageError("--merge, --merge-current and --apply print or write the bucket policy only: leave out --iam-policy and --kms-key-policy");
  if (flags.outDir !== undefined && !flags.apply) throw new UsageError("--out-dir goes with --apply (where the previous policy is saved); --merge prints on stdout");
  const bucket = config.destBucket;
  if (!bucket) throw new UsageError("--dest-bucket is required to merge the bucket policy (or set FLEXCOPY_DEST_BUCKET, or destBucket in flexcopy.config.json)");
  const roleArn = roleArnOf(config);
  const o: MergeOptions = { roleArn, bucket, allowMultipart: flags.allowMultipart === true, resourceAccount: config.accountId ?? "", sse: sseHeaders(config) };
  const err = (s: string) => process.stderr.write(`${s}\n`);

  let original: RawPolicy | undefined;
  let ownership: string | undefined;
  let s3: ReturnType<typeof makeS3Client> | undefined;
  let text: string | undefined;
  if (flags.merge !== undefined) {
    text = await readInput(flags.merge);
    original = parseInput(`--merge ${flags.merge}`, text);
    // Not read from the bucket: --allow-multipart is applied after BucketOwnerEnforced (printed below).
    ownership = o.allowMultipart ? "BucketOwnerEnforced" : undefined;
  } else {
    s3 = makeS3Client(clientSettings(config), registering(baseCredentials(config.profile)));
    try {
      text = await readBucketPolicy(s3, bucket);
    } catch (e) {
      if (isAuthFailure(e)) throw new AuthError(`your credentials may not read the bucket policy of s3://${bucket} (${errorText(e)})`, "run with the bucket owner's credentials (--profile), which may call s3:GetBucketPolicy");
      throw new Error(`cannot read the bucket policy of s3://${bucket}: ${errorText(e)}`);
    }
    original = parseInput(`the bucket policy of s3://${bucket}`, text);
    ownership = await readOwnership(s3, bucket);
  }

  const result = mergePolicy(original, o);
  const failures = [...result.unmet, ...checkMerge(original, result.policy, { ...o, ...(ownership !== undefined ? { ownership } : {}) })];
  if (failures.length > 0) throw new Error(`the merged policy is not safe to apply, nothing ${flags.apply ? "written" : "printed"}: ${failures[0]}`);
  for (const line of result.added) err(line);
  if (!result.changed) err("nothing to add: the policy already has the manual's statements and lets the provider's role list and copy");
  const json = policyJson(result.policy as unknown as Parameters<typeof policyJson>[0]);
  if (!flags.apply) {
    if (flags.allowMultipart && flags.merge !== undefined) err(`apply it after Object Ownership BucketOwnerEnforced: ${ownershipCommand(bucket)}`);
    process.stdout.write(json);
    return EXIT.ok;
  }
  if (!result.changed) {
    process.stdout.write(`s3://${bucket}: nothing to change, the policy was not written\n`);
    return EXIT.ok;
  }
  if (text !== undefined) {
    const dir = ensureWritableDir("--out-dir", resolve(process.cwd(), flags.outDir ?? "."), 0o755);
    const saved = writeBackup(dir, bucket, text, new Date());
    process.stdout.write(`saved the previous policy of s3://${bucket} to ${saved} (to restore it: aws s3api put-bucket-policy --bucket ${bucket} --policy file://${saved})\n`);
  } else {
    process.stdout.write(`s3://${bucket} had no bucket policy (to remove the new one: aws s3api delete-bucket-policy --bucket ${bucket})\n`);
  }
  try {
    await putBucketPolicy(s3!, bucket, json);
  } catch (e) {
    if (isAuthFailure(e)) throw new AuthError(`your credentials may not write the bucket policy of s3://${bucket} (${errorText(e)})`, "run with the bucket owner's credentials (--profile), which may call s3:PutBucketPolicy");
    throw new Error(`PutBucketPolicy on s3://${bucket} failed: ${errorText(e)}`);
  }
  process.stdout.write(`applied the merged policy to s3://${bucket} (${result.policy.Statement.length} statements)\n`);
  return EXIT.ok;
}

/** Far above S3's 20 KB limit on a bucket policy (S3 User Guide, bucket policies), far below what could hurt. */
const MAX_POLICY_FILE_BYTES = 2 ** 20;

async function readInput(file: string): Promise<string> {
  if (file === "-" && process.stdin.isTTY) throw new UsageError("--merge -: stdin is a terminal: pipe your policy in (… | flexcopy policy --merge -), or name its file");
  let text: string;
  try {
    // a regular file only, with a cap (a FIFO would hang, /dev/zero fill the memory): S3 takes policies up to 20 KB
    if (file !== "-") text = readRegularFile(file, MAX_POLICY_FILE_BYTES);
    else {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      text = Buffer.concat(chunks).toString("utf8");
    }
  } catch (e) {
    if (e instanceof FileReadError) throw new UsageError(`--merge ${file}: cannot read it (${e.code === "ENOENT" ? "ENOENT" : e.reason})`);
    throw new UsageError(`--merge ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  // Empty is a mistake, not "no policy": a command before the pipe that failed (say, get-bucket-policy refused)
  // would otherwise turn into the manual's policy alone, and applying it would delete the customer's.
  if (text.trim() === "") {
    throw new UsageError(`--merge ${file}: ${file === "-" ? "stdin" : "the file"} is empty, so there is nothing to merge (did the command before it fail?); for a bucket without a policy: flexcopy policy --merge-current`);
  }
  return text;
}

function parseInput(what: string, text: string | undefined): RawPolicy | undefined {
  try {
    return readPolicy(text);
  } catch (e) {
    throw new UsageError(`${what} is not a bucket policy S3 accepts: ${(e as Error).message}`);
  }
}
