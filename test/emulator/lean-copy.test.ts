import { CopyObjectCommand, CreateMultipartUploadCommand, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { classifyError } from "../../src/aws/classify.js";
import { makeS3Client } from "../../src/aws/clients.js";
import { DEFAULT_FAULTS, startEmulator, type Emulator } from "../../src/emulator/index.js";
import { multipartBucketPolicy } from "../../src/iam/manual.js";
import { assume, MiB } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const ACL = "bucket-owner-full-control" as const;
const KEY = "2021/05/31/20210531 1+(x).pcap.gz";

// flexcopy's own S3 client: CopyObject and UploadPartCopy take the lean path (src/aws/lean-copy.ts).
describe("the lean copy path against the emulator", () => {
  let em: Emulator;
  let s3: ReturnType<typeof makeS3Client>;
  beforeAll(async () => {
    em = await startEmulator({ seed: "none" });
    em.putObject(SRC, KEY, 20 * MiB, { contentType: "application/gzip", metadata: { a: "1" } });
    const creds = await assume(em);
    s3 = makeS3Client({ region: em.region, endpointUrl: em.endpoint, forcePathStyle: true, concurrency: 4 }, async () => creds);
  });
  afterEach(() => em.setFaults({ ...DEFAULT_FAULTS }));
  afterAll(() => em.stop());
  const src = `${SRC}/${KEY.split("/").map(encodeURIComponent).join("/")}`;
  const etag = () => em.objects(SRC).find((o) => o.key === KEY)!.etag;

  it("copies with the ACL, the source's ETag, content type and metadata; the request is signed and logged as CopyObject", async () => {
    em.clearLog();
    const viaSdk: string[] = [];
    s3.middlewareStack.add((next, context) => (args) => (viaSdk.push(context.commandName ?? ""), next(args)), { step: "initialize", name: "testSeen" });
    const out = await s3.send(new CopyObjectCommand({ Bucket: DEST, Key: KEY, CopySource: src, CopySourceIfMatch: `"${etag()}"`, MetadataDirective: "COPY", ACL }));
    expect(out.CopyObjectResult?.ETag).toBe(`"${etag()}"`);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(viaSdk).toEqual([]); // not through the SDK's middleware stack
    const o = em.objects(DEST).find((x) => x.key === KEY)!;
    expect([o.size, o.contentType, o.metadata]).toEqual([20 * MiB, "application/gzip", { a: "1" }]);
    expect(em.requestLog().map((e) => [e.op, e.principal, e.status, e.acl])).toEqual([["CopyObject", "role", 200, ACL]]);
  });

  it("UploadPartCopy returns the part's ETag", async () => {
    em.setBucketPolicy(DEST, multipartBucketPolicy(em.roleArn, DEST)); // the manual's policy denies parts
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: "mp", ACL }));
    const out = await s3.send(new UploadPartCopyCommand({ Bucket: DEST, Key: "mp", UploadId: up.UploadId, PartNumber: 1, CopySource: src, CopySourceRange: "bytes=0-5242879" }));
    expect(out.CopyPartResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("errors look like the SDK's to the classifier: 412, 503 SlowDown, 200 with an error body, ExpiredToken", async () => {
    const copy = (extra: Record<string, string> = {}) =>
      s3.send(new CopyObjectCommand({ Bucket: DEST, Key: "x", CopySource: src, MetadataDirective: "COPY", ACL, ...extra })).then(() => undefined, (e: unknown) => e);
    expect(classifyError(await copy({ CopySourceIfMatch: '"nope"' }))).toMatchObject({ action: "fatal", code: "PreconditionFailed", status: 412 });
    em.setFaults({ failNext: [{ op: "CopyObject", count: 1, code: "SlowDown" }] });
    expect(classifyError(await copy())).toMatchObject({ action: "retry", code: "SlowDown", status: 503 });
    em.setFaults({ failNext: [{ op: "CopyObject", count: 1, code: "ErrorBody200" }] });
    expect(classifyError(await copy())).toMatchObject({ action: "retry", code: "InternalError", status: 200 });
    em.expireAllTokens();
    expect(classifyError(await copy())).toMatchObject({ action: "refresh", code: "ExpiredToken" });
  });
});
