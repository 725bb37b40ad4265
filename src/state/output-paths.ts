import { accessSync, closeSync, constants, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";

/**
 * A file or directory flexcopy was asked to write cannot be written. The message is one line
 * naming the path and why (no errno text, no temp-file names).
 */
export class OutputPathError extends Error {
  constructor(
    readonly what: string,
    readonly target: string,
    /** Why, naming the path at fault. */
    readonly reason: string,
  ) {
    super(`${what} ${target}: ${reason}`);
    this.name = "OutputPathError";
  }
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
  ENOENT: "cannot be created there",
  ENOTDIR: "a part of the path is a file, not a directory",
  EISDIR: "is a directory",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large for the file system",
  EIO: "input/output error (a failing disk?)",
  EEXIST: "already exists",
};

const reasonOf = (err: unknown): string => REASONS[(err as NodeJS.ErrnoException).code ?? ""] ?? "cannot be written";

/** A file system error in words ("no space left on the device"), for every message that names a path. */
export const fsReason = reasonOf;

type Kind = "missing" | "dir" | "file" | "other";

function kindOf(p: string): Kind {
  try {
    const s = statSync(p);
    return s.isDirectory() ? "dir" : s.isFile() ? "file" : "other";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a part of the path is a file, so this path does not exist either.
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    throw err;
  }
}

/** The nearest ancestor of `dir` (or `dir` itself) that exists, and the missing parts below it. */
function nearestExisting(dir: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  while (kindOf(cur) === "missing") {
    const parent = path.dirname(cur);
    if (parent === cur) break;
    missing.unshift(cur);
    cur = parent;
  }
  return { existing: cur, missing };
}

/**
 * Writability as the file system says it, not as permission bits suggest: creating and removing a
 * probe file catches /proc, /sys, read-only mounts and root on a mode-000 directory alike.
 */
function probeDir(what: string, shown: string, dir: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    const probe = path.join(dir, `.flexcopy-probe-${process.pid}`);
    closeSync(openSync(probe, "wx", 0o600));
    unlinkSync(probe);
  } catch (err) {
    throw new OutputPathError(what, shown, `${dir} is not writable (${reasonOf(err)})`);
  }
}

/**
 * Makes sure `dir` is a writable directory, creating the missing parts one level at a time from
 * the nearest existing ancestor, which must itself be a writable directory. Never calls a recursive
 * mkdir on an unchecked path (Node 20's `mkdirSync('/proc/x', { recursive: true })` never returns).
 */
export function ensureWritableDir(what: string, dir: string, mode = 0o700): string {
  const abs = path.resolve(dir);
  const { existing, missing } = nearestExisting(abs);
  const k = kindOf(existing);
  if (k !== "dir") throw new OutputPathError(what, dir, `${existing} is a file, not a directory`);
  probeDir(what, dir, existing);
  for (const part of missing) {
    try {
      mkdirSync(part, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new OutputPathError(what, dir, `cannot create ${part} (${reasonOf(err)})`);
    }
  }
  if (missing.length > 0) probeDir(what, dir, abs);
  return abs;
}

/**
 * Checks, writing nothing, that `file` can be written later (atomically: a temp file beside it, then
 * a rename): its directory exists and is writable, and the path is not a directory or device.
 */
export function checkWritableFile(what: string, file: string): string {
  const abs = path.resolve(file);
  if (file.endsWith("/") || file.endsWith(path.sep)) throw new OutputPathError(what, file, "is a directory; give a file name");
  const k = kindOf(abs);
  if (k === "dir") throw new OutputPathError(what, file, "is a directory; give a file name");
  if (k === "other") throw new OutputPathError(what, file, "is not a regular file");
  const dir = path.dirname(abs);
  const dk = kindOf(dir);
  if (dk === "missing") throw new OutputPathError(what, file, `the directory ${dir} does not exist`);
  if (dk !== "dir") throw new OutputPathError(what, file, `${dir} is not a directory`);
  probeDir(what, file, dir);
  if (k === "file") {
    try {
      accessSync(abs, constants.W_OK);
    } catch (err) {
      throw new OutputPathError(what, file, reasonOf(err));
    }
  }
  return abs;
}

/**
 * Writes `text` to `file` atomically: whole (every short write continued) to a temporary file beside
 * it, fsync'd, then renamed over it, so a crash or a full disk never leaves half a file. On failure the
 * temporary file is removed and the error names `file` (the path the user gave), never the temporary one.
 */
export function writeFileAtomic(what: string, file: string, text: string, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, "w", mode);
    try {
      const buf = Buffer.from(text);
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created, or already renamed
    }
    throw new OutputPathError(what, file, `cannot be written (${reasonOf(err)})`);
  }
}
