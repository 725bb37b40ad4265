// S3 request routing: operation detection, authentication, fault injection, region check, dispatch.
import { authorize } from "../access/authorize.js";
import { authenticate } from "../auth.js";
import {
  deleteBucketPolicy,
  deletePublicAccessBlock,
  getBucketEncryption,
  getBucketOwnershipControls,
  getBucketPolicy,
  getPublicAccessBlock,
  putBucketEncryption,
  putBucketOwnershipControls,
  putBucketPolicy,
  putPublicAccessBlock,
} from "./bucket-config.js";
import { FAULT_STATUS, noSuchBucket, notImplemented, S3Error, accessDenied } from "../errors.js";
import { sleep } from "../faults.js";
import { header, record, send, stall, type Ctx } from "../http.js";
import { getBucketLocation, headBucket, listBuckets, listMultipartUploads, listObjectsV1, listObjectsV2 } from "./buckets.js";
import { copyObject } from "./copy.js";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listParts, uploadPart, uploadPartCopy } from "./multipart.js";
import { deleteObject, deleteObjects, getObject, getObjectAcl, getObjectTagging, putObject, putObjectAcl } from "./objects.js";
import { ratePrefix, WRITE_OPS } from "../pushback.js";
import type { Bucket } from "../store.js";
import { s3ErrorXml } from "../xml.js";

/** S3 sub-resources; any not handled below makes the request NotImplemented. */
const SUBRESOURCES = new Set([
  "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering", "inventory", "legal-hold",
  "lifecycle", "location", "logging", "metadataTable", "metrics", "notification", "object-lock", "ownershipControls", "partNumber",
  "policy", "policyStatus", "publicAccessBlock", "renameObject", "replication", "requestPayment", "restore", "retention", "select",
  "session", "tagging", "torrent", "uploadId", "uploads", "versioning", "versions", "website",
]);

function subresources(ctx: Ctx): string[] {
  const subs: string[] = [];
  for (const [k] of ctx.query) if (SUBRESOURCES.has(k)) subs.push(k);
  return subs;
}

/** The S3 operation name of a request ("Unsupported ..." when not implemented). */
export function s3Op(ctx: Ctx): string {
  const m = ctx.method;
  const subs = subresources(ctx);
  const has = (s: string): boolean => subs.includes(s);
  const only = (...allowed: string[]): boolean => subs.every((s) => allowed.includes(s));
  const unsupported = `Unsupported ${m}${subs.length ? ` ?${subs.join("&")}` : ""}`;
  if (ctx.bucket === undefined) return m === "GET" && subs.length === 0 ? "ListBuckets" : unsupported;
  if (ctx.key === undefined) {
    if (m === "HEAD" && subs.length === 0) return "HeadBucket";
    if (m === "GET") {
      if (subs.length === 0) return ctx.q.get("list-type") === "2" ? "ListObjectsV2" : ctx.q.has("list-type") ? unsupported : "ListObjects";
      if (subs.length === 1 && has("location")) return "GetBucketLocation";
      if (subs.length === 1 && has("uploads")) return "ListMultipartUploads";
      if (subs.length === 1 && has("policy")) return "GetBucketPolicy";
      if (subs.length === 1 && has("ownershipControls")) return "GetBucketOwnershipControls";
      if (subs.length === 1 && has("encryption")) return "GetBucketEncryption";
      if (subs.length === 1 && has("publicAccessBlock")) return "GetPublicAccessBlock";
    }
    if (m === "PUT" && subs.length === 1 && has("publicAccessBlock")) return "PutPublicAccessBlock";
    if (m === "DELETE" && subs.length === 1 && has("publicAccessBlock")) return "DeletePublicAccessBlock";
    if (m === "PUT" && subs.length === 1 && has("policy")) return "PutBucketPolicy";
    if (m === "PUT" && subs.length === 1 && has("ownershipControls")) return "PutBucketOwnershipControls";
    if (m === "PUT" && subs.length === 1 && has("encryption")) return "PutBucketEncryption";
    if (m === "DELETE" && subs.length === 1 && has("policy")) return "DeleteBucketPolicy";
    if (m === "POST" && subs.length === 1 && has("delete")) return "DeleteObjects";
    return unsupported;
  }
  const copy = ctx.req.headers["x-amz-copy-source"] !== undefined;
  switch (m) {
    case "HEAD":
      return only("partNumber") ? "HeadObject" : unsupported;
    case "GET":
      if (subs.length === 0 || (subs.length === 1 && has("partNumber"))) return "GetObject";
      if (subs.length === 1 && has("acl")) return "GetObjectAcl";
      if (subs.length === 1 && has("tagging")) return "GetObjectTagging";
      if (subs.length === 1 && has("uploadId")) return "ListParts";
      return unsupported;
    case "PUT":
      if (subs.length === 0) return copy ? "CopyObject" : "PutObject";
      if (subs.length === 2 && has("uploadId") && has("partNumber")) return copy ? "UploadPartCopy" : "UploadPart";
      if (subs.length === 1 && has("acl") && !copy) return "PutObjectAcl";
      return unsupported;
    case "POST":
      if (subs.length === 1 && has("uploads")) return "CreateMultipartUpload";
      if (subs.length === 1 && has("uploadId")) return "CompleteMultipartUpload";
      return unsupported;
    case "DELETE":
      if (subs.length === 0) return "DeleteObject";
      if (subs.length === 1 && has("uploadId")) return "AbortMultipartUpload";
      return unsupported;
  }
  return unsupported;
}

const COPY_OPS = new Set(["CopyObject", "UploadPartCopy", "CompleteMultipartUpload"]);

/** Answer with an injected fault; returns true when the request has been answered. */
function inject(ctx: Ctx, code: string): void {
  if (code === "Reset" || code === "ConnectionReset") {
    record(ctx, 0, "Reset");
    ctx.req.socket.destroy();
    return;
  }
  if (code === "ErrorBody200" || code === "200") {
    send(ctx, 200, s3ErrorXml("InternalError", "We encountered an internal error. Please try again.", ctx.requestId), { "content-type": "application/xml" }, "InternalError");
    return;
  }
  const [status, message] = FAULT_STATUS[code] ?? [500, `Injected fault ${code}`];
  throw new S3Error(status, code, message);
}

export async function handleS3(ctx: Ctx): Promise<void> {
  const st = ctx.st;
  const op = s3Op(ctx);
  const e = ctx.entry;
  e.op = op;
  if (ctx.bucket !== undefined) e.bucket = ctx.bucket;
  if (ctx.key !== undefined) e.key = ctx.key;
  const uploadId = ctx.q.get("uploadId");
  if (uploadId) e.uploadId = uploadId;
  const acl = header(ctx, "x-amz-acl");
  if (acl !== undefined) e.acl = acl;
  const sse = header(ctx, "x-amz-server-side-encryption");
  if (sse !== undefined) e.sse = sse;
  const storageClass = header(ctx, "x-amz-storage-class");
  if (storageClass !== undefined) e.storageClass = storageClass;
  if (ctx.sig) {
    ctx.principal = await authenticate(st, ctx.sig, ctx.method, ctx.rawPath, ctx.query, ctx.req.headers, ctx.body);
  }
  const failRule = st.faults.takeFailRule(op);
  const failCode = failRule?.code;
  if (failCode === "Stall") return stall(ctx, failRule?.stallMs);
  // "ResetAfter": the request is carried out and the connection drops before the response, as a network can
  // drop it after S3 acted (the client cannot tell this from a reset before; a retry repeats the work).
  if (failCode === "ResetAfter") ctx.dropResponse = true;
  else if (failCode !== undefined) return inject(ctx, failCode);
  const isRole = ctx.principal.kind === "role";
  if (isRole) {
    if (st.faults.roll("resetRate")) return inject(ctx, "Reset");
    if (st.faults.roll("slowDownRate")) return inject(ctx, "SlowDown");
    if (st.faults.roll("internalErrorRate")) return inject(ctx, "InternalError");
  }
  if (!WRITE_OPS.has(op)) return serve(ctx, op);
  if (st.faults.maxRate > 0) {
    const now = Date.now();
    if (!st.rates.enter(ratePrefix(ctx.bucket, ctx.key), st.faults.maxRate, now, st.faults.secondMs)) return inject(ctx, "SlowDown");
    e.admittedAt = now;
  }
  if (!st.writes.enter(st.faults.maxInflight)) return inject(ctx, "SlowDown");
  e.inflight = st.writes.current;
  try {
    return await serve(ctx, op);
  } finally {
    st.writes.leave();
  }
}

async function serve(ctx: Ctx, op: string): Promise<void> {
  const st = ctx.st;
  const isRole = ctx.principal.kind === "role";
  await sleep(st.faults.latency());
  if (op.startsWith("Unsupported")) throw notImplemented(op.slice(12));
  if (ctx.bucket === undefined) {
    if (ctx.principal.kind === "anonymous") throw accessDenied();
    return listBuckets(ctx);
  }
  const b = st.buckets.get(ctx.bucket);
  if (!b) throw noSuchBucket(ctx.bucket);
  const expectedOwner = header(ctx, "x-amz-expected-bucket-owner");
  if (expectedOwner !== undefined && expectedOwner !== b.owner) throw accessDenied();
  const region = st.faults.regionOf(b.name, st.cfg.region);
  if (ctx.sig && ctx.sig.region !== region && op !== "GetBucketLocation") {
    throw new S3Error(
      301,
      "PermanentRedirect",
      "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
      { Endpoint: `s3.${region}.amazonaws.com`, Bucket: b.name },
      { "x-amz-bucket-region": region },
    );
  }
  // Every operation but DeleteObjects (decided per key) is authorised here, from the IAM action table.
  if (op !== "DeleteObjects") authorize(ctx, op, b, ctx.key);
  if (isRole && COPY_OPS.has(op) && st.faults.roll("copyErrorBodyRate")) return inject(ctx, "ErrorBody200");
  return dispatch(ctx, op, b, ctx.key ?? "");
}

function dispatch(ctx: Ctx, op: string, b: Bucket, key: string): void | Promise<void> {
  switch (op) {
    case "HeadBucket":
      return headBucket(ctx, b);
    case "GetBucketLocation":
      return getBucketLocation(ctx, b);
    case "ListObjectsV2":
      return listObjectsV2(ctx, b);
    case "ListObjects":
      return listObjectsV1(ctx, b);
    case "ListMultipartUploads":
      return listMultipartUploads(ctx, b);
    case "DeleteObjects":
      return deleteObjects(ctx, b);
    case "HeadObject":
    case "GetObject":
      return getObject(ctx, b, key);
    case "GetObjectAcl":
      return getObjectAcl(ctx, b, key);
    case "GetObjectTagging":
      return getObjectTagging(ctx, b, key);
    case "ListParts":
      return listParts(ctx, b, key);
    case "PutObject":
      return putObject(ctx, b, key);
    case "CopyObject":
      return copyObject(ctx, b, key);
    case "UploadPart":
      return uploadPart(ctx, b, key);
    case "UploadPartCopy":
      return uploadPartCopy(ctx, b, key);
    case "PutObjectAcl":
      return putObjectAcl(ctx, b, key);
    case "CreateMultipartUpload":
      return createMultipartUpload(ctx, b, key);
    case "CompleteMultipartUpload":
      return completeMultipartUpload(ctx, b, key);
    case "DeleteObject":
      return deleteObject(ctx, b, key);
    case "AbortMultipartUpload":
      return abortMultipartUpload(ctx, b, key);
    case "GetBucketPolicy":
      return getBucketPolicy(ctx, b);
    case "PutBucketPolicy":
      return putBucketPolicy(ctx, b);
    case "DeleteBucketPolicy":
      return deleteBucketPolicy(ctx, b);
    case "GetBucketOwnershipControls":
      return getBucketOwnershipControls(ctx, b);
    case "PutBucketOwnershipControls":
      return putBucketOwnershipControls(ctx, b);
    case "GetBucketEncryption":
      return getBucketEncryption(ctx, b);
    case "PutBucketEncryption":
      return putBucketEncryption(ctx, b);
    case "GetPublicAccessBlock":
      return getPublicAccessBlock(ctx, b);
    case "PutPublicAccessBlock":
      return putPublicAccessBlock(ctx, b);
    case "DeletePublicAccessBlock":
      return deletePublicAccessBlock(ctx, b);
  }
  throw notImplemented(op);
}
