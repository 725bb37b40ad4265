import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { leanOp, objectUrl, sdkTarget } from "./lean-copy.js";

const creds = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-example" };
const copy = (Bucket: string, Key = "2021/05/31/a.pcap.gz") => ({ Bucket, Key, CopySource: "src/k", ACL: "bucket-owner-full-control" });

/** Where the lean path sends a CopyObject of `client`, as the SDK resolves it. */
async function urlOf(client: S3Client, bucket: string, key?: string): Promise<string | undefined> {
  const e = await sdkTarget(client).endpoint("CopyObjectCommand", copy(bucket, key));
  if (!e) return undefined;
  const u = objectUrl(e, key ?? "2021/05/31/a.pcap.gz");
  return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ""}${u.path}`;
}

describe("the lean path's endpoint is the SDK's", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "flexcopy-lean-"));
    // No config file of this machine is read; each test names its own.
    vi.stubEnv("AWS_CONFIG_FILE", join(dir, "none"));
    vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", join(dir, "none"));
    for (const v of ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_USE_FIPS_ENDPOINT", "AWS_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]) vi.stubEnv(v, undefined);
  });
  afterEach(() => vi.unstubAllEnvs());
  const client = (o: Record<string, unknown> = {}) => new S3Client({ region: "ap-northeast-1", credentials: creds, ...o });

  it("path-style with an endpoint that asks for it, keys encoded per segment as the SDK does", async () => {
    expect(await urlOf(client({ endpoint: "http://127.0.0.1:4566", forcePathStyle: true }), "flex-dest", "2021/05/31/a b+c(1)!.gz")).toBe(
      "http://127.0.0.1:4566/flex-dest/2021/05/31/a%20b%2Bc%281%29%21.gz",
    );
  });

  it("virtual-hosted on AWS by default; path-style for a bucket name with dots", async () => {
    expect(await urlOf(client(), "my-flex", "2021/ja/日本.txt")).toBe("https://my-flex.s3.ap-northeast-1.amazonaws.com/2021/ja/%E6%97%A5%E6%9C%AC.txt");
    expect(await urlOf(client(), "my.flex", "k")).toBe("https://s3.ap-northeast-1.amazonaws.com/my.flex/k");
  });

  it("AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:9001");
    expect(await urlOf(client({ forcePathStyle: true }), "dest")).toBe("http://127.0.0.1:9001/dest/2021/05/31/a.pcap.gz");
    vi.stubEnv("AWS_ENDPOINT_URL_S3", "https://bucket.vpce-0abc.s3.ap-northeast-1.vpce.amazonaws.com");
    expect(await urlOf(client(), "dest")).toBe("https://dest.bucket.vpce-0abc.s3.ap-northeast-1.vpce.amazonaws.com/2021/05/31/a.pcap.gz");
  });

  it("AWS_USE_DUALSTACK_ENDPOINT and AWS_USE_FIPS_ENDPOINT", async () => {
    vi.stubEnv("AWS_USE_DUALSTACK_ENDPOINT", "true");
    expect(await urlOf(client(), "dest")).toBe("https://dest.s3.dualstack.ap-northeast-1.amazonaws.com/2021/05/31/a.pcap.gz");
    vi.stubEnv("AWS_USE_FIPS_ENDPOINT", "true");
    expect(await urlOf(client(), "dest")).toBe("https://dest.s3-fips.dualstack.ap-northeast-1.amazonaws.com/2021/05/31/a.pcap.gz");
  });

  it("a profile's endpoint_url, its services section, use_dualstack_endpoint", async () => {
    const file = join(dir, "config");
    writeFileSync(
      file,
      "[profile a]\nendpoint_url = http://10.0.0.5:9000\n\n[profile b]\nservices = corp\n\n[services corp]\ns3 =\n  endpoint_url = http://s3.corp.example:7480\n\n[profile c]\nuse_dualstack_endpoint = true\n",
    );
    vi.stubEnv("AWS_CONFIG_FILE", file);
    vi.stubEnv("AWS_PROFILE", "a");
    expect(await urlOf(client({ forcePathStyle: true }), "dest")).toBe("http://10.0.0.5:9000/dest/2021/05/31/a.pcap.gz");
    vi.stubEnv("AWS_PROFILE", "b");
    expect(await urlOf(client({ forcePathStyle: true }), "dest")).toBe("http://s3.corp.example:7480/dest/2021/05/31/a.pcap.gz");
    vi.stubEnv("AWS_PROFILE", "c");
    expect(await urlOf(client(), "dest")).toBe("https://dest.s3.dualstack.ap-northeast-1.amazonaws.com/2021/05/31/a.pcap.gz");
  });

  it("flexcopy's own --endpoint-url wins over the environment, as the SDK's endpoint option does", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9001");
    expect(await urlOf(client({ endpoint: "http://127.0.0.1:4566", forcePathStyle: true }), "dest")).toBe("http://127.0.0.1:4566/dest/2021/05/31/a.pcap.gz");
  });

  it("the SDK's User-Agent with flexcopy/<version> in it", async () => {
    const ua = await sdkTarget(client({ customUserAgent: [["flexcopy", "9.8.7"]] })).userAgent();
    expect(ua["user-agent"]).toMatch(/^aws-sdk-js\/\S+ .*api\/s3#\S+ .*flexcopy\/9\.8\.7$/);
  });
});

describe("leanOp", () => {
  it("takes CopyObject / UploadPartCopy with the fields flexcopy sends, and nothing else", () => {
    const copy = { Bucket: "b", Key: "k", CopySource: "s/k", CopySourceIfMatch: '"e"', MetadataDirective: "COPY", ACL: "bucket-owner-full-control" };
    expect(leanOp("CopyObjectCommand", copy)).toBe("CopyObjectCommand");
    expect(leanOp("CopyObjectCommand", { ...copy, ContentType: undefined })).toBe("CopyObjectCommand");
    expect(leanOp("CopyObjectCommand", { ...copy, StorageClass: "GLACIER_IR", ServerSideEncryption: "AES256" })).toBe("CopyObjectCommand");
    expect(leanOp("CopyObjectCommand", { ...copy, MetadataDirective: "REPLACE", ContentType: "text/plain" })).toBeUndefined();
    expect(leanOp("UploadPartCopyCommand", { Bucket: "b", Key: "k", UploadId: "u", PartNumber: 1, CopySource: "s/k", CopySourceRange: "bytes=0-9" })).toBe("UploadPartCopyCommand");
    expect(leanOp("PutObjectCommand", { Bucket: "b", Key: "k" })).toBeUndefined();
  });
});
