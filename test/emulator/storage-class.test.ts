import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { multipartBucketPolicy } from "../../src/iam/manual.js";
import { parseLayout } from "../../src/emulator/seed/layout.js";
import { assume, failure, s3 } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const ACL = "bucket-owner-full-control" as const;
const DAY = "2021/05/31/";

// S3 User Guide, "Working with archived objects": GLACIER and DEEP_ARCHIVE objects are not accessible
// in real time (GET and copy answer 403 InvalidObjectState until restored); GLACIER_IR is not archived.
describe("emulator storage classes", () => {
  let em: Emulator;
  let role: S3Client;
  beforeAll(async () => {
    em = await startEmulator({ seed: "none" });
    em.putObject(SRC, `${DAY}a.pcap.gz`, 1024);
    em.putObject(SRC, `${DAY}b.pcap.gz`, 1024, { storageClass: "GLACIER" });
    em.putObject(SRC, `${DAY}c.pcap.gz`, 1024, { storageClass: "DEEP_ARCHIVE" });
    em.putObject(SRC, `${DAY}d.pcap.gz`, 1024, { storageClass: "GLACIER_IR" });
    role = s3(em, await assume(em));
  });
  afterAll(() => em.stop());

  it("listings show each object's storage class", async () => {
    const page = await role.send(new ListObjectsV2Command({ Bucket: SRC, Prefix: DAY }));
    expect(page.Contents?.map((o) => [o.Key?.slice(DAY.length), o.StorageClass])).toEqual([
      ["a.pcap.gz", "STANDARD"],
      ["b.pcap.gz", "GLACIER"],
      ["c.pcap.gz", "DEEP_ARCHIVE"],
      ["d.pcap.gz", "GLACIER_IR"],
    ]);
  });

  it("CopyObject and UploadPartCopy of GLACIER / DEEP_ARCHIVE fail with 403 InvalidObjectState; GLACIER_IR copies", async () => {
    for (const k of ["b.pcap.gz", "c.pcap.gz"]) {
      const err = await failure(() => role.send(new CopyObjectCommand({ Bucket: DEST, Key: DAY + k, CopySource: `${SRC}/${DAY}${k}`, ACL })));
      expect([err.name, err.status]).toEqual(["InvalidObjectState", 403]);
    }
    // Parts need the multipart-enabling policy (under the manual's, UploadPartCopy is AccessDenied first).
    em.setBucketPolicy(DEST, multipartBucketPolicy(em.roleArn, DEST));
    const up = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: `${DAY}b.pcap.gz`, ACL }));
    const part = await failure(() =>
      role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: `${DAY}b.pcap.gz`, UploadId: up.UploadId, PartNumber: 1, CopySource: `${SRC}/${DAY}b.pcap.gz` })),
    );
    expect(part.name).toBe("InvalidObjectState");
    await role.send(new CopyObjectCommand({ Bucket: DEST, Key: `${DAY}d.pcap.gz`, CopySource: `${SRC}/${DAY}d.pcap.gz`, ACL }));
    expect(em.objects(DEST).map((o) => o.key)).toEqual([`${DAY}d.pcap.gz`]);
  });

  it("GET of an archived object fails; HEAD answers with x-amz-storage-class", async () => {
    expect((await failure(() => role.send(new GetObjectCommand({ Bucket: SRC, Key: `${DAY}b.pcap.gz` })))).name).toBe("InvalidObjectState");
    const head = await role.send(new HeadObjectCommand({ Bucket: SRC, Key: `${DAY}c.pcap.gz` }));
    expect(head.StorageClass).toBe("DEEP_ARCHIVE");
    expect((await role.send(new HeadObjectCommand({ Bucket: SRC, Key: `${DAY}a.pcap.gz` }))).StorageClass).toBeUndefined();
  });

  it("a layout file may give storage classes; an unknown one is refused", () => {
    const objs = parseLayout({ objects: [{ key: "2021/05/31/x", size: 1, storageClass: "GLACIER" }], days: { "2021/05/28": { files: 1, size: 1, storageClass: "DEEP_ARCHIVE" } } });
    expect(objs.map((o) => o.storageClass)).toEqual(["DEEP_ARCHIVE", "GLACIER"]);
    expect(() => parseLayout({ objects: [{ key: "k", size: 1, storageClass: "COLD" }] })).toThrow(/storageClass/);
    expect(() => em.putObject(SRC, "k", 1, { storageClass: "COLD" })).toThrow(/unknown storage class/);
  });
});
