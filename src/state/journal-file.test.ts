import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileJournal, JournalBusy, JournalError, journalFiles, journalPath, shardJournalPath } from "./journal-file.js";

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
    expect(again.recordedSourceEtag(other.key)).toBe('"x"'); // what it was copied from, kept through compaction
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

  it("an empty setting is unset; a relative XDG_STATE_HOME is ignored (XDG Base Directory spec)", () => {
    expect(journalPath("b", { FLEXCOPY_STATE_DIR: "" }, "/home/u", "")).toBe("/home/u/.local/state/flexcopy/b.journal.ndjson");
    expect(journalPath("b", { XDG_STATE_HOME: "state" }, "/home/u")).toBe("/home/u/.local/state/flexcopy/b.journal.ndjson");
    expect(journalPath("b", { XDG_STATE_HOME: "" }, "/home/u")).toBe("/home/u/.local/state/flexcopy/b.journal.ndjson");
  });

  it("one writer at a time: a live process's lock is refused, a dead one's is taken over", async () => {
    const file = tmpFile();
    writeFileSync(`${file}.lock`, String(process.ppid)); // a live process that is not us
    expect(() => new FileJournal(file)).toThrow(JournalBusy);
    writeFileSync(`${file}.lock`, "999999999"); // a process killed with -9
    const j = new FileJournal(file);
    expect(JSON.parse(readFileSync(`${file}.lock`, "utf8"))).toMatchObject({ pid: process.pid });
    j.close();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it("read-only opening neither locks nor rewrites the file a running fetch appends to", async () => {
    const file = tmpFile();
    const writer = new FileJournal(file);
    await writer.started(obj, { uploadId: "u1", partSize: 5, sourceEtag: '"abc"' });
    const before = readFileSync(file, "utf8");
    const reader = new FileJournal(file, { readOnly: true });
    expect(reader.uploadIds()).toEqual(new Set(["u1"]));
    expect(readFileSync(file, "utf8")).toBe(before);
    await writer.partDone(obj, 1, '"p1"');
    expect(readFileSync(file, "utf8").length).toBeGreaterThan(before.length);
    writer.close();
  });

  it("shard runs keep their own journals, all found for cleanup and verify", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "journals-"));
    const main = journalPath("b", { FLEXCOPY_STATE_DIR: dir }, "/home/u");
    const s2 = shardJournalPath(main, { index: 2, count: 4 });
    expect(s2).toBe(path.join(dir, "b.shard-2-of-4.journal.ndjson"));
    new FileJournal(main).close();
    new FileJournal(s2).close();
    new FileJournal(path.join(dir, "bb.journal.ndjson")).close();
    expect(journalFiles("b", { FLEXCOPY_STATE_DIR: dir }, "/home/u").sort()).toEqual([main, s2].sort());
  });

  it("an intent without a recorded upload survives restarts and compaction until swept or started", async () => {
    const file = tmpFile();
    const j = new FileJournal(file);
    await j.intent(obj);
    const other = { key: "2023/01/04/other.pcap.gz", size: 7, etag: '"o"' };
    await j.intent(other);
    await j.started(other, { uploadId: "u9", partSize: 5, sourceEtag: '"o"' });
    j.close();
    const again = new FileJournal(file);
    expect(again.intentKeys()).toEqual([obj.key]);
    await again.swept(obj.key);
    again.close();
    expect(new FileJournal(file, { readOnly: true }).intentKeys()).toEqual([]);
    expect(new FileJournal(file, { readOnly: true }).upload(other.key)?.uploadId).toBe("u9");
  });

  it("damaged lines (null, wrong types, binary, unknown records) are skipped and counted, never trusted", async () => {
    const file = tmpFile();
    const good = { t: "start", key: obj.key, uploadId: "u1", partSize: 5, sourceEtag: '"abc"', size: obj.size };
    const lines = [
      "null",
      JSON.stringify(good),
      JSON.stringify({ t: "done", key: "2023/01/04/x", uploadId: "", etag: 42 }),
      "\u0000\u0001\u00ff garbage",
      JSON.stringify({ t: "part", key: obj.key, uploadId: "u1", n: "1", etag: '"p"' }),
      JSON.stringify({ t: "launch", key: obj.key }),
      "[]",
      JSON.stringify({ t: "part", key: obj.key, uploadId: "u1", n: 2, etag: '"p2"' }),
    ];
    writeFileSync(file, lines.join("\n") + "\n");
    const j = new FileJournal(file);
    expect(j.damaged).toBe(6);
    expect(j.recordedEtag("2023/01/04/x")).toBeUndefined();
    expect([...j.upload(obj.key)!.parts]).toEqual([[2, '"p2"']]);
    j.close();
    // Compaction dropped them: the next opening is clean.
    const again = new FileJournal(file);
    expect(again.damaged).toBe(0);
    again.close();
  });

  it("a journal that cannot be opened is a JournalError naming the path", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "journal-dir-"));
    const asDir = path.join(dir, "b.journal.ndjson");
    mkdirSync(asDir);
    expect(() => new FileJournal(asDir)).toThrow(JournalError);
    expect(() => new FileJournal(asDir, { readOnly: true })).toThrow(asDir);
    const file = path.join(dir, "plain");
    writeFileSync(file, "");
    expect(() => new FileJournal(path.join(file, "b.journal.ndjson"))).toThrow(/cannot open the resume journal .*plain/);
    expect(() => journalFiles("b", { FLEXCOPY_STATE_DIR: file }, "/home/u")).toThrow(JournalError);
  });
});
