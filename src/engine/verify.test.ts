import { describe, expect, it } from "vitest";
import { accessDenied, MemoryS3, MemoryStore } from "../../test/support/memory-store.js";
import { Requester } from "./request.js";
import { runVerify, type DayVerify } from "./verify.js";

interface Obj {
  key: string;
  size: number;
  etag: string;
}

/** In-memory buckets answering ListObjectsV2, `pageSize` keys a page; `deny`: a bucket that refuses listing. */
function fakeS3(buckets: Record<string, Obj[]>, pageSize = 2, deny?: string) {
  const s3 = new MemoryS3();
  for (const [name, objects] of Object.entries(buckets)) s3.put(name, ...objects.map((o) => ({ ...o, etag: `"${o.etag}"` })));
  const store = new MemoryStore(s3, {
    pageSize,
    before: (_op, i) => {
      if (i.bucket === deny) throw accessDenied();
    },
  });
  return { store, calls: store.log };
}

const requester = () => new Requester({ concurrency: 4, maxAttempts: 1, credentials: { refreshRejected: async () => false }, emit: () => undefined });

function deps(buckets: Record<string, Obj[]>, deny?: string) {
  const { store, calls } = fakeS3(buckets, 2, deny);
  const days: DayVerify[] = [];
  return { calls, days, deps: { listing: { store, requester: requester() }, sourceBucket: "src", destBucket: "dst", onDay: (d: DayVerify) => days.push(d) } };
}

const o = (key: string, size: number, etag = `e-${key}`): Obj => ({ key, size, etag });
/** fetch's default --multipart-threshold (config/schema.ts): objects this large were copied in parts. */
const multipartThreshold = 512 * 2 ** 20;

describe("runVerify", () => {
  it("finds missing, size, ETag and extra problems across pages, day by day in unit order", async () => {
    const src = [o("d1/a", 1), o("d1/b", 2), o("d1/c", 3), o("d1/d", 4), o("d2/x", 5)];
    const dst = [o("d1/a", 1), o("d1/b", 1), o("d1/c", 3, "other"), o("d1/e", 9), o("d2/x", 5)];
    const t = deps({ src, dst });
    const r = await runVerify(t.deps, ["d1/", "d2/"], { multipartThreshold, dayConcurrency: 2 });
    expect(r).toEqual({ days: 2, ok: 2, missing: 1, sizeMismatch: 1, etagMismatch: 1, extra: 1, sizeOnly: 0, notEntitled: 0, archived: 0, problems: 4, interrupted: false, storageClasses: { STANDARD: 5 } });
    expect(t.days.map((d) => d.day)).toEqual(["d1/", "d2/"]);
    expect(t.days[0]!.findings.map((f) => [f.key, f.status])).toEqual([
      ["d1/b", "size-mismatch"],
      ["d1/c", "etag-mismatch"],
      ["d1/d", "missing"],
      ["d1/e", "extra"],
    ]);
    expect(t.days[0]!.findings[0]!.note).toBe("source 2 bytes, destination 1 bytes");
    expect(t.days[0]!.findings[1]!.note).toBe("source ETag e-d1/c, destination ETag other");
    expect(t.calls.every((c) => c.startsWith("ListObjectsV2 "))).toBe(true);
  });

  it("checks a multipart copy against the recorded ETag, else by size only", async () => {
    const src = [o("d/big", 100, "s"), o("d/big2", 100, "s2")];
    const dst = [o("d/big", 100, "m-3"), o("d/big2", 100, "m-4")];
    const t = deps({ src, dst });
    const recorded: Record<string, string> = { "d/big": '"m-3"' };
    const r = await runVerify(t.deps, ["d/"], { multipartThreshold, recordedEtag: (k) => recorded[k] });
    expect(r).toMatchObject({ ok: 2, sizeOnly: 1, problems: 0 });
    expect(t.days[0]!.findings).toEqual([{ day: "d/", key: "d/big2", status: "size-only", note: "size only (multipart)" }]);

    const changed = deps({ src, dst });
    const r2 = await runVerify(changed.deps, ["d/"], { multipartThreshold, recordedEtag: (k) => (k === "d/big" ? "m-9" : undefined) });
    expect(r2).toMatchObject({ etagMismatch: 1, sizeOnly: 1, problems: 1 });
  });

  it("rethrows a listing error and reports no day after it", async () => {
    const t = deps({ src: [o("d/a", 1)], dst: [] }, "dst");
    await expect(runVerify(t.deps, ["d/"], { multipartThreshold })).rejects.toMatchObject({ name: "RequestError", classified: { code: "AccessDenied" } });
    expect(t.days).toEqual([]);
  });

  it("stops starting days once the signal is aborted", async () => {
    const ac = new AbortController();
    ac.abort();
    const t = deps({ src: [o("d/a", 1)], dst: [] });
    const r = await runVerify(t.deps, ["d/"], { multipartThreshold, signal: ac.signal });
    expect(r).toMatchObject({ days: 0, problems: 0, interrupted: true });
    expect(t.calls).toEqual([]);
  });
});
