import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { ListMultipartUploadsCommand, ListPartsCommand, type Part } from "@aws-sdk/client-s3";
import { abortUpload, type CopyContext } from "../engine/copy.js";
import type { UploadJournal, UploadRecord } from "../engine/journal.js";
import type { ObjInfo } from "../engine/skip.js";

type Line =
  | { t: "intent"; key: string }
  | { t: "start"; key: string; uploadId: string; partSize: number; sourceEtag: string; size: number }
  | { t: "part"; key: string; uploadId: string; n: number; etag: string }
  | { t: "done"; key: string; uploadId: string; etag: string }
  | { t: "forget"; key: string };

interface Upload extends UploadRecord {
  size: number;
  parts: Map<number, string>;
}

/**
 * The resume journal: an append-only NDJSON file, one fsync'd line per event (upload started, part
 * finished, upload completed), so a kill -9 at any moment loses at most the line being written; a
 * torn last line is ignored. Compacted (write to a temp file, fsync, rename) each time it is opened.
 */
export class FileJournal implements UploadJournal {
  private readonly uploads = new Map<string, Upload>();
  private readonly intents = new Set<string>();
  private readonly completed = new Map<string, string>();
  private fd?: number;
  private lockHeld = false;

  /**
   * Opens the journal for a run: takes its lock (one writer at a time), replays it, compacts it.
   * With `readOnly` (verify, cleanup) it only reads, and never rewrites what a running fetch appends.
   */
  constructor(
    readonly file: string,
    opts: { readOnly?: boolean } = {},
  ) {
    if (opts.readOnly) {
      if (existsSync(file)) this.replay(readFileSync(file, "utf8"));
      return;
    }
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.lock();
    if (existsSync(file)) this.replay(readFileSync(file, "utf8"));
    this.compact();
    this.fd = openSync(file, "a", 0o600);
  }

  /** `<journal>.lock` holds the writer's pid; a lock left by a dead process (kill -9) is taken over. */
  private lock(): void {
    const lockFile = `${this.file}.lock`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(lockFile, "wx", 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.lockHeld = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        const pid = Number(readFileSync(lockFile, "utf8").trim());
        if (pid > 0 && pid !== process.pid && isAlive(pid)) throw new JournalBusy(this.file, pid);
        unlinkSync(lockFile);
      }
    }
    throw new JournalBusy(this.file, 0);
  }

  private replay(text: string): void {
    for (const raw of text.split("\n")) {
      if (!raw.trim()) continue;
      let l: Line;
      try {
        l = JSON.parse(raw) as Line;
      } catch {
        continue; // torn write at a crash
      }
      this.apply(l);
    }
  }

  private apply(l: Line): void {
    if (l.t === "intent") this.intents.add(l.key);
    else if (l.t === "start") {
      this.intents.delete(l.key);
      this.uploads.set(l.key, { uploadId: l.uploadId, partSize: l.partSize, sourceEtag: l.sourceEtag, size: l.size, parts: new Map() });
    } else if (l.t === "part") {
      const u = this.uploads.get(l.key);
      if (u && u.uploadId === l.uploadId) u.parts.set(l.n, l.etag);
    } else if (l.t === "done") {
      this.uploads.delete(l.key);
      this.intents.delete(l.key);
      this.completed.set(l.key, l.etag);
    } else if (l.t === "forget") {
      this.uploads.delete(l.key);
      this.intents.delete(l.key);
    }
  }

  private lines(): Line[] {
    const out: Line[] = [];
    for (const key of this.intents) out.push({ t: "intent", key });
    for (const [key, u] of this.uploads) {
      out.push({ t: "start", key, uploadId: u.uploadId, partSize: u.partSize, sourceEtag: u.sourceEtag, size: u.size });
      for (const [n, etag] of u.parts) out.push({ t: "part", key, uploadId: u.uploadId, n, etag });
    }
    for (const [key, etag] of this.completed) out.push({ t: "done", key, uploadId: "", etag });
    return out;
  }

  private compact(): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o600);
    writeSync(fd, this.lines().map((l) => JSON.stringify(l) + "\n").join(""));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
  }

  private append(l: Line): void {
    this.apply(l);
    if (this.fd === undefined) throw new Error("the journal was opened read-only");
    writeSync(this.fd, JSON.stringify(l) + "\n");
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.lockHeld) {
      try {
        unlinkSync(`${this.file}.lock`);
      } catch {
        // already gone
      }
      this.lockHeld = false;
    }
  }

  /** Upload ids this journal knows (for `flexcopy cleanup`). */
  uploadIds(): Set<string> {
    return new Set([...this.uploads.values()].map((u) => u.uploadId));
  }

  hasParts(key: string): boolean {
    return (this.uploads.get(key)?.parts.size ?? 0) > 0;
  }

  recordedEtag(key: string): string | undefined {
    return this.completed.get(key);
  }

  async resume(ctx: CopyContext, obj: ObjInfo, partSize: number): Promise<{ uploadId: string; parts: [number, string][] } | undefined> {
    if (this.intents.has(obj.key)) await this.abortOrphans(ctx, obj.key);
    this.append({ t: "intent", key: obj.key });
    const u = this.uploads.get(obj.key);
    if (!u) return undefined;
    if (u.sourceEtag !== (obj.etag ?? "") || u.partSize !== partSize || u.size !== obj.size) {
      await abortUpload(ctx, obj.key, u.uploadId);
      this.append({ t: "forget", key: obj.key });
      return undefined;
    }
    const listed = await this.listParts(ctx, obj.key, u.uploadId);
    if (listed === "gone") {
      this.append({ t: "forget", key: obj.key });
      return undefined;
    }
    // The server's list is the truth when we may read it (a part may have finished just before a
    // crash, before its journal line); otherwise the journal's own record.
    const parts = listed ?? u.parts;
    return { uploadId: u.uploadId, parts: [...parts] };
  }

  /** Parts of an upload, "gone" if the upload no longer exists, undefined if we may not list them. */
  private async listParts(ctx: CopyContext, key: string, uploadId: string): Promise<Map<number, string> | "gone" | undefined> {
    const parts = new Map<number, string>();
    let marker: string | undefined;
    try {
      do {
        const out = await ctx.requester.send("ListParts", key, "dest", () =>
          ctx.s3.send(new ListPartsCommand({ Bucket: ctx.destBucket, Key: key, UploadId: uploadId, PartNumberMarker: marker })),
        );
        for (const p of out.Parts ?? ([] as Part[])) if (p.PartNumber && p.ETag) parts.set(p.PartNumber, p.ETag);
        marker = out.IsTruncated ? out.NextPartNumberMarker : undefined;
      } while (marker);
      return parts;
    } catch (err) {
      const code = (err as { classified?: { code?: string } }).classified?.code;
      if (code === "NoSuchUpload") return "gone";
      if (code === "AccessDenied") return undefined;
      throw err;
    }
  }

  /** A crash between CreateMultipartUpload and its journal line leaves an upload we never recorded. */
  private async abortOrphans(ctx: CopyContext, key: string): Promise<void> {
    const known = this.uploads.get(key)?.uploadId;
    try {
      const out = await ctx.s3.send(new ListMultipartUploadsCommand({ Bucket: ctx.destBucket, Prefix: key }));
      for (const u of out.Uploads ?? []) if (u.Key === key && u.UploadId && u.UploadId !== known) await abortUpload(ctx, key, u.UploadId);
    } catch {
      // Not allowed to list uploads: `flexcopy cleanup` can still remove them.
    }
  }

  async started(obj: ObjInfo, rec: UploadRecord): Promise<void> {
    this.append({ t: "start", key: obj.key, uploadId: rec.uploadId, partSize: rec.partSize, sourceEtag: rec.sourceEtag, size: obj.size });
  }

  async partDone(obj: ObjInfo, partNumber: number, etag: string): Promise<void> {
    const u = this.uploads.get(obj.key);
    if (u) this.append({ t: "part", key: obj.key, uploadId: u.uploadId, n: partNumber, etag });
  }

  async finished(obj: ObjInfo, destEtag: string): Promise<void> {
    const u = this.uploads.get(obj.key);
    this.append({ t: "done", key: obj.key, uploadId: u?.uploadId ?? "", etag: destEtag });
  }

  async forget(obj: ObjInfo): Promise<void> {
    this.append({ t: "forget", key: obj.key });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Another flexcopy is copying into the same bucket with the same journal. */
export class JournalBusy extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`another flexcopy (pid ${pid}) is copying with the journal ${file}; wait for it, or give this run its own --state-dir`);
    this.name = "JournalBusy";
  }
}

/**
 * Where the journal of a destination bucket lives: `--state-dir`, else $FLEXCOPY_STATE_DIR, else
 * $XDG_STATE_HOME/flexcopy, else ~/.local/state/flexcopy; one file per destination bucket.
 */
export function journalPath(destBucket: string, env: Record<string, string | undefined>, home: string, stateDir?: string): string {
  const dir = stateDir ?? env.FLEXCOPY_STATE_DIR ?? path.join(env.XDG_STATE_HOME ?? path.join(home, ".local", "state"), "flexcopy");
  return path.join(dir, `${destBucket}.journal.ndjson`);
}

/** Every journal of a destination bucket: the main one and those of `--shard` runs. */
export function journalFiles(destBucket: string, env: Record<string, string | undefined>, home: string, stateDir?: string): string[] {
  const main = journalPath(destBucket, env, home, stateDir);
  const dir = path.dirname(main);
  if (!existsSync(dir)) return [];
  const prefix = `${destBucket}.`;
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(".journal.ndjson") && (f === path.basename(main) || /^shard-\d+-of-\d+\.journal\.ndjson$/.test(f.slice(prefix.length))))
    .map((f) => path.join(dir, f));
}

/** A `--shard i/n` run keeps its own journal, so n shards on one machine never share a file. */
export function shardJournalPath(main: string, shard?: { index: number; count: number }): string {
  return shard ? main.replace(/\.journal\.ndjson$/, `.shard-${shard.index}-of-${shard.count}.journal.ndjson`) : main;
}
