// Which KMS key another account's principal (the provider's role) can encrypt with when it writes into your
// bucket with SSE-KMS. One rule, used by the emulator (access/encryption.ts) and by doctor:
// - the AWS managed key aws/s3 (SSE-KMS without a key id, or alias/aws/s3) cannot be used: cross-account use of a
//   KMS key needs its key policy to allow the other account, and an AWS managed key's policy cannot be changed
//   (KMS Developer Guide, "Allowing users in other accounts to use a KMS key"; "AWS managed keys");
// - a key named by id or bare alias is looked up in the requester's account ("if you are using encryption with
//   cross-account operations, you must use a fully qualified KMS key ARN": S3 API Reference,
//   ServerSideEncryptionByDefault), so it is not your key;
// - a customer managed key named by its ARN works only if its key policy allows the role and the role's own IAM
//   policy (the provider's) allows it too: neither can be read from here.

export type CrossAccountKey = "aws-managed" | "not-an-arn" | "customer-managed";

const FULL_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/;

/** What SSE-KMS with `keyId` (undefined: none given) means for a principal of another account. */
export function crossAccountKey(keyId: string | undefined): CrossAccountKey {
  if (keyId === undefined || /(^|:)alias\/aws\/s3$/.test(keyId)) return "aws-managed";
  return FULL_KEY_ARN.test(keyId) ? "customer-managed" : "not-an-arn";
}
