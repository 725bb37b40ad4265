// The unique ids the emulator's STS reports (AssumeRole's AssumedRoleId "ROLEID:session", GetCallerIdentity's
// UserId). They are also aws:userid in the request context of S3 requests (IAM global condition keys,
// aws:userid: "role-id:caller-specified-role-name" for an assumed role, the user's unique id for an IAM user).
export const ROLE_ID = "AROAWFLEXEMULATORROLE";
export const USER_ID = "AIDAWFLEXEMULATORUSER";
