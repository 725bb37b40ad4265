// Issue 17: no upload left behind after a clean exit, no stale copy kept forever, no run that undoes another.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli, summaryOf, under } from "./harness.js";
import { assertOutcome, journalFile, journalLines, ownerUploads, SRC } from "./outcome-helpers.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const DAY = "2021/05/28/";
const MP = ["--multipart-threshold", "64MiB", "--part-size", "16MiB"];
const stateDir = () => mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));
const keys = (n: number) => Array.from({ length: n }, (_, i) => `${DAY}20210528_1_00${i + 1}.pcap.gz`);

/**
 * Four objects copied in parts (over MP's 16 MiB threshold, 5 MiB parts) and slowly (a part takes seconds), so a
 * run can be killed with its uploads created. Under 32 MiB: with the default threshold they go by CopyObject,
 * even in a run's tail (strategy.ts TAIL_MIN_SIZE).
 */
async function slowDay(): Promise<Emulator> {
  const e = await emulator({ seed: "none", ...MULTIPART_SETUP });
  for (const k of keys(4)) e.putObject(SRC, k, 20 * 2 ** 20 + k.length);
  e.setFaults({ copyRateBytesPerSec: 2 * 2 ** 20 });
  return e;
}
const SMALL_MP = ["--multipart-threshold", "16MiB", "--part-size", "5MiB"];

/** SIGKILLs the CLI once its journal (under `dir`) records `n` uploads (`start` lines), or `n` of them were created. */
function killAtStarts(file: string, n: number) {
  return (pid: number) => {
    const t = setInterval(() => {
      let text = "";
      try {
        text = readFileSync(file, "utf8");
      } catch {
        return;
      }
      if (text.split('"t":"start"').length - 1 >= n) {
        clearInterval(t);
        process.kill(pid, "SIGKILL");
      }
    }, 2);
  };
}

describe("uploads the journal holds are continued or aborted, whatever this run's plan", () => {
  it("killed after CreateMultipartUpload, re-run with --multipart-threshold 5GiB (CopyObject): the journaled uploads are aborted, none left", async () => {
    emu = await slowDay();
    const dir = stateDir();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: dir });
    const killed = await runCli(["fetch", "2021/05/28", "--json", ...SMALL_MP], { env, onSpawn: killAtStarts(journalFile(dir, emu), 4) });
    expect(killed.signal).toBe("SIGKILL");
    const lines = journalLines(journalFile(dir, emu));
    const started = lines.filter((l) => l.t === "start").map((l) => l.uploadId as string);
    expect(started).toHaveLength(4);
    // An upload with a part already recorded is continued (copy.ts: its parts are not copied again); one
    // with none is aborted and the object goes by CopyObject, as this run's plan says. Which of the two a
    // kill leaves depends on timing (the tiny last part may finish first): both are checked.
    const withParts = new Set(lines.filter((l) => l.t === "part").map((l) => l.uploadId as string));
    const bare = started.filter((u) => !withParts.has(u));
    emu.setFaults({ copyRateBytesPerSec: 0 });

    const r = await runCli(["fetch", "2021/05/28", "--json", "--multipart-threshold", "5GiB"], { env });
    expect(r.code, r.stderr).toBe(0);
    const copied = eventsOf(r, "copied");
    expect(copied).toHaveLength(4);
    expect(copied.filter((c) => c.multipart).length).toBe(withParts.size);
    const log = emu.requestLog();
    const aborted = log.filter((l) => l.op === "AbortMultipartUpload" && l.status === 204).map((l) => l.uploadId);
    expect(aborted.sort()).toEqual([...bare].sort());
    const completed = log.filter((l) => l.op === "CompleteMultipartUpload" && l.status === 200).map((l) => l.uploadId);
    expect(completed.sort()).toEqual([...withParts].sort());
    expect(summaryOf(r).uploadsLeft).toBe(0);
    await assertOutcome(emu, r, { day: DAY, env, selector: "2021/05/28", complete: true });
    // Forgotten: the next run has nothing to continue or abort.
    const again = await runCli(["fetch", "2021/05/28", "--json"], { env });
    expect(summaryOf(again)).toMatchObject({ copied: 0, skipped: 4 });
  }, 60_000);

  it("an object already in the bucket (skipped) whose upload the journal holds: the upload is aborted", async () => {
    emu = await slowDay();
    const dir = stateDir();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: dir });
    const killed = await runCli(["fetch", "2021/05/28", "--json", ...SMALL_MP], { env, onSpawn: killAtStarts(journalFile(dir, emu), 4) });
    expect(killed.signal).toBe("SIGKILL");
    emu.setFaults({ copyRateBytesPerSec: 0 });
    // Copied meanwhile by other means (another state directory, CopyObject).
    const other = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir() });
    expect((await runCli(["fetch", "2021/05/28", "--multipart-threshold", "5GiB"], { env: other })).code).toBe(0);
    const r = await runCli(["fetch", "2021/05/28", "--json", ...SMALL_MP], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r)).toMatchObject({ copied: 0, skipped: 4, uploadsLeft: 0 });
    await assertOutcome(emu, r, { day: DAY, env, selector: "2021/05/28", complete: true });
  }, 60_000);
});

describe("the state directory deleted mid-run, then a crash", () => {
  it("the re-run says the uploads no journal records, with the command; cleanup removes them as a deleted journal's", async () => {
    emu = await slowDay();
    const dir = stateDir();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: dir });
    const killed = await runCli(["fetch", "2021/05/28", "--json", ...SMALL_MP], {
      env,
      onSpawn: (pid) => killAtStarts(journalFile(dir, emu!), 4)(pid),
    });
    expect(killed.signal).toBe("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    emu.setFaults({ copyRateBytesPerSec: 0 });
    const left = (await ownerUploads(emu)).map((u) => u.uploadId);
    expect(left).toHaveLength(4);

    const r = await runCli(["fetch", "2021/05/28", "--json", ...SMALL_MP], { env });
    expect(r.code, r.stderr).toBe(0);
    const notice = eventsOf(r, "notice").map((n) => String(n.message)).find((m) => m.includes("in no journal here"));
    expect(notice).toMatch(/^4 incomplete uploads of the provider's role in s3:\/\/flex-dest \(billed until aborted\) are in no journal here/);
    const command = /remove them with: (flexcopy cleanup .*)$/.exec(notice!)![1]!;
    expect(command).toBe(`flexcopy cleanup --dest-bucket flex-dest --state-dir ${dir}`);
    expect(under(emu, emu.destBuckets[0]!, DAY)).toHaveLength(4);

    const c = await runCli([...command.split(" ").slice(1), "--json"], { env });
    expect(c.code, c.stderr).toBe(0);
    expect(eventsOf(c, "cleanup").filter((i) => i.action === "aborted").map((i) => i.uploadId).sort()).toEqual([...left].sort());
    expect(eventsOf(c, "cleanup").every((i) => /before this journal existed/.test(String(i.reason)))).toBe(true);
    expect(await ownerUploads(emu)).toEqual([]);
    const v = await runCli(["verify", "2021/05/28", "--json"], { env });
    expect(v.code).toBe(0);
  }, 60_000);
});

describe("a stale copy is not kept forever", () => {
  it("with --shard, fetch reads every journal of the bucket as verify does: a republished source is copied again", async () => {
    emu = await emulator({ seed: "none", ...MULTIPART_SETUP });
    const KEY = `${DAY}big.pcap.gz`;
    emu.putObject(SRC, KEY, 100 * 2 ** 20);
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir() });
    const first = await runCli(["fetch", "2021/05/28", "--shard", "1/1", "--json", ...MP], { env });
    expect(first.code, first.stderr).toBe(0);
    const old = under(emu, emu.destBuckets[0]!, DAY)[0]!.etag;
    // The provider republishes the file: same size, other bytes.
    emu.putObject(SRC, KEY, 100 * 2 ** 20, { version: "2" });
    const v1 = await runCli(["verify", "2021/05/28", "--json"], { env });
    expect(v1.code).toBe(1);
    expect(eventsOf(v1, "verify")).toMatchObject([{ key: KEY, status: "etag-mismatch", note: expect.stringContaining("the source changed") }]);

    const r = await runCli(["fetch", "2021/05/28", "--json", ...MP], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied")).toMatchObject([{ key: KEY, multipart: true }]);
    expect(under(emu, emu.destBuckets[0]!, DAY)[0]!.etag).not.toBe(old);
    await assertOutcome(emu, r, { day: DAY, env, selector: "2021/05/28", complete: true });
  });

  it("after a crash right after Complete (no `done` line), a republished source is copied again; unchanged, it is recorded done", async () => {
    emu = await emulator({ seed: "none", ...MULTIPART_SETUP });
    const [A, B] = [`${DAY}a.pcap.gz`, `${DAY}b.pcap.gz`];
    for (const k of [A, B]) emu.putObject(SRC, k, 100 * 2 ** 20);
    const dir = stateDir();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: dir });
    const first = await runCli(["fetch", "2021/05/28", "--json", ...MP], { env });
    expect(first.code, first.stderr).toBe(0);
    // The journal as a kill between Complete and its `done` line leaves it: the done lines gone.
    const file = journalFile(dir, emu);
    writeFileSync(file, readFileSync(file, "utf8").split("\n").filter((l) => !l.includes('"t":"done"')).join("\n"));
    emu.putObject(SRC, A, 100 * 2 ** 20, { version: "2" });

    const r = await runCli(["fetch", "2021/05/28", "--json", ...MP], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied")).toMatchObject([{ key: A, multipart: true }]);
    expect(eventsOf(r, "skipped")).toMatchObject([{ key: B, reason: "matches the etag recorded when it was copied" }]);
    await assertOutcome(emu, r, { day: DAY, env, selector: "2021/05/28", complete: true });
    const done = journalLines(file).filter((l) => l.t === "done").map((l) => l.key);
    expect(done.sort()).toEqual([A, B]);
    // verify compares ETags now, not sizes only.
    const v = await runCli(["verify", "2021/05/28", "--json"], { env });
    expect(eventsOf(v, "verify-summary")).toMatchObject([{ ok: 2, sizeOnly: 0 }]);
  });
});

describe("one run never undoes another", () => {
  it("a second run with its own --state-dir keeps the first's live upload: its intent is an hour older than that upload", async () => {
    emu = await emulator({ seed: "none", ...MULTIPART_SETUP });
    const KEY = `${DAY}big.pcap.gz`;
    emu.putObject(SRC, KEY, 100 * 2 ** 20);
    emu.putObject(SRC, "2021/05/27/small.pcap.gz", 1024);
    emu.setFaults({ copyRateBytesPerSec: 4 * 2 ** 20 });
    const dirA = stateDir();
    const dirB = stateDir();
    // B's earlier run died an hour ago right before creating an upload of the same key.
    writeFileSync(journalFile(dirB, emu), JSON.stringify({ t: "intent", key: KEY, at: Date.now() - 3_600_000 }) + "\n");
    let a: Promise<Awaited<ReturnType<typeof runCli>>> | undefined;
    const started = new Promise<void>((resolve) => {
      a = runCli(["fetch", "2021/05/28", "--json", ...MP], {
        env: cliEnv(emu!, { FLEXCOPY_STATE_DIR: dirA }),
        onSpawn: () => {
          const t = setInterval(() => {
            if (journalLines(journalFile(dirA, emu!)).some((l) => l.t === "start")) {
              clearInterval(t);
              resolve();
            }
          }, 5);
        },
      });
    });
    await started;
    const b = await runCli(["fetch", "2021/05/27", "--json"], { env: cliEnv(emu, { FLEXCOPY_STATE_DIR: dirB }) });
    expect(b.code, b.stderr).toBe(0);
    expect(eventsOf(b, "orphans")).toMatchObject([{ keys: 1, found: 0, removed: 0 }]);
    const ra = await a!;
    expect(ra.code, ra.stderr).toBe(0);
    expect(eventsOf(ra, "copied")).toMatchObject([{ key: KEY, multipart: true }]);
    expect(emu.requestLog().filter((l) => l.op === "AbortMultipartUpload")).toEqual([]);
    expect(await ownerUploads(emu)).toEqual([]);
  }, 60_000);
});
