import * as fs from "node:fs";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { acquireLock, JournalBusy, lockHolder, processStart, selfHolder } from "./lock.js";

// A disk that fills up while the lock is written (ENOSPC), switched on per test.
let failWrites = false;
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return {
    ...real,
    writeSync: (...args: Parameters<typeof real.writeSync>) => {
      if (failWrites) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      return (real.writeSync as (...a: unknown[]) => number)(...args);
    },
  };
});

const journal = () => path.join(mkdtempSync(path.join(tmpdir(), "lock-")), "b.journal.ndjson");
const holderText = (over: Record<string, unknown>) => JSON.stringify({ ...selfHolder(), ...over }) + "\n";

describe("journal lock", () => {
  it("is taken with the holder's pid, host, boot id and start time, and released", () => {
    const file = journal();
    const release = acquireLock(file);
    const h = JSON.parse(readFileSync(`${file}.lock`, "utf8")) as Record<string, unknown>;
    expect(h).toMatchObject({ pid: process.pid, host: os.hostname() });
    if (existsSync("/proc/self/stat")) expect(h.start).toBe(processStart(process.pid));
    if (existsSync("/proc/sys/kernel/random/boot_id")) expect(h.boot).toBe(readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim());
    // No temporary file is left beside it.
    expect(readdirSync(path.dirname(file))).toEqual(["b.journal.ndjson.lock"]);
    release();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it("a live holder is refused, naming the lock file; a second lock in the same process too", () => {
    const file = journal();
    writeFileSync(`${file}.lock`, holderText({ pid: process.ppid, start: processStart(process.ppid) }));
    expect(() => acquireLock(file)).toThrow(JournalBusy);
    expect(() => acquireLock(file)).toThrow(`(lock ${file}.lock)`);
    expect(lockHolder(file)?.pid).toBe(process.ppid);
    fs.unlinkSync(`${file}.lock`);
    const release = acquireLock(file);
    expect(() => acquireLock(file)).toThrow(JournalBusy);
    release();
  });

  it("a dead holder's lock is taken over: no such pid, a reused pid (other start time), another boot", () => {
    for (const stale of [{ pid: 999_999_999 }, { pid: process.ppid, start: "1" }, { pid: process.ppid, boot: "00000000-0000-0000-0000-000000000000" }]) {
      const file = journal();
      writeFileSync(`${file}.lock`, holderText(stale));
      if (stale.start && !existsSync("/proc/self/stat")) continue;
      if (stale.boot && !existsSync("/proc/sys/kernel/random/boot_id")) continue;
      expect(lockHolder(file), JSON.stringify(stale)).toBeUndefined();
      const release = acquireLock(file);
      expect(JSON.parse(readFileSync(`${file}.lock`, "utf8"))).toMatchObject({ pid: process.pid });
      release();
      expect(readdirSync(path.dirname(file))).toEqual([]);
    }
  });

  it("an older flexcopy's bare-pid lock is judged by its pid", () => {
    const file = journal();
    writeFileSync(`${file}.lock`, String(process.ppid));
    expect(() => acquireLock(file)).toThrow(`another flexcopy (pid ${process.ppid})`);
    writeFileSync(`${file}.lock`, "999999999");
    acquireLock(file)();
  });

  it("another host's lock is never taken over (its process cannot be seen from here)", () => {
    const file = journal();
    writeFileSync(`${file}.lock`, holderText({ pid: 999_999_999, host: "build-7.example" }));
    expect(() => acquireLock(file)).toThrow("(pid 999999999 on host build-7.example)");
  });

  it("a lock that could not be written (disk full) leaves no lock file, empty or not", () => {
    const file = journal();
    failWrites = true;
    try {
      expect(() => acquireLock(file)).toThrow(/ENOSPC/);
    } finally {
      failWrites = false;
    }
    expect(readdirSync(path.dirname(file))).toEqual([]);
    acquireLock(file)();
  });
});
