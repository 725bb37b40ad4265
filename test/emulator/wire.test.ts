// Wire-format details: aws-chunked streaming uploads from newer SDKs, presigned URLs, keep-alive.
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assume, baseCreds, s3, type Creds } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";

async function presignedUrl(em: Emulator, creds: Creds, path: string, expiresIn = 300): Promise<string> {
  const u = new URL(em.endpoint);
  const signer = new SignatureV4({ credentials: creds, region: em.region, service: "s3", sha256: Sha256, uriEscapePath: false });
  // what @aws-sdk/s3-request-presigner does: UNSIGNED-PAYLOAD, host header
  const req = new HttpRequest({ method: "GET", protocol: "http:", hostname: u.hostname, port: Number(u.port), path, headers: { host: u.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
  const signed = await signer.presign(req, { expiresIn });
  return `${em.endpoint}${signed.path}?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
}

describe("emulator wire formats", () => {
  let em: Emulator;
  beforeAll(async () => {
    em = await startEmulator({ seed: "none" });
    em.putObject(SRC, "2021/05/31/a b.pcap.gz", 4096);
  });
  afterAll(() => em.stop());

  it("accepts streaming (aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER) PutObject and UploadPart bodies", async () => {
    const client = s3(em, baseCreds(em));
    const sent: Record<string, string>[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        sent.push({ ...(args.request as HttpRequest).headers });
        return next(args);
      },
      { step: "deserialize" },
    );
    const data = Buffer.alloc(300_000, "abc");
    const put = await client.send(new PutObjectCommand({ Bucket: DEST, Key: "stream.bin", Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }));
    expect(put.ETag).toBe(`"${createHash("md5").update(data).digest("hex")}"`);
    const head = await client.send(new HeadObjectCommand({ Bucket: DEST, Key: "stream.bin" }));
    expect(head.ContentLength).toBe(data.length);
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: "mp.bin" }));
    const part = await client.send(new UploadPartCommand({ Bucket: DEST, Key: "mp.bin", UploadId, PartNumber: 1, Body: Readable.from([data]), ContentLength: data.length }));
    expect(part.ETag).toBe(put.ETag);
    expect(sent[0]?.["x-amz-content-sha256"]).toMatch(/^STREAMING-/);
    expect(sent[0]?.["content-encoding"]).toContain("aws-chunked");
    const log = em.requestLog().filter((e) => e.op === "PutObject" || e.op === "UploadPart");
    expect(log.every((e) => e.status === 200)).toBe(true);
  });

  it("parses XML bodies with numeric character references (Go / rclone write quotes as &#34;)", async () => {
    const client = s3(em, baseCreds(em));
    client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as HttpRequest;
        if (typeof req.body === "string") {
          req.body = req.body.replace(/&quot;/g, "&#34;").replace(/&amp;/g, "&#38;");
          req.headers["content-length"] = String(Buffer.byteLength(req.body));
        }
        return next(args);
      },
      { step: "build", priority: "low" },
    );
    em.putObject(DEST, "src.bin", 6 * 1024 * 1024);
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: "go.bin" }));
    const etag = (await client.send(new UploadPartCopyCommand({ Bucket: DEST, Key: "go.bin", UploadId, PartNumber: 1, CopySource: `${DEST}/src.bin` }))).CopyPartResult?.ETag;
    const done = await client.send(new CompleteMultipartUploadCommand({ Bucket: DEST, Key: "go.bin", UploadId, MultipartUpload: { Parts: [{ ETag: etag, PartNumber: 1 }] } }));
    expect(done.ETag).toMatch(/-1"$/);
    await client.send(new PutObjectCommand({ Bucket: DEST, Key: "a&b", Body: "x" }));
    const del = await client.send(new DeleteObjectsCommand({ Bucket: DEST, Delete: { Objects: [{ Key: "a&b" }] } }));
    expect(del.Deleted?.[0]?.Key).toBe("a&b");
    expect(em.objects(DEST).some((o) => o.key === "a&b")).toBe(false);
  });

  it("serves presigned GET URLs (and refuses expired or tampered ones)", async () => {
    const role = await assume(em);
    const path = `/${SRC}/2021/05/31/a%20b.pcap.gz`;
    const url = await presignedUrl(em, role, path);
    expect(url).toContain("X-Amz-Security-Token=");
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(4096);
    const tampered = url.replace("a%20b", "a%20c");
    expect((await fetch(tampered)).status).toBe(403);
    const old = await presignedUrl(em, role, path, 1);
    em.setFaults({ clockOffsetMs: 5000 });
    try {
      const r = await fetch(old);
      expect(r.status).toBe(403);
      expect(await r.text()).toContain("Request has expired");
    } finally {
      em.setFaults({ clockOffsetMs: 0 });
    }
  });

  it("keeps connections alive across many requests", async () => {
    const client = s3(em, await assume(em));
    for (let i = 0; i < 50; i++) await client.send(new GetObjectCommand({ Bucket: SRC, Key: "2021/05/31/a b.pcap.gz", Range: "bytes=0-9" })).then((o) => o.Body?.transformToByteArray());
    expect(em.requestLog().filter((e) => e.op === "GetObject" && e.status === 206).length).toBeGreaterThanOrEqual(50);
  });
});
