import { createHash, randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";

/**
 * Who holds a lock: enough to tell a live holder from a dead one, and a reused pid from its first owner.
 * `start` is the process's start time in clock ticks after boot (/proc/<pid>/stat, field 22), `boot` the
 * kernel's boot id (/proc/sys/kernel/random/boot_id); both absent where there is no /proc (macOS).
 */
export interface LockHolder {
  pid: number;
  host: string;
  boot?: string;
  start?: string;
  /** When the lock was taken (ISO 8601). */
  since?: string;
  /** Makes two holders' texts differ even with equal fields (the takeover claim is named after the text). */
  nonce?: string;
}

/** Another process holds the lock (a running fetch with the same journal). */
export class JournalBusy extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
    readonly lockFile = `${file}.lock`,
    readonly host?: string,
  ) {
    const who = pid <= 0 ? "" : host && host !== os.hostname() ? ` (pid ${pid} on host ${host})` : ` (pid ${pid})`;
    super(`another flexcopy${who} is copying with the journal ${file} (lock ${lockFile}); wait for it, or give this run its own --state-dir`);
    this.name = "JournalBusy";
  }
}

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

function bootId(): string | undefined {
  return readText("/proc/sys/kernel/random/boot_id")?.trim() || undefined;
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
export function processStart(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19];
}

/** This process, as a lock records it. */
export function selfHolder(): LockHolder {
  const start = processStart(process.pid);
  const boot = bootId();
  return { pid: process.pid, host: os.hostname(), ...(boot ? { boot } : {}), ...(start ? { start } : {}), since: new Date().toISOString(), nonce: randomBytes(6).toString("hex") };
}

function parseHolder(text: string): LockHolder | undefined {
  const t = text.trim();
  // flexcopy before 0.x wrote the bare pid.
  if (/^\d+$/.test(t)) return { pid: Number(t), host: os.hostname() };
  try {
    const v = JSON.parse(t) as Partial<LockHolder>;
    return typeof v.pid === "number" && v.pid > 0 && typeof v.host === "string" ? (v as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the holder may still be running. Another host's process cannot be seen from here (a state
 * directory on a shared disk): taken as alive, and the refusal names its host. On this host: dead when
 * the machine rebooted since (boot id), when no process has the pid, or when the pid's process started
 * at another time than the holder (the pid was reused).
 */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== os.hostname()) return true;
  if (h.boot !== undefined && bootId() !== undefined && h.boot !== bootId()) return false;
  if (!pidAlive(h.pid)) return false;
  if (h.start !== undefined) {
    const now = processStart(h.pid);
    if (now !== undefined && now !== h.start) return false;
  }
  return true;
}

/** The live holder of `<file>.lock`, if any (not this process: its own lock is its own). */
export function lockHolder(file: string): LockHolder | undefined {
  const text = readText(`${file}.lock`);
  const h = text === undefined ? undefined : parseHolder(text);
  return h && !(h.pid === process.pid && h.host === os.hostname()) && holderAlive(h) ? h : undefined;
}

/** A lock text nobody can read (a crash of an old version between create and write): stale once this old. */
const UNREADABLE_STALE_MS = 5_000;
/** A takeover claim older than this was left by a process that died in the middle of a takeover. */
const CLAIM_STALE_MS = 10_000;

function writeNew(file: string, text: string): void {
  const fd = openSync(file, "wx", 0o600);
  try {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const unlinkQuietly = (file: string): void => {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
};

/**
 * Removes a stale lock whose text is `stale`, unless another process does so first. Only the process
 * that creates the claim `<lock>.takeover-<hash of the text>` (link(): exactly one succeeds) may remove
 * the lock, and only while it still holds that very text: so two processes that both judged the lock
 * stale never both remove it, and nobody removes the fresh lock that replaced it.
 */
function takeOver(lockFile: string, stale: string): void {
  const claim = `${lockFile}.takeover-${createHash("sha256").update(stale).digest("hex").slice(0, 16)}`;
  try {
    linkSync(lockFile, claim);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      try {
        if (Date.now() - lstatSync(claim).ctimeMs > CLAIM_STALE_MS) unlinkQuietly(claim);
      } catch {
        // gone meanwhile
      }
      return;
    }
    if (code === "ENOENT") return;
    throw err;
  }
  try {
    if (readText(claim) === stale) unlinkSync(lockFile);
  } finally {
    unlinkQuietly(claim);
  }
}

/**
 * Takes `<file>.lock` for this process, atomically: the holder's text is written whole to a temporary
 * file, which is then hard-linked to the lock's name (link() fails if the name exists, so there is no
 * moment when the lock exists but is empty). A lock whose holder is dead is taken over (takeOver).
 * Throws JournalBusy naming the lock file when a live process holds it; a failed write leaves no lock.
 * Returns the function that releases it.
 */
export function acquireLock(file: string): () => void {
  const lockFile = `${file}.lock`;
  const text = JSON.stringify(selfHolder()) + "\n";
  const tmp = `${lockFile}.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    writeNew(tmp, text);
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        linkSync(tmp, lockFile);
        return () => {
          if (readText(lockFile) === text) unlinkQuietly(lockFile);
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const current = readText(lockFile);
      if (current === undefined) continue; // released meanwhile
      const h = parseHolder(current);
      if (h && h.pid === process.pid && h.host === os.hostname()) throw new JournalBusy(file, h.pid, lockFile, h.host);
      if (h && holderAlive(h)) throw new JournalBusy(file, h.pid, lockFile, h.host);
      if (!h) {
        let age = 0;
        try {
          age = Date.now() - lstatSync(lockFile).mtimeMs;
        } catch {
          continue;
        }
        if (age < UNREADABLE_STALE_MS) throw new JournalBusy(file, 0, lockFile);
      }
      takeOver(lockFile, current);
    }
    throw new JournalBusy(file, 0, lockFile);
  } finally {
    unlinkQuietly(tmp);
  }
}
