import { describe, expect, it } from "vitest";
import { MemoryS3, MemoryStore, s3Error, type MemoryStoreOptions } from "../../test/support/memory-store.js";
import type { CopyContext } from "./copy.js";
import type { EngineEvent } from "./events.js";
import { Requester } from "./request.js";
import { DestinationDenied, runCopy, TAIL_LOOKAHEAD, type RunOptions } from "./run.js";
import type { ObjInfo } from "./storage.js";
import { MultipartGate } from "./strategy.js";

const MiB = 1024 ** 2;
const DAY = "2021/05/31/";

interface Setup {
  s3: MemoryS3;
  store: MemoryStore;
  events: EngineEvent[];
  ctx: CopyContext;
}

/** Source "src" holding `objects` under DAY, destination "dst" holding `existing`; parts of 8 MiB from 512 MiB. */
function setup(objects: ObjInfo[], o: MemoryStoreOptions & { concurrency?: number; signal?: AbortSignal; existing?: ObjInfo[]; refresh?: boolean } = {}): Setup {
  const s3 = new MemoryS3().put("src", ...objects).put("dst", ...(o.existing ?? []));
  const store = new MemoryStore(s3, o);
  const events: EngineEvent[] = [];
  const emit = (e: EngineEvent) => events.push(e);
  const credentials = { currentKeyId: "k1", refreshRejected: async () => o.refresh ?? false };
  const ctx: CopyContext = {
    store,
    requester: new Requester({ concurrency: o.concurrency ?? 4, maxAttempts: 3, credentials, emit, signal: o.signal, sleep: async () => undefined }),
    sourceBucket: "src",
    destBucket: "dst",
    partSize: 8 * MiB,
    multipartThreshold: 512 * MiB,
    emit,
    signal: o.signal,
    gate: new MultipartGate({ multipartThreshold: 512 * MiB, canCleanUp: false, initial: "allowed" }),
  };
  return { s3, store, events, ctx };
}

const opts = (over: Partial<RunOptions> = {}): RunOptions => ({ force: false, dryRun: false, maxObjectsInFlight: 8, now: () => 0, ...over });
const obj = (name: string, size = MiB): ObjInfo => ({ key: DAY + name, size });
const copied = (events: EngineEvent[]) => events.flatMap((e) => (e.kind === "copied" ? [e] : []));

describe("runCopy", () => {
  it("copies what is missing or different and skips what is there, with a summary", async () => {
    const t = setup([obj("a"), obj("b"), obj("c", 2 * MiB)], { existing: [{ ...obj("a"), etag: '"etag-2021/05/31/a"' }, obj("c")] });
    const s = await runCopy(t.ctx, opts(), [DAY]);
    expect(s).toMatchObject({ copied: 2, skipped: 1, failed: 0, bytesCopied: 3 * MiB, bytesSkipped: MiB, retries: 0, interrupted: false });
    expect(t.store.calls("CopyObject").sort()).toEqual([`CopyObject dst/${DAY}b`, `CopyObject dst/${DAY}c`]);
    expect(t.s3.get("dst", DAY + "c")?.size).toBe(2 * MiB);
  });

  it("interrupted: copies in flight finish, no new copy starts, the summary says so", async () => {
    const ac = new AbortController();
    const t = setup(["a", "b", "c", "d", "e"].map((n) => obj(n)), {
      signal: ac.signal,
      before: (op) => {
        if (op === "CopyObject") ac.abort();
      },
    });
    const s = await runCopy(t.ctx, opts({ maxObjectsInFlight: 1 }), [DAY]);
    expect(t.store.calls("CopyObject")).toEqual([`CopyObject dst/${DAY}a`]);
    expect(s).toMatchObject({ copied: 1, failed: 0, interrupted: true });
    expect([...t.s3.bucket("dst").keys()]).toEqual([DAY + "a"]);
  });

  it("fail-fast: the destination refuses every copy -> DestinationDenied once the day's second refusal blocks it, the rest not sent", async () => {
    const t = setup(["a", "b", "c"].map((n) => obj(n)), { deny: ["CopyObject"] });
    await expect(runCopy(t.ctx, opts({ maxObjectsInFlight: 1 }), [DAY])).rejects.toBeInstanceOf(DestinationDenied);
    expect(t.store.calls("CopyObject")).toEqual([`CopyObject dst/${DAY}a`, `CopyObject dst/${DAY}b`]);
    expect(t.events.filter((e) => e.kind === "refused")).toMatchObject([{ unit: DAY, key: DAY + "a" }]);
    // The source was readable, so the denial was the destination's.
    expect(t.store.calls("HeadObject")).toContain(`HeadObject src/${DAY}a`);
  });

  it("a refusal after something was copied fails that object only", async () => {
    const t = setup(["a", "b", "c"].map((n) => obj(n)), {
      before: (op, i) => {
        if (op === "CopyObject" && i.key === DAY + "b") throw s3Error("AccessDenied", 403);
      },
    });
    const s = await runCopy(t.ctx, opts({ maxObjectsInFlight: 1 }), [DAY]);
    expect(s).toMatchObject({ copied: 2, failed: 1 });
    expect(t.events.find((e) => e.kind === "failed")).toMatchObject({ key: DAY + "b", code: "AccessDenied" });
  });

  it("a Deny on one day: in-flight copies settle, the refused day's rest is not sent, other days are copied; the verdict is the summary's, not exit 3", async () => {
    const other = "2021/06/01/";
    const t = setup([...["a", "b", "c", "d"].map((n) => obj(n)), { key: other + "x", size: MiB }, { key: other + "y", size: MiB }], {
      concurrency: 8,
      before: (op, i) => {
        if (op === "CopyObject" && i.key!.startsWith(DAY)) throw s3Error("AccessDenied", 403);
      },
    });
    t.ctx.explainDenied = async (key) => `statement "NoMay31" refuses ${key}`;
    const s = await runCopy(t.ctx, opts({ maxObjectsInFlight: 1 }), [DAY, other]);
    expect(s).toMatchObject({ copied: 2, failed: 4 });
    // a and b refused (the second blocks the day), c and d not sent
    expect(t.store.calls("CopyObject").filter((c) => c.includes(DAY))).toEqual([`CopyObject dst/${DAY}a`, `CopyObject dst/${DAY}b`]);
    expect(t.events.filter((e) => e.kind === "refused")).toEqual([{ kind: "refused", unit: DAY, key: DAY + "a", hint: `statement "NoMay31" refuses ${DAY}a` }]);
    const failed = t.events.flatMap((e) => (e.kind === "failed" ? [e] : []));
    expect(failed.map((f) => f.key)).toEqual(["a", "b", "c", "d"].map((n) => DAY + n));
    expect(failed[1]!.hint).toBe(`statement "NoMay31" refuses ${DAY}b`);
    expect(failed[2]!.message).toMatch(/^not sent/);
    expect([...t.s3.bucket("dst").keys()].sort()).toEqual([other + "x", other + "y"]);
  });

  it("refused first, copied later (a Deny on the first day only): not exit 3, since something was copied", async () => {
    const other = "2021/06/01/";
    const t = setup([obj("a"), obj("b"), { key: other + "x", size: MiB }], {
      before: (op, i) => {
        if (op === "CopyObject" && i.key!.startsWith(DAY)) throw s3Error("AccessDenied", 403);
      },
    });
    const s = await runCopy(t.ctx, opts({ maxObjectsInFlight: 8 }), [DAY, other]);
    expect(s).toMatchObject({ copied: 1, failed: 2 });
  });

  it("refusals beside successes in the same day fail only the refused objects", async () => {
    const t = setup(["a", "b", "c", "d", "e"].map((n) => obj(n)), {
      before: (op, i) => {
        if (op === "CopyObject" && (i.key === DAY + "b" || i.key === DAY + "d")) throw s3Error("AccessDenied", 403);
      },
    });
    const s = await runCopy(t.ctx, opts({ maxObjectsInFlight: 1 }), [DAY]);
    expect(s).toMatchObject({ copied: 3, failed: 2 });
    expect(t.events.filter((e) => e.kind === "refused")).toEqual([]);
  });

  it("a bucket refusing everything: after five days with nothing copied the run stops (one copy at a time meanwhile)", async () => {
    const days = Array.from({ length: 9 }, (_, i) => `2021/05/${String(10 + i)}/`);
    const t = setup(days.flatMap((d) => ["a", "b", "c"].map((n) => ({ key: d + n, size: MiB }))), { deny: ["CopyObject"], concurrency: 8 });
    await expect(runCopy(t.ctx, opts({ maxObjectsInFlight: 8 }), days)).rejects.toBeInstanceOf(DestinationDenied);
    // the first day's copies were in flight at once; then one per day after its first refusal... bounded
    expect(t.store.calls("CopyObject").length).toBeLessThanOrEqual(3 + 4 * 2);
    expect(new Set(t.store.calls("CopyObject").map((c) => c.slice(0, "CopyObject dst/2021/05/10/".length))).size).toBe(5);
  });

  it("counts retries in the summary; a credential refresh is not a retry", async () => {
    const seen = new Set<string>();
    const t = setup(["a", "b"].map((n) => obj(n)), {
      refresh: true,
      before: (op, i) => {
        if (op !== "CopyObject" || seen.has(i.key!)) return;
        seen.add(i.key!);
        throw i.key === DAY + "a" ? s3Error("SlowDown", 503) : s3Error("ExpiredToken", 400);
      },
    });
    const s = await runCopy(t.ctx, opts(), [DAY]);
    expect(s).toMatchObject({ copied: 2, failed: 0, retries: 1 });
    expect(t.events.filter((e) => e.kind === "retry")).toHaveLength(1);
  });

  it("the tail: the run's last objects go in parts over idle slots; those before the lookahead do not", async () => {
    const big = 64 * MiB;
    // One object more than the lookahead: the first is launched while the listing goes on, not as the tail.
    const names = Array.from({ length: TAIL_LOOKAHEAD + 1 }, (_, i) => `o${String(i).padStart(2, "0")}`);
    const t = setup(
      names.map((n, i) => obj(n, i === 0 || i === names.length - 1 ? big : MiB)),
      { concurrency: 64 },
    );
    const s = await runCopy(t.ctx, opts({ maxObjectsInFlight: 64 }), [DAY]);
    expect(s).toMatchObject({ copied: names.length, failed: 0 });
    const byKey = new Map(copied(t.events).map((e) => [e.key, e]));
    expect(byKey.get(DAY + names[0])).toMatchObject({ multipart: false });
    expect(byKey.get(DAY + names.at(-1))?.multipart).toBe(true);
    expect(byKey.get(DAY + names.at(-1))?.parts).toBeGreaterThan(1);
    // Objects below 32 MiB are never split.
    expect(byKey.get(DAY + names[1])).toMatchObject({ multipart: false });
  });
});
