// Issue 17: a run's outcome is always true. A closed stdout never turns a copy into a silent partial
// success; a retried CompleteMultipartUpload answered NoSuchUpload is a copy; a journal that cannot be
// written stops the run with one line, and what was copied is counted copied.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli, summaryOf, under } from "./harness.js";
import { assertOutcome, journalFile, journalLines, lineBytes, ownerUploads, padding, reportPath, spawnCli, SRC } from "./outcome-helpers.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const MP = ["--multipart-threshold", "64MiB", "--part-size", "16MiB"];
const stateDir = () => mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));

describe("a closed stdout (fetch … | head -1)", () => {
  for (const mode of ["--json", "text"] as const) {
    it(`${mode}: the copy goes on with its output dropped; the exit code and the bucket agree, the last line goes to stderr`, async () => {
      emu = await emulator(MULTIPART_SETUP);
      for (let i = 1; i <= 4; i++) emu.putObject(SRC, `2021/05/31/20210531_8_00${i}.pcap.gz`, 100 * 2 ** 20 + i, { contentType: "application/gzip" });
      emu.setFaults({ latencyMs: 15, copyRateBytesPerSec: 400 * 2 ** 20 });
      const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir() });
      const report = reportPath();
      const run = spawnCli(["fetch", "2021/05", ...MP, "--report", report, ...(mode === "text" ? [] : [mode])], env);
      // --json | head -1: the reader takes the first chunk and goes away. Text (results on stdout at the end,
      // events on stderr): the reader is gone before the end, as with a dropped session or log collector.
      if (mode === "--json") run.child.stdout!.once("data", () => run.child.stdout!.destroy());
      else run.child.stdout!.destroy();
      const r = await run.done;
      const rep = JSON.parse(readFileSync(report, "utf8")) as { summary: { copied: number; failed: number; interrupted: boolean } };
      const src = under(emu, SRC, "2021/05/");
      const dest = under(emu, emu.destBuckets[0]!, "2021/05/");
      // Never exit 0 over a partial copy: here everything was copied, and 0 says so.
      expect(r.code, r.stderr).toBe(0);
      expect(dest.map((o) => [o.key, o.size])).toEqual(src.map((o) => [o.key, o.size]));
      expect(rep.summary).toMatchObject({ copied: src.length, failed: 0, interrupted: false });
      expect(await ownerUploads(emu)).toEqual([]);
      const tail = r.stderr.slice(r.stderr.indexOf("flexcopy: standard output was closed (EPIPE); the run went on without it. What it would have shown last:\n"));
      expect(tail).not.toBe("");
      if (mode === "--json") expect(JSON.parse(tail.trim().split("\n").at(-1)!)).toMatchObject({ kind: "summary", summary: { copied: src.length } });
      else expect(tail).toContain(`${src.length} copied`);
      const v = await runCli(["verify", "2021/05", "--json"], { env });
      expect(v.code, v.stdout).toBe(0);
    }, 60_000);
  }

  it("ls | head still ends quietly", async () => {
    emu = await emulator();
    const run = spawnCli(["ls", "2021/05"], cliEnv(emu));
    run.child.stdout!.once("data", () => run.child.stdout!.destroy());
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });
});

describe("a CompleteMultipartUpload whose answer was lost", () => {
  const KEY = "2021/05/28/big.pcap.gz";

  it("retried and answered NoSuchUpload: the destination holds the parts' ETag, so it is counted copied and recorded", async () => {
    emu = await emulator({ seed: "none", ...MULTIPART_SETUP });
    emu.putObject(SRC, KEY, 100 * 2 ** 20);
    emu.setFaults({ failNext: [{ op: "CompleteMultipartUpload", count: 1, code: "ResetAfter" }] });
    const dir = stateDir();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: dir });
    const report = reportPath();
    const r = await runCli(["fetch", "2021/05/28", "--json", "--report", report, ...MP], { env });
    const completes = emu.requestLog().filter((l) => l.op === "CompleteMultipartUpload");
    expect(completes.map((l) => [l.status, l.code ?? "", l.responseLost ?? false])).toEqual([
      [200, "", true],
      [404, "NoSuchUpload", false],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r)).toMatchObject({ copied: 1, failed: 0 });
    const dest = under(emu, emu.destBuckets[0]!, "2021/05/28/");
    expect(eventsOf(r, "copied")).toMatchObject([{ key: KEY, multipart: true, etag: `"${dest[0]!.etag}"` }]);
    await assertOutcome(emu, r, { day: "2021/05/28/", report, env, selector: "2021/05/28", complete: true });
    // Recorded as done: verify compares the ETag (not by size only), a re-run skips on the recorded ETag.
    expect(journalLines(journalFile(dir, emu)).filter((l) => l.t === "done" && l.key === KEY)).toHaveLength(1);
    const again = await runCli(["fetch", "2021/05/28", "--json", ...MP], { env });
    expect(eventsOf(again, "skipped")).toMatchObject([{ key: KEY, reason: "matches the etag recorded when it was copied" }]);
  });
});

/**
 * One multipart object (7 parts) and a file size limit that cuts the journal inside the line `cut` names:
 * the journal is padded so the limit (whole 512-byte blocks) falls at the middle of that line.
 */
async function limitedRun(cut: "intent" | "start" | "done") {
  const e = await emulator({ seed: "none", ...MULTIPART_SETUP });
  emu = e;
  const KEY = "2021/05/28/20210528_1_001.pcap.gz";
  const size = 100 * 2 ** 20;
  e.putObject(SRC, KEY, size);
  const etag = `"${"a".repeat(32)}"`;
  const uploadId = "u".repeat(64);
  const at = Date.now();
  const lines = {
    created: lineBytes({ t: "created", at }),
    intent: lineBytes({ t: "intent", key: KEY, at }),
    start: lineBytes({ t: "start", key: KEY, uploadId, partSize: 16 * 2 ** 20, sourceEtag: etag, size }),
    parts: 7 * lineBytes({ t: "part", key: KEY, uploadId, n: 1, etag }),
    done: lineBytes({ t: "done", key: KEY, uploadId, etag: `"${"a".repeat(32)}-7"`, sourceEtag: etag, at }),
  };
  // The bytes written before the line to cut (the compacted padding aside).
  const before = lines.created + (cut === "intent" ? 0 : lines.intent + (cut === "start" ? 0 : lines.start + lines.parts));
  const limit = Math.ceil((before + 20_000) / 512) * 512;
  const dir = stateDir();
  writeFileSync(journalFile(dir, e), padding(limit - before - Math.floor(lines[cut] / 2)));
  const env = cliEnv(e, { FLEXCOPY_STATE_DIR: dir });
  const report = reportPath();
  const r = await spawnCli(["fetch", "2021/05/28", "--json", "--report", report, ...MP], env, { fileSizeBlocks: limit / 512 }).done;
  return { e, r, env, dir, report, KEY, file: journalFile(dir, e) };
}

describe("a journal that cannot be written (file size limit: a short write, then EFBIG)", () => {
  it("after a successful Complete: counted copied, the run stops with one line naming the journal (exit 2); the re-run records it done", async () => {
    const { e, r, env, dir, report, KEY, file } = await limitedRun("done");
    expect(e.requestLog().filter((l) => l.op === "CompleteMultipartUpload").map((l) => l.status)).toEqual([200]);
    expect(r.code, r.stderr).toBe(2);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("flexcopy: error:"));
    expect(errors).toEqual([`flexcopy: error: cannot write the resume journal ${file}: the file size limit was reached (EFBIG); the run stopped (uploads in flight are kept and continue on the next run)`]);
    expect(r.stderr).toMatch(/hint: make room there, then run the same command again to resume: flexcopy fetch 2021\/05\/28/);
    expect(summaryOf(r)).toMatchObject({ copied: 1, failed: 0, interrupted: true, journalError: expect.stringContaining(file) });
    expect(eventsOf(r, "failed")).toEqual([]);
    await assertOutcome(e, r, { day: "2021/05/28/", report, env, selector: "2021/05/28", complete: true });
    // The torn `done` line was cut off: the journal ends with the upload's last part.
    expect(readFileSync(file, "utf8").endsWith("\n")).toBe(true);
    expect(journalLines(file).filter((l) => l.key === KEY).map((l) => l.t)).toEqual(["intent", "start", ...Array(7).fill("part")]);

    // The re-run (room again) proves the copy from the journal's `start` and parts: skipped, recorded done.
    const again = await runCli(["fetch", "2021/05/28", "--json", ...MP], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(eventsOf(again, "skipped")).toMatchObject([{ key: KEY, reason: "matches the etag recorded when it was copied" }]);
    expect(journalLines(journalFile(dir, e)).filter((l) => l.key === KEY).map((l) => l.t).at(-1)).toBe("done");
    expect(e.requestLog().filter((l) => l.op === "AbortMultipartUpload")).toEqual([]);
  });

  it("cutting the `start` line: the upload just created is aborted, the run stops (exit 2), nothing is left", async () => {
    const { e, r, env, report, KEY, file } = await limitedRun("start");
    const created = e.requestLog().filter((l) => l.op === "CreateMultipartUpload");
    expect(created).toHaveLength(1);
    expect(e.requestLog().filter((l) => l.op === "AbortMultipartUpload" && l.status === 204).map((l) => l.uploadId)).toEqual([created[0]!.uploadId]);
    expect(e.requestLog().filter((l) => l.op === "UploadPartCopy")).toEqual([]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`cannot write the resume journal ${file}: the file size limit was reached (EFBIG)`);
    expect(summaryOf(r)).toMatchObject({ copied: 0, failed: 0, interrupted: true });
    await assertOutcome(e, r, { day: "2021/05/28/", report, env, selector: "2021/05/28", complete: false });
    expect(journalLines(file).filter((l) => l.key === KEY).map((l) => l.t)).toEqual(["intent"]);
    const again = await runCli(["fetch", "2021/05/28", "--json", ...MP], { env });
    expect(again.code, again.stderr).toBe(0);
    await assertOutcome(e, again, { day: "2021/05/28/", env, selector: "2021/05/28", complete: true });
  });

  it("cutting the `intent` line: no upload is created at all", async () => {
    const { e, r, file } = await limitedRun("intent");
    expect(e.requestLog().filter((l) => l.op === "CreateMultipartUpload")).toEqual([]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`cannot write the resume journal ${file}`);
    expect(await ownerUploads(e)).toEqual([]);
  });
});
