import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Listing } from "../../src/engine/listing.js";
import { sweepOrphans } from "../../src/engine/orphans.js";
import { Requester } from "../../src/engine/request.js";
import { FileJournal } from "../../src/state/journal-file.js";
import { MemoryS3, MemoryStore } from "../support/memory-store.js";

const requester = () => new Requester({ concurrency: 2, maxAttempts: 1, credentials: { refreshRejected: async () => false }, emit: () => undefined });
const journal = () => new FileJournal(path.join(mkdtempSync(path.join(tmpdir(), "orphans-")), "d.journal.ndjson"));
const obj = (key: string) => ({ key, size: 100, etag: '"src"' });

/** The role may neither list nor abort uploads (the manual's bucket policy); the owner may. */
function identities(s3: MemoryS3) {
  const role = new MemoryStore(s3, { deny: ["ListMultipartUploads", "AbortMultipartUpload"] });
  const owner = new MemoryStore(s3);
  return { role, owner, roleL: { store: role, requester: requester() } as Listing, ownerL: { store: owner, requester: requester() } as Listing };
}

describe("sweepOrphans over the in-memory store", () => {
  it("aborts the uploads a crash left under intent keys, as the bucket owner; keeps recorded uploads and other keys' uploads", async () => {
    const s3 = new MemoryS3();
    const lost = s3.addUpload("d", "k/a");
    const recorded = s3.addUpload("d", "k/b");
    const other = s3.addUpload("d", "k/c");
    const j = journal();
    await j.intent(obj("k/a"));
    await j.intent(obj("k/b"));
    await j.started(obj("k/b"), { uploadId: recorded, partSize: 50, sourceEtag: '"src"' });
    const { role, owner, roleL, ownerL } = identities(s3);

    const r = await sweepOrphans({ destBucket: "d", journal: j, role: roleL, owner: ownerL });
    // k/b's upload was started (recorded), which clears its intent: only k/a is looked at.
    expect(r).toEqual({ keys: 1, found: 1, removed: 1, left: 0, unchecked: 0 });
    expect([...s3.uploads.keys()].sort()).toEqual([recorded, other].sort());
    expect(s3.uploads.has(lost)).toBe(false);
    expect(role.log).toEqual([]);
    expect(owner.calls("AbortMultipartUpload")).toEqual(["AbortMultipartUpload d/k/a"]);
    expect(j.intentKeys()).not.toContain("k/a");
  });

  it("with the role alone (--credentials env), uploads it may not list stay unchecked and the intent is kept", async () => {
    const s3 = new MemoryS3();
    s3.addUpload("d", "k/a");
    const j = journal();
    await j.intent(obj("k/a"));
    const r = await sweepOrphans({ destBucket: "d", journal: j, role: identities(s3).roleL });
    expect(r).toEqual({ keys: 1, found: 0, removed: 0, left: 0, unchecked: 1 });
    expect(s3.uploads.size).toBe(1);
    expect(j.intentKeys()).toEqual(["k/a"]);
  });
});
