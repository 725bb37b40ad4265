import { describe, expect, it } from "vitest";
import { leanOp, objectUrl } from "./lean-copy.js";

describe("objectUrl", () => {
  it("path-style with an endpoint that asks for it, keys encoded per segment as the SDK does", () => {
    expect(objectUrl({ region: "ap-northeast-1", endpointUrl: "http://127.0.0.1:4566", forcePathStyle: true }, "flex-dest", "2021/05/31/a b+c(1)!.gz")).toEqual({
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 4566,
      path: "/flex-dest/2021/05/31/a%20b%2Bc%281%29%21.gz",
    });
  });
  it("virtual-hosted on AWS by default; path-style for a bucket name with dots", () => {
    expect(objectUrl({ region: "ap-northeast-1", forcePathStyle: false }, "my-flex", "2021/ja/日本.txt")).toEqual({
      protocol: "https:",
      hostname: "my-flex.s3.ap-northeast-1.amazonaws.com",
      port: undefined,
      path: "/2021/ja/%E6%97%A5%E6%9C%AC.txt",
    });
    expect(objectUrl({ region: "ap-northeast-1", forcePathStyle: false }, "my.flex", "k").hostname).toBe("s3.ap-northeast-1.amazonaws.com");
  });
});

describe("leanOp", () => {
  it("takes CopyObject / UploadPartCopy with the fields flexcopy sends, and nothing else", () => {
    const copy = { Bucket: "b", Key: "k", CopySource: "s/k", CopySourceIfMatch: '"e"', MetadataDirective: "COPY", ACL: "bucket-owner-full-control" };
    expect(leanOp("CopyObjectCommand", copy)).toBe("CopyObjectCommand");
    expect(leanOp("CopyObjectCommand", { ...copy, ContentType: undefined })).toBe("CopyObjectCommand");
    expect(leanOp("CopyObjectCommand", { ...copy, MetadataDirective: "REPLACE", ContentType: "text/plain" })).toBeUndefined();
    expect(leanOp("UploadPartCopyCommand", { Bucket: "b", Key: "k", UploadId: "u", PartNumber: 1, CopySource: "s/k", CopySourceRange: "bytes=0-9" })).toBe("UploadPartCopyCommand");
    expect(leanOp("PutObjectCommand", { Bucket: "b", Key: "k" })).toBeUndefined();
  });
});
