import { appendFileSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileJournal, journalPath } from "./journal-file.js";

const obj = { key: "2023/01/04/big.pcap.gz", size: 6 * 2 ** 30, etag: '"abc"' };

function tmpFile(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), "journal-")), "dest.journal.ndjson");
}

describe("FileJournal", () => {
  it("survives a restart: uploads, parts and completed ETags are read back", async () => {
    const file = tmpFile();
    const j = new FileJournal(file);
    await j.started(obj, { uploadId: "u1", partSize: 512 * 2 ** 20, sourceEtag: '"abc"' });
    await j.partDone(obj, 1, '"p1"');
    await j.partDone(obj, 2, '"p2"');
    const other = { key: "2023/01/04/done.pcap.gz", size: 1, etag: '"x"' };
    await j.started(other, { uploadId: "u2", partSize: 1, sourceEtag: '"x"' });
    await j.finished(other, '"final-3"');
    j.close();

    const again = new FileJournal(file);
    expect(again.uploadIds()).toEqual(new Set(["u1"]));
    expect(again.recordedEtag(other.key)).toBe('"final-3"');
    expect(again.recordedEtag(obj.key)).toBeUndefined();
    again.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("ignores a torn last line from a crash mid-write", async () => {
    const file = tmpFile();
    const j = new FileJournal(file);
    await j.started(obj, { uploadId: "u1", partSize: 5, sourceEtag: '"abc"' });
    j.close();
    appendFileSync(file, '{"t":"part","key":"2023/01/04/big.pcap.gz","uploadId":"u1","n":1,"et');
    const again = new FileJournal(file);
    expect(again.uploadIds()).toEqual(new Set(["u1"]));
    again.close();
    // Compaction on open rewrote the file without the torn line.
    expect(readFileSync(file, "utf8").split("\n").filter(Boolean).every((l) => JSON.parse(l))).toBe(true);
  });

  it("forgets an upload that was aborted", async () => {
    const file = tmpFile();
    const j = new FileJournal(file);
    await j.started(obj, { uploadId: "u1", partSize: 5, sourceEtag: '"abc"' });
    await j.forget(obj);
    j.close();
    const again = new FileJournal(file);
    expect(again.uploadIds().size).toBe(0);
    again.close();
  });

  it("lives under the state directory, one file per destination bucket", () => {
    expect(journalPath("my-bucket", {}, "/home/u")).toBe("/home/u/.local/state/flexcopy/my-bucket.journal.ndjson");
    expect(journalPath("b", { XDG_STATE_HOME: "/s" }, "/home/u")).toBe("/s/flexcopy/b.journal.ndjson");
    expect(journalPath("b", { FLEXCOPY_STATE_DIR: "/x" }, "/home/u")).toBe("/x/b.journal.ndjson");
    expect(journalPath("b", { FLEXCOPY_STATE_DIR: "/x" }, "/home/u", "/cli")).toBe("/cli/b.journal.ndjson");
  });
});
