import type { ObjectCannedACL } from "@aws-sdk/client-s3";

/**
 * The only ACL flexcopy ever writes with. The provider's bucket policy refuses copies without it,
 * and without it the objects would belong to the provider's account, not to the customer.
 */
export const OWNER_FULL_CONTROL: ObjectCannedACL = "bucket-owner-full-control";

/** S3 commands that create objects; each must carry OWNER_FULL_CONTROL (checked by a client middleware). */
export const WRITE_COMMANDS = new Set(["CopyObjectCommand", "CreateMultipartUploadCommand", "PutObjectCommand"]);
