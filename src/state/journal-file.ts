import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { JournalWriteFailed } from "../engine/journal.js";
import { parseLines, type CompletedRecord, type JournalObject, type JournalUpload, type Line, type UploadRecord } from "./journal-records.js";
import { acquireLock, JournalBusy } from "./lock.js";
import { ensureWritableDir, OutputPathError } from "./output-paths.js";

export { JournalBusy, lockHolder } from "./lock.js";

/** The journal cannot be opened at all (a directory, unreadable, its directory not writable). */
export class JournalError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`cannot open the resume journal ${file}: ${reason}`);
    this.name = "JournalError";
  }
}

const REASONS: Record<string, string> = {
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a part of its path is a file",
  ENOSPC: "no space left on the device (ENOSPC)",
  EDQUOT: "disk quota exceeded (EDQUOT)",
  EFBIG: "the file size limit was reached (EFBIG)",
  EIO: "an I/O error (EIO)",
};
const reasonOf = (err: unknown): string => REASONS[(err as NodeJS.ErrnoException).code ?? ""] ?? ((err as Error).message ?? String(err)).split("\n")[0]!;

/**
 * The resume journal: an append-only NDJSON file, one fsync'd line per event (upload about to be
 * created, started, part finished, completed), so a kill -9 at any moment loses at most the line
 * being written. Every line read back is validated; damaged lines are skipped and counted
 * (`damaged`). Compacted (write to a temp file, fsync, rename) each time it is opened for writing.
 * Pure storage: it sends no S3 request, decides nothing and imports nothing of the engine; it has
 * the shape of the engine's UploadJournal (engine/journal.ts), which the compiler checks where a
 * command hands it to the engine.
 */
export class FileJournal {
  private readonly uploads = new Map<string, JournalUpload>();
  /** Unresolved intents by key: when each was written (undefined: an older journal's line without a time). */
  private readonly intents = new Map<string, (number | undefined)[]>();
  private readonly done = new Map<string, CompletedRecord>();
  private created?: number;
  private fd?: number;
  /** Releases the lock (state/lock.ts) while this journal holds it. */
  private unlock?: () => void;
  /** Set once a write failed: a torn line may follow, so nothing more is appended. */
  private writeFailure?: JournalWriteFailed;
  /** Lines that were not valid journal records (skipped). */
  damaged = 0;
  /** Nothing was there before this run opened it (a first run, or the journal or its directory was deleted). */
  fresh = false;

  /**
   * Opens the journal for a run: takes its lock (one writer at a time), replays it, compacts it.
   * With `readOnly` (verify, cleanup) it only reads, and never rewrites what a running fetch appends.
   * Throws JournalError (or JournalBusy) when it cannot be opened.
   */
  constructor(
    readonly file: string,
    opts: { readOnly?: boolean } = {},
  ) {
    try {
      if (opts.readOnly) {
        if (existsSync(file)) this.replay(readJournalText(file));
        return;
      }
      ensureWritableDir("state directory", path.dirname(file));
      this.unlock = acquireLock(file);
      this.fresh = !existsSync(file);
      if (!this.fresh) this.replay(readJournalText(file));
      this.created ??= Date.now();
      this.compact();
      this.fd = openSync(file, "a", 0o600);
    } catch (err) {
      if (err instanceof JournalBusy || err instanceof JournalError) throw err;
      this.close();
      if (err instanceof OutputPathError) throw new JournalError(file, err.reason);
      throw new JournalError(file, reasonOf(err));
    }
  }

  private replay(text: string): void {
    const { lines, damaged } = parseLines(text);
    this.damaged += damaged;
    for (const l of lines) this.apply(l);
  }

  private apply(l: Line): void {
    if (l.t === "intent") this.intents.set(l.key, [...(this.intents.get(l.key) ?? []), l.at]);
    else if (l.t === "created") this.created = Math.min(this.created ?? l.at, l.at);
    else if (l.t === "start") {
      this.intents.delete(l.key);
      this.uploads.set(l.key, { uploadId: l.uploadId, partSize: l.partSize, sourceEtag: l.sourceEtag, size: l.size, parts: new Map() });
    } else if (l.t === "part") {
      const u = this.uploads.get(l.key);
      if (u && u.uploadId === l.uploadId) u.parts.set(l.n, l.etag);
    } else if (l.t === "done") {
      this.uploads.delete(l.key);
      this.intents.delete(l.key);
      this.done.set(l.key, { etag: l.etag, ...(l.sourceEtag === undefined ? {} : { sourceEtag: l.sourceEtag }), ...(l.at === undefined ? {} : { at: l.at }) });
    } else if (l.t === "forget") {
      this.uploads.delete(l.key);
    } else if (l.t === "swept") {
      this.intents.delete(l.key);
    }
  }

  private lines(): Line[] {
    const out: Line[] = this.created === undefined ? [] : [{ t: "created", at: this.created }];
    for (const [key, u] of this.uploads) {
      out.push({ t: "start", key, uploadId: u.uploadId, partSize: u.partSize, sourceEtag: u.sourceEtag, size: u.size });
      for (const [n, etag] of u.parts) out.push({ t: "part", key, uploadId: u.uploadId, n, etag });
    }
    // After the uploads: an intent replayed after its key's `start` stays an intent.
    for (const [key, times] of this.intents) for (const at of times) out.push({ t: "intent", key, ...(at === undefined ? {} : { at }) });
    for (const [key, c] of this.done) {
      out.push({ t: "done", key, uploadId: "", etag: c.etag, ...(c.sourceEtag === undefined ? {} : { sourceEtag: c.sourceEtag }), ...(c.at === undefined ? {} : { at: c.at }) });
    }
    return out;
  }

  private compact(): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeAll(fd, Buffer.from(this.lines().map((l) => JSON.stringify(l) + "\n").join("")));
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    renameSync(tmp, this.file);
  }

  /**
   * Writes one whole line (a short write is continued) and fsyncs it, then applies it; or throws
   * JournalWriteFailed and applies nothing. After a failure the journal takes no more lines (what was
   * written of the failed one is cut off where possible), so a torn line is never followed by others.
   */
  private append(l: Line): void {
    if (this.fd === undefined) throw new Error("the journal was opened read-only");
    if (this.writeFailure) throw this.writeFailure;
    const fd = this.fd;
    let before: number | undefined;
    try {
      before = fstatSync(fd).size;
      writeAll(fd, Buffer.from(JSON.stringify(l) + "\n"));
      fsyncSync(fd);
    } catch (err) {
      try {
        if (before !== undefined) ftruncateSync(fd, before);
      } catch {
        // the torn line stays; the next open skips it
      }
      this.writeFailure = new JournalWriteFailed(this.file, reasonOf(err));
      throw this.writeFailure;
    }
    this.apply(l);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.unlock?.();
    this.unlock = undefined;
  }

  upload(key: string): JournalUpload | undefined {
    return this.uploads.get(key);
  }

  uploadIds(): Set<string> {
    return new Set([...this.uploads.values()].map((u) => u.uploadId));
  }

  intentKeys(): string[] {
    return [...this.intents.keys()];
  }

  intentTimes(key: string): (number | undefined)[] {
    return [...(this.intents.get(key) ?? [])];
  }

  createdAt(): number | undefined {
    return this.created;
  }

  recordedEtag(key: string): string | undefined {
    return this.done.get(key)?.etag;
  }

  recordedSourceEtag(key: string): string | undefined {
    return this.done.get(key)?.sourceEtag;
  }

  completed(key: string): CompletedRecord | undefined {
    return this.done.get(key);
  }

  async intent(obj: JournalObject): Promise<void> {
    this.append({ t: "intent", key: obj.key, at: Date.now() });
  }

  async swept(key: string): Promise<void> {
    this.append({ t: "swept", key });
  }

  async started(obj: JournalObject, rec: UploadRecord): Promise<void> {
    this.append({ t: "start", key: obj.key, uploadId: rec.uploadId, partSize: rec.partSize, sourceEtag: rec.sourceEtag, size: obj.size });
  }

  async partDone(obj: JournalObject, partNumber: number, etag: string): Promise<void> {
    const u = this.uploads.get(obj.key);
    if (u) this.append({ t: "part", key: obj.key, uploadId: u.uploadId, n: partNumber, etag });
  }

  async finished(obj: JournalObject, destEtag: string, sourceEtag = obj.etag): Promise<void> {
    const u = this.uploads.get(obj.key);
    this.append({ t: "done", key: obj.key, uploadId: u?.uploadId ?? "", etag: destEtag, ...(sourceEtag === undefined ? {} : { sourceEtag }), at: Date.now() });
  }

  async forget(obj: JournalObject): Promise<void> {
    this.append({ t: "forget", key: obj.key });
  }
}

/** Writes all of `buf` (a write may take only part of it; a full disk then fails the next call). */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error("nothing could be written"), { code: "EIO" });
    off += n;
  }
}

/** The journal's text; only a regular file is read (a device such as /dev/zero would never end). */
function readJournalText(file: string): string {
  const st = statSync(file);
  if (st.isDirectory()) throw Object.assign(new Error("a directory"), { code: "EISDIR" });
  if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTFILE" });
  return readFileSync(file, "utf8");
}

/**
 * Where the journal of a destination bucket lives: `--state-dir`, else $FLEXCOPY_STATE_DIR, else
 * $XDG_STATE_HOME/flexcopy, else ~/.local/state/flexcopy; one file per destination bucket. An empty
 * value is unset. A relative XDG_STATE_HOME is ignored, as the XDG Base Directory spec says ("If an
 * implementation encounters a relative path in any of these variables it should consider the path
 * invalid and ignore it").
 */
export function journalPath(destBucket: string, env: Record<string, string | undefined>, home: string, stateDir?: string): string {
  const xdg = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, ".local", "state");
  const dir = stateDir || env.FLEXCOPY_STATE_DIR || path.join(xdg, "flexcopy");
  return path.join(dir, `${destBucket}.journal.ndjson`);
}

/** Every journal of a destination bucket: the main one and those of `--shard` runs. */
export function journalFiles(destBucket: string, env: Record<string, string | undefined>, home: string, stateDir?: string): string[] {
  const main = journalPath(destBucket, env, home, stateDir);
  const dir = path.dirname(main);
  if (!existsSync(dir)) return [];
  const prefix = `${destBucket}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new JournalError(dir, (err as NodeJS.ErrnoException).code === "ENOTDIR" ? "the state directory is a file" : reasonOf(err));
  }
  return names
    .filter((f) => f.startsWith(prefix) && f.endsWith(".journal.ndjson") && (f === path.basename(main) || /^shard-\d+-of-\d+\.journal\.ndjson$/.test(f.slice(prefix.length))))
    .map((f) => path.join(dir, f));
}

/** A `--shard i/n` run keeps its own journal, so n shards on one machine never share a file. */
export function shardJournalPath(main: string, shard?: { index: number; count: number }): string {
  return shard ? main.replace(/\.journal\.ndjson$/, `.shard-${shard.index}-of-${shard.count}.journal.ndjson`) : main;
}
