// Statements of the bucket policies a cautious security team writes, shared by the tests of issue 16. They use
// the emulator's placeholders (`${bucket}`, replaced by the bucket's name when the emulator applies a policy).

/** The customer's organisation in the tests (the emulator's `orgId`); the provider's account is outside it. */
export const ORG = "o-a1b2c3d4e5";

export const BUCKET_ARNS = ["arn:aws:s3:::${bucket}", "arn:aws:s3:::${bucket}/*"];

/** AWS Config rule s3-bucket-ssl-requests-only (CIS 2.1.1): deny every request that is not over HTTPS. */
export const TLS_ONLY = { Sid: "AllowSSLRequestsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: BUCKET_ARNS, Condition: { Bool: { "aws:SecureTransport": "false" } } };

/**
 * The data-perimeter shape (AWS "Establishing a data perimeter on AWS", aws-samples/data-perimeter-policy-examples,
 * EnforceOrgIdentities): only principals of the organisation (and AWS services) may use the bucket.
 */
export const ORG_PERIMETER = {
  Sid: "EnforceOrgIdentities",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: BUCKET_ARNS,
  Condition: { StringNotEqualsIfExists: { "aws:PrincipalOrgID": ORG }, BoolIfExists: { "aws:PrincipalIsAWSService": "false" } },
};
