import { describe, expect, it } from "vitest";
import { MemoryS3, MemoryStore, s3Error, type MemoryStoreOptions, type StoredObject } from "../../test/support/memory-store.js";
import { copyOne, Interrupted, MultipartDenied, type CopyContext } from "./copy.js";
import type { EngineEvent } from "./events.js";
import type { Listing } from "./listing.js";
import { Requester } from "./request.js";
import type { ObjInfo } from "./storage.js";
import { MultipartGate, tailPartSize, type PartsPermission } from "./strategy.js";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const requester = (concurrency: number, events: EngineEvent[] = []) =>
  new Requester({ concurrency, maxAttempts: 3, credentials: { refreshRejected: async () => false }, emit: (e) => events.push(e), sleep: async () => undefined });

interface Setup {
  s3: MemoryS3;
  role: MemoryStore;
  events: EngineEvent[];
  ctx: CopyContext;
}

/** Source bucket "src" with `objects`, destination "dst"; parts of 8 MiB, objects of 16 MiB or more are worth parts. */
function setup(
  objects: StoredObject[],
  o: MemoryStoreOptions & { concurrency?: number; permission?: PartsPermission; owner?: boolean; signal?: AbortSignal } = {},
): Setup {
  const s3 = new MemoryS3().put("src", ...objects);
  s3.bucket("dst");
  const events: EngineEvent[] = [];
  const role = new MemoryStore(s3, { deny: o.deny, before: o.before });
  const owner: Listing | undefined = o.owner ? { store: new MemoryStore(s3), requester: requester(4) } : undefined;
  const ctx: CopyContext = {
    store: role,
    requester: requester(o.concurrency ?? 4, events),
    sourceBucket: "src",
    destBucket: "dst",
    partSize: 8 * MiB,
    multipartThreshold: 16 * MiB,
    emit: (e) => events.push(e),
    gate: new MultipartGate({ multipartThreshold: 16 * MiB, canCleanUp: owner !== undefined, initial: o.permission }),
    owner,
    signal: o.signal,
  };
  return { s3, role, events, ctx };
}

const obj = (key: string, size: number): ObjInfo => ({ key, size, etag: `"etag-${key}"` });
const progress = (events: EngineEvent[]) => events.reduce((n, e) => n + (e.kind === "progress" ? e.bytes : 0), 0);
const notices = (events: EngineEvent[]) => events.filter((e) => e.kind === "notice");

describe("copyOne", () => {
  it("copies an object below the threshold with one CopyObject pinned to the listed ETag", async () => {
    const t = setup([obj("d/a", 3 * MiB)]);
    const r = await copyOne(t.ctx, obj("d/a", 3 * MiB));
    expect(r).toEqual({ multipart: false, etag: '"etag-d/a"' });
    expect(t.role.log).toEqual(["CopyObject dst/d/a"]);
    expect(t.s3.get("dst", "d/a")?.size).toBe(3 * MiB);
    expect(progress(t.events)).toBe(3 * MiB);

    // The source changed since it was listed: If-Match fails the copy instead of copying another version.
    await expect(copyOne(t.ctx, { ...obj("d/a", 3 * MiB), etag: '"stale"' })).rejects.toMatchObject({ name: "RequestError", classified: { code: "PreconditionFailed" } });
  });

  it("copies in parts where parts are allowed: metadata read first, every part, one Complete", async () => {
    const t = setup([{ ...obj("d/big", 20 * MiB), head: { contentType: "application/gzip", metadata: { a: "1" } } }], { permission: "allowed" });
    const r = await copyOne(t.ctx, obj("d/big", 20 * MiB));
    expect(r).toMatchObject({ multipart: true, parts: 3 });
    expect(t.role.log.slice(0, 2)).toEqual(["HeadObject src/d/big", "CreateMultipartUpload dst/d/big"]);
    expect(t.role.calls("UploadPartCopy").sort()).toEqual(["UploadPartCopy dst/d/big#1", "UploadPartCopy dst/d/big#2", "UploadPartCopy dst/d/big#3"]);
    expect(t.role.log.at(-1)).toBe("CompleteMultipartUpload dst/d/big");
    expect(t.s3.get("dst", "d/big")).toMatchObject({ size: 20 * MiB, head: { contentType: "application/gzip", metadata: { a: "1" } } });
    expect(progress(t.events)).toBe(20 * MiB);
    expect(t.s3.uploads.size).toBe(0);
  });

  it("fails fast: a failed part stops the parts not yet sent and aborts the upload", async () => {
    // One slot: parts go one after another; part 1 fails for good (not retried).
    const t = setup([obj("d/big", 40 * MiB)], {
      permission: "allowed",
      concurrency: 1,
      owner: true,
      before: (op, i) => {
        if (op === "UploadPartCopy" && i.partNumber === 1) throw s3Error("InvalidRequest", 400);
      },
    });
    await expect(copyOne(t.ctx, obj("d/big", 40 * MiB))).rejects.toMatchObject({ name: "RequestError", op: "UploadPartCopy" });
    // At most the part already handed the freed slot went out; the rest (of 5) never did.
    expect(t.role.calls("UploadPartCopy").length).toBeLessThanOrEqual(2);
    expect(t.role.calls("AbortMultipartUpload")).toEqual(["AbortMultipartUpload dst/d/big"]);
    expect(t.role.calls("CompleteMultipartUpload")).toEqual([]);
    expect(t.s3.uploads.size).toBe(0);
    expect(t.s3.get("dst", "d/big")).toBeUndefined();
  });

  it("interrupted: the part in flight finishes, no new part starts, the upload is kept for the next run", async () => {
    const ac = new AbortController();
    const t = setup([obj("d/big", 40 * MiB)], {
      permission: "allowed",
      concurrency: 1,
      signal: ac.signal,
      before: (op) => {
        if (op === "UploadPartCopy") ac.abort();
      },
    });
    await expect(copyOne(t.ctx, obj("d/big", 40 * MiB))).rejects.toBeInstanceOf(Interrupted);
    expect(t.role.calls("UploadPartCopy")).toEqual(["UploadPartCopy dst/d/big#1"]);
    expect(t.role.calls("AbortMultipartUpload")).toEqual([]);
    expect([...t.s3.uploads.values()].map((u) => u.parts.size)).toEqual([1]);
  });

  it("the probe: parts denied -> that object and the rest by CopyObject, said once; over 5 GiB cannot be copied", async () => {
    // As under the manual's bucket policy: the role may create an upload but not copy parts or abort it.
    const objects = [obj("d/a", 20 * MiB), obj("d/b", 30 * MiB), obj("d/huge", 6 * GiB)];
    const t = setup(objects, { deny: ["UploadPartCopy", "AbortMultipartUpload"], owner: true });
    const a = await copyOne(t.ctx, objects[0]!);
    expect(a.multipart).toBe(false);
    expect(t.ctx.gate.permission).toBe("denied");
    // The probe's upload was removed by the bucket owner.
    expect(t.s3.uploads.size).toBe(0);
    expect(t.s3.get("dst", "d/a")?.size).toBe(20 * MiB);

    const before = t.role.log.length;
    expect((await copyOne(t.ctx, objects[1]!)).multipart).toBe(false);
    expect(t.role.log.slice(before)).toEqual(["CopyObject dst/d/b"]);

    await expect(copyOne(t.ctx, objects[2]!)).rejects.toBeInstanceOf(MultipartDenied);
    expect(t.role.log.slice(before + 1)).toEqual([]);
    expect(notices(t.events)).toHaveLength(1);
    expect(notices(t.events)[0]).toMatchObject({ message: expect.stringContaining("UploadPartCopy: AccessDenied") });
  });

  it("an object over 5 GiB as the probe, parts denied: MultipartDenied with the hint, its upload aborted", async () => {
    const t = setup([obj("d/huge", 6 * GiB)], { deny: ["UploadPartCopy"], owner: false });
    t.ctx.partSize = 1 * GiB;
    const err = await copyOne(t.ctx, obj("d/huge", 6 * GiB)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MultipartDenied);
    expect((err as MultipartDenied).hint).toMatch(/flexcopy policy --allow-multipart/);
    expect(t.role.calls("CopyObject")).toEqual([]);
    expect(t.s3.uploads.size).toBe(0);
    expect(notices(t.events)).toHaveLength(1);
  });

  it("the policy read before the run says parts are unlikely: up to 5 GiB by CopyObject, no upload created", async () => {
    const t = setup([obj("d/a", 20 * MiB)], { permission: "unlikely", owner: true });
    expect((await copyOne(t.ctx, obj("d/a", 20 * MiB))).multipart).toBe(false);
    expect(t.role.log).toEqual(["CopyObject dst/d/a"]);
    expect(notices(t.events)).toHaveLength(1);
  });

  it("the tail: with slots idle, an object below the threshold is split over them", async () => {
    const size = 64 * MiB;
    const t = setup([obj("d/t", size)], { permission: "allowed", concurrency: 8 });
    t.ctx.partSize = 512 * MiB;
    t.ctx.multipartThreshold = 512 * MiB;
    t.ctx.gate = new MultipartGate({ multipartThreshold: 512 * MiB, canCleanUp: false, initial: "allowed" });
    const r = await copyOne(t.ctx, obj("d/t", size), { tail: true });
    // Eight idle slots: about one part each (8 MiB parts), instead of one 64 MiB request.
    expect(tailPartSize(size, 8)).toBe(8 * MiB);
    expect(r).toMatchObject({ multipart: true, parts: 8 });
    expect(t.s3.get("dst", "d/t")?.size).toBe(size);

    const single = await copyOne(t.ctx, obj("d/t", size));
    expect(single.multipart).toBe(false);
  });
});
