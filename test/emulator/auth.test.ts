import { HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assume, baseCreds, failure, s3 } from "./helpers.js";

describe("emulator authentication", () => {
  let em: Emulator;
  const SRC = "dataservice-flex-bucket";
  beforeAll(async () => {
    em = await startEmulator({ seed: "none" });
    em.putObject(SRC, "2021/05/31/a.pcap.gz", 1000);
  });
  afterAll(() => em.stop());

  it("accepts a correctly signed request from the base user and the role", async () => {
    await s3(em, baseCreds(em)).send(new HeadBucketCommand({ Bucket: "flex-dest" }));
    const role = await assume(em);
    const out = await s3(em, role).send(new ListObjectsV2Command({ Bucket: SRC }));
    expect(out.KeyCount).toBe(1);
  });

  it("InvalidAccessKeyId for an unknown key", async () => {
    const f = await failure(() => s3(em, { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "s" }).send(new ListObjectsV2Command({ Bucket: "flex-dest" })));
    expect(f.name).toBe("InvalidAccessKeyId");
    expect(f.status).toBe(403);
  });

  it("SignatureDoesNotMatch for a wrong secret (also on keys needing encoding)", async () => {
    const bad = s3(em, { accessKeyId: em.accessKeyId, secretAccessKey: "wrong-secret" });
    const f = await failure(() => bad.send(new ListObjectsV2Command({ Bucket: "flex-dest" })));
    expect(f.name).toBe("SignatureDoesNotMatch");
    expect(f.status).toBe(403);
    const g = await failure(() => bad.send(new PutObjectCommand({ Bucket: "flex-dest", Key: "a b+c/日本語 &<x>.txt", Body: "x" })));
    expect(g.name).toBe("SignatureDoesNotMatch");
    // and the right secret works for the same odd key
    await s3(em, baseCreds(em)).send(new PutObjectCommand({ Bucket: "flex-dest", Key: "a b+c/日本語 &<x>.txt", Body: "x" }));
  });

  it("InvalidToken when a temporary key comes without or with a wrong session token", async () => {
    const role = await assume(em);
    const f = await failure(() => s3(em, { accessKeyId: role.accessKeyId, secretAccessKey: role.secretAccessKey }).send(new ListObjectsV2Command({ Bucket: SRC })));
    expect(f.name).toBe("InvalidToken");
    expect(f.status).toBe(400);
    const g = await failure(() => s3(em, { ...role, sessionToken: "garbage" }).send(new ListObjectsV2Command({ Bucket: SRC })));
    expect(g.name).toBe("InvalidToken");
  });

  it("ExpiredToken after expireAllTokens, with S3's message; new tokens work", async () => {
    const role = await assume(em);
    const client = s3(em, role);
    await client.send(new ListObjectsV2Command({ Bucket: SRC }));
    em.expireAllTokens();
    const f = await failure(() => client.send(new ListObjectsV2Command({ Bucket: SRC })));
    expect(f.name).toBe("ExpiredToken");
    expect(f.status).toBe(400);
    expect(f.message).toBe("The provided token has expired.");
    const fresh = await assume(em);
    await s3(em, fresh).send(new ListObjectsV2Command({ Bucket: SRC }));
  });

  it("RequestTimeTooSkewed when the clocks differ by more than 15 minutes; the SDK corrects with retries", async () => {
    em.setFaults({ clockOffsetMs: 20 * 60 * 1000 });
    try {
      const f = await failure(() => s3(em, baseCreds(em)).send(new ListObjectsV2Command({ Bucket: "flex-dest" })));
      expect(f.name).toBe("RequestTimeTooSkewed");
      expect(f.status).toBe(403);
      // The Date response header carries the server's (offset) clock, so the SDK's skew correction works.
      await s3(em, baseCreds(em), { maxAttempts: 3 }).send(new ListObjectsV2Command({ Bucket: "flex-dest" }));
      // 10 minutes is within the allowed window
      em.setFaults({ clockOffsetMs: -10 * 60 * 1000 });
      await s3(em, baseCreds(em)).send(new ListObjectsV2Command({ Bucket: "flex-dest" }));
    } finally {
      em.setFaults({ clockOffsetMs: 0 });
    }
  });

  it("anonymous requests are AccessDenied", async () => {
    const res = await fetch(`${em.endpoint}/${SRC}/2021/05/31/a.pcap.gz`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>AccessDenied</Code>");
  });
});

describe("emulator token TTL", () => {
  it("tokenTtlSeconds makes tokens expire early (ExpiredToken, HTTP 400)", async () => {
    const em = await startEmulator({ seed: "none", tokenTtlSeconds: 1 });
    try {
      em.putObject("dataservice-flex-bucket", "2021/05/31/x", 10);
      const role = await assume(em, { DurationSeconds: 3600 });
      expect((role.expiration?.getTime() ?? 0) - Date.now()).toBeLessThan(2000);
      const client = s3(em, role);
      await client.send(new GetObjectCommand({ Bucket: "dataservice-flex-bucket", Key: "2021/05/31/x" }));
      await new Promise((r) => setTimeout(r, 1100));
      const f = await failure(() => client.send(new GetObjectCommand({ Bucket: "dataservice-flex-bucket", Key: "2021/05/31/x" })));
      expect(f.name).toBe("ExpiredToken");
      expect(f.status).toBe(400);
      const log = em.requestLog();
      expect(log[log.length - 1]).toMatchObject({ op: "GetObject", principal: "role", status: 400, code: "ExpiredToken" });
    } finally {
      await em.stop();
    }
  });
});
