import { CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, ListObjectsV2Command, UploadPartCopyCommand, type S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { multipartBucketPolicy } from "../../src/iam/manual.js";
import { DEFAULT_FAULTS, startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assume, baseCreds, failure, MiB, s3, sts } from "./helpers.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const ACL = "bucket-owner-full-control" as const;
const KEY = "2021/05/31/20210531_1_001.pcap.gz";

describe("emulator faults", () => {
  let em: Emulator;
  let role: S3Client;
  beforeAll(async () => {
    em = await startEmulator({ seed: "none" });
    em.putObject(SRC, KEY, 100 * MiB);
    role = s3(em, await assume(em));
  });
  afterEach(() => em.setFaults({ ...DEFAULT_FAULTS }));
  afterAll(() => em.stop());

  const copy = (key = "dst") => role.send(new CopyObjectCommand({ Bucket: DEST, Key: key, CopySource: `${SRC}/${KEY}`, ACL }));

  it("slowDownRate: 503 SlowDown; internalErrorRate: 500 InternalError (role only)", async () => {
    em.setFaults({ slowDownRate: 1 });
    const f = await failure(() => role.send(new ListObjectsV2Command({ Bucket: SRC })));
    expect(f.name).toBe("SlowDown");
    expect(f.status).toBe(503);
    await s3(em, baseCreds(em)).send(new ListObjectsV2Command({ Bucket: DEST })); // base user unaffected
    em.setFaults({ slowDownRate: 0, internalErrorRate: 1 });
    const g = await failure(() => copy());
    expect(g.name).toBe("InternalError");
    expect(g.status).toBe(500);
  });

  it("failNext fails exactly the next N requests of an operation, with the given code", async () => {
    em.setFaults({ failNext: [{ op: "CopyObject", count: 2, code: "SlowDown" }] });
    await role.send(new ListObjectsV2Command({ Bucket: SRC })); // other ops unaffected
    expect((await failure(() => copy())).name).toBe("SlowDown");
    expect((await failure(() => copy())).name).toBe("SlowDown");
    await copy();
    em.setFaults({ failNext: [{ op: "CopyObject", count: 1 }] });
    expect((await failure(() => copy())).name).toBe("InternalError");
    em.setFaults({ failNext: [{ op: "GetCallerIdentity", count: 1, code: "Throttling" }] });
    expect((await failure(() => sts(em).send(new GetCallerIdentityCommand({}))))).toMatchObject({ name: "Throttling", status: 400 });
  });

  it("resetRate destroys the connection", async () => {
    em.setFaults({ resetRate: 1 });
    const f = await failure(() => role.send(new ListObjectsV2Command({ Bucket: SRC })));
    expect(f.status).toBeUndefined();
    expect(`${f.name} ${f.message} ${String(f.err.code)}`).toMatch(/ECONNRESET|socket hang up|EPIPE/i);
    em.setFaults({ resetRate: 0 });
    await role.send(new ListObjectsV2Command({ Bucket: SRC }));
  });

  it("copyErrorBodyRate answers 200 with an <Error> body on CopyObject / UploadPartCopy / Complete", async () => {
    em.setFaults({ copyErrorBodyRate: 1 });
    const f = await failure(() => copy("err-body"));
    expect(f.name).toBe("InternalError");
    expect(em.objects(DEST).some((o) => o.key === "err-body")).toBe(false);
    const entry = em.requestLog().filter((e) => e.op === "CopyObject").pop();
    expect(entry).toMatchObject({ status: 200, code: "InternalError" });
    em.setFaults({ copyErrorBodyRate: 0 });
    // Parts and Complete need the multipart-enabling bucket policy (the manual's refuses them).
    em.setBucketPolicy(DEST, multipartBucketPolicy(em.roleArn, DEST));
    const { UploadId } = await role.send(new CreateMultipartUploadCommand({ Bucket: DEST, Key: "mp", ACL }));
    em.setFaults({ copyErrorBodyRate: 1 });
    const partCopy = () => role.send(new UploadPartCopyCommand({ Bucket: DEST, Key: "mp", UploadId, PartNumber: 1, CopySource: `${SRC}/${KEY}`, CopySourceRange: "bytes=0-99" }));
    expect((await failure(partCopy)).name).toBe("InternalError");
    em.setFaults({ copyErrorBodyRate: 0 });
    const etag = (await partCopy()).CopyPartResult?.ETag;
    em.setFaults({ failNext: [{ op: "CompleteMultipartUpload", count: 1, code: "ErrorBody200" }] });
    const complete = () => role.send(new CompleteMultipartUploadCommand({ Bucket: DEST, Key: "mp", UploadId, MultipartUpload: { Parts: [{ ETag: etag, PartNumber: 1 }] } }));
    expect((await failure(complete)).name).toBe("InternalError");
    await complete();
  });

  it("latency and the copy-rate model, divided by timeScale", async () => {
    em.setFaults({ latencyMs: 400, timeScale: 4 });
    let t0 = Date.now();
    await role.send(new ListObjectsV2Command({ Bucket: SRC }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    // 100 MiB at 500 MiB/s = 200 ms (+ 0 latency), timeScale 2 => ~100 ms
    em.setFaults({ latencyMs: 0, copyRateBytesPerSec: 500 * MiB, timeScale: 2 });
    t0 = Date.now();
    await copy("timed");
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(1000);
  });

  it("rejects invalid fault settings", () => {
    expect(() => em.setFaults({ slowDownRate: 2 })).toThrow();
    expect(() => em.setFaults({ timeScale: 0 })).toThrow();
  });
  it("maxInflight: above N writes in flight answers 503 SlowDown at once; reads are not counted; the high-water mark is kept", async () => {
    em.clearLog();
    em.setFaults({ maxInflight: 3, latencyMs: 150 });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => copy(`inflight-${i}`)));
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r.reason as { name?: string; $metadata?: { httpStatusCode?: number } }));
    expect(refused).toHaveLength(2);
    for (const r of refused) expect([r.name, r.$metadata?.httpStatusCode]).toEqual(["SlowDown", 503]);
    expect(em.inflight()).toEqual({ current: 0, max: 3 });
    const logged = em.requestLog().filter((e) => e.op === "CopyObject");
    expect(Math.max(...logged.map((e) => e.inflight ?? 0))).toBe(3);
    // Listings are GETs: S3 counts them against the (higher) GET/HEAD rate, not this one.
    await Promise.all([1, 2, 3, 4, 5].map(() => role.send(new ListObjectsV2Command({ Bucket: SRC }))));
    // Changeable at runtime (also over POST /_emulator/faults): 0 = unlimited.
    em.setFaults({ maxInflight: 0 });
    await Promise.all([1, 2, 3, 4, 5].map((i) => copy(`inflight-${i}`)));
    expect(em.inflight().max).toBe(5);
    em.clearLog();
    expect(em.inflight()).toEqual({ current: 0, max: 0 });
    const r = await fetch(`${em.endpoint}/_emulator/faults`, { method: "POST", body: JSON.stringify({ maxInflight: 2.5 }) });
    expect(r.status).toBe(400);
    const ok = await fetch(`${em.endpoint}/_emulator/faults`, { method: "POST", body: JSON.stringify({ maxInflight: 7 }) });
    expect(((await ok.json()) as { maxInflight: number }).maxInflight).toBe(7);
    expect(await (await fetch(`${em.endpoint}/_emulator/inflight`)).json()).toEqual({ current: 0, max: 0 });
    em.setFaults({ maxInflight: 0, latencyMs: 0 });
  });

  it("maxRate: above N writes per modelled second per prefix (the key's folder) answers 503 SlowDown; other prefixes and reads are not counted", async () => {
    em.clearLog();
    em.setFaults({ maxRate: 4, timeScale: 1 });
    const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((i) => copy(`rate/a/${i}`)));
    const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason as { name?: string; $metadata?: { httpStatusCode?: number } });
    expect(refused).toHaveLength(2);
    for (const r of refused) expect([r.name, r.$metadata?.httpStatusCode]).toEqual(["SlowDown", 503]);
    // another folder has its own rate; listings (GETs) are not writes
    await Promise.all([1, 2, 3, 4].map((i) => copy(`rate/b/${i}`)));
    await Promise.all([1, 2, 3, 4, 5].map(() => role.send(new ListObjectsV2Command({ Bucket: SRC }))));
    const admitted = em.requestLog().filter((e) => e.op === "CopyObject" && e.status === 200);
    expect(admitted).toHaveLength(8);
    for (const e of admitted) expect(e.admittedAt).toEqual(expect.any(Number));
    // a second later the folder takes writes again
    await new Promise((r) => setTimeout(r, 1050));
    await copy("rate/a/7");
    // timeScale shortens the modelled second: at 10, a window is 100 ms
    em.setFaults({ maxRate: 1, timeScale: 10 });
    await copy("rate/c/1");
    await expect(copy("rate/c/2")).rejects.toMatchObject({ name: "SlowDown" });
    await new Promise((r) => setTimeout(r, 120));
    await copy("rate/c/3");
    expect(() => em.setFaults({ maxRate: 2.5 })).toThrow(/whole number/);
    em.setFaults({ maxRate: 0, timeScale: 1 });
  });
});

describe("emulator admin endpoints", () => {
  it("log, objects, faults, expire-tokens over HTTP", async () => {
    const em = await startEmulator({ seed: "none", requestLogLimit: 3 });
    try {
      const url = (p: string) => `${em.endpoint}/_emulator/${p}`;
      const info = (await (await fetch(url(""))).json()) as Record<string, unknown>;
      expect(info).toMatchObject({ roleArn: em.roleArn, sourceBucket: SRC, destBuckets: [DEST] });
      let res = await fetch(url(`objects/${SRC}`), { method: "POST", body: JSON.stringify({ key: KEY, size: 123 }) });
      expect(res.status).toBe(201);
      const objs = (await (await fetch(url(`objects/${SRC}`))).json()) as { key: string; size: number; owner: string }[];
      expect(objs).toEqual([expect.objectContaining({ key: KEY, size: 123, owner: "461810399597" })]);
      expect((await fetch(url("objects/nope"))).status).toBe(404);
      const role = s3(em, await assume(em));
      for (let i = 0; i < 4; i++) await role.send(new ListObjectsV2Command({ Bucket: SRC }));
      const log = (await (await fetch(url("log"))).json()) as { op: string }[];
      expect(log.map((e) => e.op)).toEqual(["ListObjectsV2", "ListObjectsV2", "ListObjectsV2"]); // ring buffer of 3
      expect((await fetch(url("log"), { method: "DELETE" })).status).toBe(204);
      expect(em.requestLog()).toEqual([]);
      res = await fetch(url("faults"), { method: "POST", body: JSON.stringify({ failNext: [{ op: "ListObjectsV2", count: 1, code: "SlowDown" }] }) });
      expect(((await res.json()) as { failNext: unknown[] }).failNext).toHaveLength(1);
      expect((await failure(() => role.send(new ListObjectsV2Command({ Bucket: SRC })))).name).toBe("SlowDown");
      expect((await fetch(url("faults"), { method: "POST", body: JSON.stringify({ slowDownRate: 5 }) })).status).toBe(400);
      res = await fetch(url("expire-tokens"), { method: "POST" });
      expect(await res.json()).toEqual({ expired: 1 });
      expect((await failure(() => role.send(new ListObjectsV2Command({ Bucket: SRC })))).name).toBe("ExpiredToken");
    } finally {
      await em.stop();
    }
  });
});
