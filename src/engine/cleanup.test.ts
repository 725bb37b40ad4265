import { describe, expect, it } from "vitest";
import { MemoryS3, MemoryStore, s3Error } from "../../test/support/memory-store.js";
import { cleanupUploads, decideAbort, isOrphan, type CleanupItem, type Identity } from "./cleanup.js";
import { Requester } from "./request.js";

/** An in-memory bucket "d" with incomplete uploads, two a page; `deny` lists the operations this identity is refused. */
function identity(name: Identity["name"], s3: MemoryS3, log: string[], deny: string[] = [], gone: string[] = []): Identity {
  const store = new MemoryStore(s3, {
    deny,
    pageSize: 2,
    before: (op, i) => {
      log.push(`${name} ${op}${i.keyMarker ? ` after ${i.keyMarker}/${i.uploadIdMarker}` : ""}`);
      if (op === "AbortMultipartUpload" && gone.includes(i.uploadId ?? "")) throw s3Error("NoSuchUpload", 404);
    },
  });
  const requester = new Requester({ concurrency: 4, maxAttempts: 1, credentials: { refreshRejected: async () => false }, emit: () => undefined });
  return { name, listing: { store, requester } };
}

function ups(): MemoryS3 {
  const s3 = new MemoryS3();
  s3.now = () => new Date(1_000_000);
  s3.addUpload("d", "2021/05/31/a", "u1");
  s3.addUpload("d", "2021/05/31/a", "u2");
  s3.addUpload("d", "2021/05/31/b", "u3");
  s3.addUpload("d", "other/x", "u4");
  s3.addUpload("d", "other/y", "u5");
  return s3;
}
const ids = (s3: MemoryS3) => [...s3.uploads.keys()];

describe("decideAbort", () => {
  const u = { key: "k", uploadId: "id" };
  it.each([
    [{ all: true }, undefined, true, "--all"],
    [{ knownUploadIds: new Set(["id"]) }, undefined, true, "started by flexcopy: recorded in its journal"],
    [{ knownUploadIds: new Set(["other"]) }, true, false, "not recorded in flexcopy's journal; --all aborts it anyway"],
    [{}, true, true, "its key is in the provider's bucket: a flexcopy copy"],
    [{}, false, false, "its key is not in the provider's bucket, so not a flexcopy copy; --all aborts it anyway"],
  ])("%o, in source %s -> abort %s", (opts, inSource, abort, reason) => {
    expect(decideAbort(u, opts, inSource)).toEqual({ abort, reason });
  });
});

describe("cleanupUploads", () => {
  it("pages through uploads with both markers and aborts those whose key is in the source", async () => {
    const store = ups();
    const log: string[] = [];
    const items: CleanupItem[] = [];
    const r = await cleanupUploads(
      { destBucket: "d", dest: [identity("base", store, log)], sourceHasKey: async (k) => k.startsWith("2021/"), onItem: (i) => items.push(i), now: () => 4_000_000 },
      {},
    );
    expect(r).toEqual({ found: 5, aborted: 3, wouldAbort: 0, kept: 2, failed: 0 });
    expect(ids(store)).toEqual(["u4", "u5"]);
    expect(log.filter((l) => l.includes("ListMultipartUploads"))).toEqual([
      "base ListMultipartUploads",
      "base ListMultipartUploads after 2021/05/31/a/u2",
      "base ListMultipartUploads after other/x/u4",
    ]);
    expect(items[0]).toMatchObject({ key: "2021/05/31/a", uploadId: "u1", ageMs: 3_000_000, action: "aborted" });
  });

  it("falls back from the role to the owner once per operation, with one notice each", async () => {
    const store = ups();
    const log: string[] = [];
    const notices: string[] = [];
    const role = identity("role", store, log, ["ListMultipartUploads"]);
    const base = identity("base", store, log);
    const r = await cleanupUploads({ destBucket: "d", dest: [role, base], onNotice: (m) => notices.push(m) }, { all: true });
    expect(r.aborted).toBe(5);
    expect(log.filter((l) => l.startsWith("role ListMultipartUploads"))).toHaveLength(1);
    expect(log.filter((l) => l.includes("AbortMultipartUpload")).every((l) => l.startsWith("role"))).toBe(true);
    expect(notices).toEqual(["ListMultipartUploads was denied to the provider's role; using your own credentials (the bucket owner) instead"]);
  });

  it("throws when every identity is denied the listing", async () => {
    const log: string[] = [];
    const deps = { destBucket: "d", dest: [identity("role", ups(), log, ["ListMultipartUploads"]), identity("base", ups(), log, ["ListMultipartUploads"])] };
    await expect(cleanupUploads(deps, { all: true })).rejects.toMatchObject({ classified: { code: "AccessDenied" } });
  });

  it("--dry-run aborts nothing; a failed abort is reported and the rest go on", async () => {
    const store = ups();
    const log: string[] = [];
    const dry = await cleanupUploads({ destBucket: "d", dest: [identity("base", store, log)] }, { all: true, dryRun: true });
    expect(dry).toMatchObject({ found: 5, wouldAbort: 5, aborted: 0 });
    expect(ids(store)).toHaveLength(5);

    const items: CleanupItem[] = [];
    const r = await cleanupUploads({ destBucket: "d", dest: [identity("base", store, log, ["AbortMultipartUpload"])], onItem: (i) => items.push(i) }, { knownUploadIds: new Set(["u3"]) });
    expect(r).toMatchObject({ found: 5, failed: 1, kept: 4 });
    expect(items.find((i) => i.uploadId === "u3")).toMatchObject({ action: "failed", code: "AccessDenied" });
  });

  it("treats an upload that vanished before its abort (NoSuchUpload) as aborted", async () => {
    const items: CleanupItem[] = [];
    const r = await cleanupUploads({ destBucket: "d", dest: [identity("base", ups(), [], [], ["u2"])], onItem: (i) => items.push(i) }, { all: true });
    expect(r).toMatchObject({ found: 5, aborted: 5, failed: 0 });
    expect(items.find((i) => i.uploadId === "u2")?.action).toBe("aborted");
  });
});

describe("isOrphan: uploads a crash lost, found through the journal's intent records", () => {
  const ROLE = "461810399597";
  const intents = new Set(["2021/05/31/a.pcap.gz"]);
  const known = new Set(["recorded"]);
  const up = (over: Partial<{ key: string; uploadId: string; initiator: string; initiatorName: string }>) => ({ key: "2021/05/31/a.pcap.gz", uploadId: "lost", ...over });
  const cases: [string, ReturnType<typeof up>, boolean][] = [
    ["the role's assumed-role ARN", up({ initiator: `arn:aws:sts::${ROLE}:assumed-role/JeuServiceRoleForS3Copy_123456789012/flexcopy` }), true],
    ["the role's account as display name (canonical id)", up({ initiator: "a".repeat(64), initiatorName: ROLE }), true],
    ["no initiator at all", up({}), true],
    ["an opaque canonical id only", up({ initiator: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" }), true],
    ["another account's IAM user", up({ initiator: "arn:aws:iam::123456789012:user/backup" }), false],
    ["the bucket owner's account", up({ initiator: "b".repeat(64), initiatorName: "123456789012" }), false],
    ["an upload the journal records (continued, not removed)", up({ uploadId: "recorded", initiator: `arn:aws:sts::${ROLE}:assumed-role/r/s` }), false],
    ["a key without an intent", up({ key: "2021/05/31/b.pcap.gz" }), false],
  ];
  for (const [name, u, expected] of cases) {
    it(`${name}: ${expected ? "orphan" : "kept"}`, () => {
      expect(isOrphan(u, intents, known, ROLE)).toBe(expected);
      expect(decideAbort(u, { knownUploadIds: known, intentKeys: intents, roleAccount: ROLE }).abort).toBe(expected || u.uploadId === "recorded");
    });
  }
});
