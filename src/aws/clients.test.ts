import { CopyObjectCommand, CreateMultipartUploadCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { makeS3Client } from "./clients.js";

// Port 9 (discard) on loopback: if the guard let a request through, it would fail with a connection error instead.
const client = makeS3Client(
  { region: "ap-northeast-1", endpointUrl: "http://127.0.0.1:9", forcePathStyle: true, concurrency: 4 },
  async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret-example" }),
);

describe("the S3 client refuses writes without bucket-owner-full-control", () => {
  const input = { Bucket: "dest", Key: "2021/05/31/a.pcap.gz" };
  it.each([
    ["CopyObject", () => new CopyObjectCommand({ ...input, CopySource: "src/2021/05/31/a.pcap.gz" })],
    ["CopyObject with another ACL", () => new CopyObjectCommand({ ...input, CopySource: "src/x", ACL: "private" })],
    ["CreateMultipartUpload", () => new CreateMultipartUploadCommand(input)],
    ["PutObject", () => new PutObjectCommand({ ...input, Body: "x" })],
  ])("%s", async (_name, make) => {
    const send = client.send.bind(client) as (c: ReturnType<typeof make>) => Promise<unknown>;
    await expect(send(make())).rejects.toThrow(/refusing .* without ACL bucket-owner-full-control/);
  });

  it("lets a write with the ACL through to the network", async () => {
    const err = await client.send(new CopyObjectCommand({ ...input, CopySource: "src/x", ACL: "bucket-owner-full-control" })).catch((e: Error) => e);
    expect(String(err)).not.toMatch(/refusing/);
  });
});
