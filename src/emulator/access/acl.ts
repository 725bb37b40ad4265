// Canned ACLs and Object Ownership: who owns a new object and which grants it carries.
// - Canned ACL grants: S3 User Guide, "Access control list (ACL) overview", canned ACL table.
// - Object Ownership: S3 User Guide, "Controlling ownership of objects and disabling ACLs for your bucket"
//   (about-object-ownership): ObjectWriter = the writing account owns the object; BucketOwnerPreferred = the
//   bucket owner owns objects written with bucket-owner-full-control; BucketOwnerEnforced = ACLs disabled, the
//   bucket owner owns every object, and requests that set an ACL other than bucket-owner-full-control (or an
//   equivalent grant) fail with 400 AccessControlListNotSupported; PutObjectAcl fails the same way.
import { S3Error } from "../errors.js";
import { checkPublicAcl } from "./public-policy.js";
import type { Bucket } from "../store.js";
import type { Grant } from "../types.js";

export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
export const AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
export const OWNER_FULL_CONTROL = "bucket-owner-full-control";
export const CANNED_ACLS = new Set(["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"]);

/** Grants a canned ACL gives (owner always has FULL_CONTROL). */
export function grantsFor(acl: string | undefined, owner: string, bucketOwner: string): Grant[] {
  const g: Grant[] = [{ grantee: owner, permission: "FULL_CONTROL" }];
  switch (acl) {
    case "bucket-owner-full-control":
      if (bucketOwner !== owner) g.push({ grantee: bucketOwner, permission: "FULL_CONTROL" });
      break;
    case "bucket-owner-read":
      if (bucketOwner !== owner) g.push({ grantee: bucketOwner, permission: "READ" });
      break;
    case "public-read":
      g.push({ grantee: ALL_USERS, permission: "READ" });
      break;
    case "public-read-write":
      g.push({ grantee: ALL_USERS, permission: "READ" }, { grantee: ALL_USERS, permission: "WRITE" });
      break;
    case "authenticated-read":
      g.push({ grantee: AUTH_USERS, permission: "READ" });
      break;
  }
  return g;
}

export const aclNotSupported = (): S3Error => new S3Error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs");

/** Refuse an ACL the bucket's Object Ownership does not accept (called before anything is written). */
export function checkAclAccepted(b: Bucket, acl: string | undefined): void {
  if (b.ownership === "BucketOwnerEnforced" && acl !== undefined && acl !== OWNER_FULL_CONTROL) throw aclNotSupported();
  checkPublicAcl(b.publicAccessBlock, acl);
}

/** Owner and grants of an object written by `writer` with `acl` into `b`. */
export function newObjectAcl(b: Bucket, writer: string, acl: string | undefined): { owner: string; grants: Grant[] } {
  const owner =
    b.ownership === "BucketOwnerEnforced" || (b.ownership === "BucketOwnerPreferred" && acl === OWNER_FULL_CONTROL) ? b.owner : writer;
  return { owner, grants: b.ownership === "BucketOwnerEnforced" ? grantsFor(undefined, owner, b.owner) : grantsFor(acl, owner, b.owner) };
}
