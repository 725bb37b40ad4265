import { describe, expect, it } from "vitest";
import { defaultRoleArn } from "../config/schema.js";
import { applyCommands, bucketPolicy, iamPolicy, policyJson } from "./policies.js";

// Copied from the Japanese manual v4.0.2, "1-2. バケットポリシー（編集テンプレート）" and
// "IAMポリシー（編集テンプレート）", with the placeholders left in.
const MANUAL_BUCKET_POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "S3CopyStmtList",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_[バケットを作成したAWSアカウントID]"
        ]
      },
      "Action": "s3:ListBucket",
      "Resource": [
        "arn:aws:s3:::[バケット名]"
      ]
    },
    {
      "Sid": "S3CopyStmtPutObject",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_[バケットを作成したAWSアカウントID]"
        ]
      },
      "Action": [
        "s3:PutObject",
        "s3:PutObjectAcl"
      ],
      "Resource": [
        "arn:aws:s3:::[バケット名]",
        "arn:aws:s3:::[バケット名]/*"
      ],
      "Condition": {
        "StringEquals": {
          "s3:x-amz-acl": "bucket-owner-full-control"
        }
      }
    }
  ]
}`;

const MANUAL_IAM_POLICY = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": "sts:AssumeRole",
      "Effect": "Allow",
      "Resource": "arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_[バケットを作成したのAWSアカウントID]"
    }
  ]
}`;

const fill = (template: string, account: string, bucket: string): unknown =>
  JSON.parse(
    template
      .replaceAll("[バケットを作成したAWSアカウントID]", account)
      .replaceAll("[バケットを作成したのAWSアカウントID]", account)
      .replaceAll("[バケット名]", bucket),
  );

describe("policies of the manual, filled in", () => {
  const account = "123456789012";
  const bucket = "my-flex-bucket";
  const role = defaultRoleArn(account);

  it("bucket policy (step 1-2) equals the manual's template", () => {
    expect(JSON.parse(policyJson(bucketPolicy(role, bucket)))).toEqual(fill(MANUAL_BUCKET_POLICY, account, bucket));
  });

  it("IAM policy (step 1-3) equals the manual's template", () => {
    expect(JSON.parse(policyJson(iamPolicy(role)))).toEqual(fill(MANUAL_IAM_POLICY, account, bucket));
  });

  it("uses an explicit role ARN as given", () => {
    const custom = "arn:aws:iam::461810399597:role/Other";
    expect(iamPolicy(custom).Statement[0]!.Resource).toBe(custom);
    expect(bucketPolicy(custom, bucket).Statement.every((s) => s.Principal?.AWS[0] === custom)).toBe(true);
  });

  it("the JSON ends with a newline, ready for file://", () => {
    expect(policyJson(iamPolicy(role)).endsWith("}\n")).toBe(true);
  });

  it("prints the AWS CLI commands that apply written files, quoting paths with spaces", () => {
    const cmds = applyCommands(bucket, { bucketPolicy: "/tmp/my dir/bucket-policy.json", iamPolicy: "/tmp/iam-policy.json" });
    expect(cmds[0]).toBe(`aws s3api put-bucket-policy --bucket ${bucket} --policy 'file:///tmp/my dir/bucket-policy.json'`);
    expect(cmds[1]).toContain("--policy-document file:///tmp/iam-policy.json");
  });
});
