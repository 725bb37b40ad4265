import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, runCli, summaryOf } from "./harness.js";
import { spawnCli } from "./outcome-helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const JOURNAL_MODULE = pathToFileURL(path.join(root, "dist/state/journal-file.js")).href;

/**
 * One racer: for `ms` milliseconds, opens the journal for writing (which takes its lock) again and
 * again; each time it gets it, it marks itself the holder with an exclusive create of `<file>.holder`,
 * which fails if another racer holds the lock at the same time (a broken lock), then lets go.
 */
const RACER = `
import { openSync, closeSync, unlinkSync } from "node:fs";
const { FileJournal, JournalBusy } = await import(process.argv[1]);
const [file, at, ms] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const n = { ok: 0, busy: 0, overlap: 0, error: [] };
while (Date.now() < at) {}
while (Date.now() < at + ms) {
  let j;
  try {
    j = new FileJournal(file);
  } catch (err) {
    if (err instanceof JournalBusy) n.busy++;
    else n.error.push(err.message);
    continue;
  }
  n.ok++;
  try {
    closeSync(openSync(file + ".holder", "wx"));
    const until = Date.now() + 1;
    while (Date.now() < until) {}
    unlinkSync(file + ".holder");
  } catch {
    n.overlap++;
  }
  j.close();
}
process.stdout.write(JSON.stringify(n));`;

interface Tally {
  ok: number;
  busy: number;
  overlap: number;
  error: string[];
}

function racer(file: string, at: number, ms: number): Promise<Tally> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", RACER, JOURNAL_MODULE, file, String(at), String(ms)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("error", reject);
    child.on("close", () => resolve(JSON.parse(out) as Tally));
  });
}

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe("the journal lock under a race", () => {
  it("four processes taking and releasing one journal's lock for 4 s never hold it at the same time", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "flexcopy-race-")), "b.journal.ndjson");
    const at = Date.now() + 800;
    const tallies = await Promise.all(Array.from({ length: 4 }, () => racer(file, at, 4000)));
    const sum = (k: "ok" | "busy" | "overlap") => tallies.reduce((a, t) => a + t[k], 0);
    expect(tallies.flatMap((t) => t.error)).toEqual([]);
    expect(sum("overlap"), JSON.stringify(tallies)).toBe(0);
    // It raced: the lock was taken many times and refused many times.
    expect(sum("ok")).toBeGreaterThan(100);
    expect(sum("busy")).toBeGreaterThan(100);
  }, 60_000);

  it("of four fetches started together on one state directory, exactly one copies; the others exit 2 naming the lock", async () => {
    emu = await emulator();
    // Slow enough that every fetch tries the lock while the first still holds it.
    emu.setFaults({ latencyMs: 150 });
    const src = emu.objects("dataservice-flex-bucket").filter((o) => o.key.startsWith("2021/05/31/"));
    for (let round = 0; round < 3; round++) {
      const state = mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));
      const dest = emu.destBuckets[0]!;
      for (const o of emu.objects(dest)) emu.deleteObject(dest, o.key);
      const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: state });
      const runs = await Promise.all(Array.from({ length: 4 }, () => runCli(["fetch", "2021/05/31", "--json"], { env })));
      const ran = runs.filter((r) => r.code === 0);
      expect(ran, runs.map((r) => `${r.code}: ${r.stderr}`).join("\n")).toHaveLength(1);
      expect(summaryOf(ran[0]!).copied).toBe(src.length);
      const lock = path.join(state, `${dest}.journal.ndjson.lock`);
      for (const r of runs.filter((x) => x !== ran[0])) {
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toContain(`(lock ${lock})`);
        expect(eventsCopied(r)).toBe(0);
      }
      expect(emu.objects(dest).filter((o) => o.key.startsWith("2021/05/31/"))).toHaveLength(src.length);
    }
  }, 180_000);
});

const eventsCopied = (r: { events: Record<string, unknown>[] }): number => r.events.filter((e) => e.kind === "copied").length;

describe("a lock that cannot be written (a full disk: RLIMIT_FSIZE 0)", () => {
  it("exit 2 with one line naming the journal, no empty lock file left, no request sent", async () => {
    const e = await emulator();
    try {
      const dir = mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));
      const r = await spawnCli(["fetch", "2021/05/31"], cliEnv(e, { FLEXCOPY_STATE_DIR: dir }), { fileSizeBlocks: 0 }).done;
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(path.join(dir, `${e.destBuckets[0]}.journal.ndjson`));
      expect(r.stderr).toMatch(/EFBIG|file size limit/);
      expect(readdirSync(dir)).toEqual([]);
      expect(e.requestLog().filter((l) => l.op !== "AssumeRole")).toEqual([]);
    } finally {
      await e.stop();
    }
  });
});
