import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileJournal } from "../../src/state/journal-file.js";
import type { Listing } from "../../src/engine/listing.js";
import { Requester } from "../../src/engine/request.js";
import { abortUpload, resumeUpload, type UploadAccess } from "../../src/engine/uploads.js";
import { accessDenied, MemoryS3, MemoryStore } from "../support/memory-store.js";

const obj = { key: "2021/05/31/big.pcap.gz", size: 100, etag: '"src"' };

/** Uploads of `obj.key` in bucket "d": upload id -> its parts (part number, ETag). */
type Store = MemoryS3;
function uploads(entries: [string, [number, string][]][] = []): Store {
  const s3 = new MemoryS3();
  for (const [id, parts] of entries) s3.addUpload("d", obj.key, id, parts);
  return s3;
}
const has = (store: Store, id: string) => store.uploads.has(id);

/**
 * A client for `who` over a shared store. The role is refused ListParts and AbortMultipartUpload,
 * as under the provider manual's bucket policy; the owner may do both.
 */
function client(who: "role" | "owner", store: Store, log: string[]): Listing {
  const s = new MemoryStore(store, {
    before: (op) => {
      log.push(`${who} ${op}`);
      if (who === "role") throw accessDenied();
    },
  });
  return { store: s, requester: new Requester({ concurrency: 2, maxAttempts: 1, credentials: { refreshRejected: async () => false }, emit: () => undefined }) };
}

function access(store: Store, log: string[], withOwner: boolean): UploadAccess & { journal: FileJournal } {
  const journal = new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "uploads-")), "d.journal.ndjson"));
  return { ...client("role", store, log), destBucket: "d", journal, owner: withOwner ? client("owner", store, log) : undefined };
}

describe("abortUpload", () => {
  it("the role is denied: the bucket owner aborts", async () => {
    const store = uploads([["u1", []]]);
    const log: string[] = [];
    expect(await abortUpload(access(store, log, true), obj.key, "u1")).toBe(true);
    expect(log).toEqual(["role AbortMultipartUpload", "owner AbortMultipartUpload"]);
    expect(has(store, "u1")).toBe(false);
  });

  it("without owner credentials (--credentials env) the upload stays, and the caller is told", async () => {
    const store = uploads([["u1", []]]);
    expect(await abortUpload(access(store, [], false), obj.key, "u1")).toBe(false);
    expect(has(store, "u1")).toBe(true);
  });

  it("an upload already gone counts as aborted", async () => {
    expect(await abortUpload(access(uploads(), [], true), obj.key, "gone")).toBe(true);
  });
});

describe("resumeUpload", () => {
  it("continues a recorded upload with the parts the owner lists (a part may have finished after the last journal line)", async () => {
    const store = uploads([["u1", [[1, '"p1"'], [2, '"p2"']]]]);
    const log: string[] = [];
    const a = access(store, log, true);
    await a.journal.started(obj, { uploadId: "u1", partSize: 50, sourceEtag: '"src"' });
    await a.journal.partDone(obj, 1, '"p1"');
    expect(await resumeUpload(a, obj, 50)).toEqual({ uploadId: "u1", parts: [[1, '"p1"'], [2, '"p2"']] });
    expect(log).toEqual(["role ListParts", "owner ListParts"]);
  });

  it("nobody may list parts: the journal's own parts", async () => {
    const store = uploads([["u1", [[1, '"p1"'], [2, '"p2"']]]]);
    const a = access(store, [], false);
    await a.journal.started(obj, { uploadId: "u1", partSize: 50, sourceEtag: '"src"' });
    await a.journal.partDone(obj, 1, '"p1"');
    expect(await resumeUpload(a, obj, 50)).toEqual({ uploadId: "u1", parts: [[1, '"p1"']] });
  });

  it("an upload for an older source is aborted and forgotten; one that cannot be aborted fails the object and stays recorded", async () => {
    const store = uploads([["u1", []]]);
    const a = access(store, [], true);
    await a.journal.started(obj, { uploadId: "u1", partSize: 50, sourceEtag: '"old"' });
    expect(await resumeUpload(a, obj, 50)).toBeUndefined();
    expect(has(store, "u1")).toBe(false);
    expect(a.journal.upload(obj.key)).toBeUndefined();

    const b = access(uploads([["u2", []]]), [], false);
    await b.journal.started(obj, { uploadId: "u2", partSize: 50, sourceEtag: '"old"' });
    await expect(resumeUpload(b, obj, 50)).rejects.toThrow(/u2 .*could not be aborted; run flexcopy cleanup/);
    expect(b.journal.upload(obj.key)?.uploadId).toBe("u2");
  });

  it("an upload that is gone is forgotten and the object starts fresh", async () => {
    const a = access(uploads(), [], true);
    await a.journal.started(obj, { uploadId: "u1", partSize: 50, sourceEtag: '"src"' });
    expect(await resumeUpload(a, obj, 50)).toBeUndefined();
    expect(a.journal.uploadIds().size).toBe(0);
  });
});
