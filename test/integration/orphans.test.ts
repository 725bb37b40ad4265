// Uploads orphaned by a crash (issue 12 item 1): a process killed between CreateMultipartUpload and
// the journal line recording its upload id leaves an upload only the journal's `intent` points to.
// These tests rely on the emulator allowing the role multipart copies (UploadPartCopy) into the
// destination, as the current emulator does.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli, summaryOf, under } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2021/05/31/";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const owner = (e: Emulator) =>
  new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });

async function role(e: Emulator): Promise<S3Client> {
  const c = await assumeRole(e, { RoleSessionName: "orphan-test" });
  return new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: c });
}

/** Incomplete uploads in the destination, as its owner lists them. */
async function uploads(e: Emulator): Promise<{ key: string; uploadId: string }[]> {
  const out = await owner(e).send(new ListMultipartUploadsCommand({ Bucket: e.destBuckets[0]! }));
  return (out.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
}

function journalFile(stateDir: string, e: Emulator): string {
  return path.join(stateDir, `${e.destBuckets[0]}.journal.ndjson`);
}

/** Upload ids the journal records (its `start` lines). */
function recorded(file: string): Set<string> {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return new Set();
  }
  const ids = text.split("\n").flatMap((l) => {
    try {
      const r = JSON.parse(l) as { t?: string; uploadId?: string };
      return r.t === "start" && r.uploadId ? [r.uploadId] : [];
    } catch {
      return [];
    }
  });
  return new Set(ids);
}

const N = 8;
const TOTAL_PARTS = N * 7; // 100 MiB objects in 16 MiB parts
const ARGS = ["fetch", "2021/05/31", "--json", "--multipart-threshold", "64MiB", "--part-size", "16MiB", "--concurrency", "16"];

/** A FLEX day whose large files all start at once: a burst of CreateMultipartUpload. */
async function burstEmulator(): Promise<Emulator> {
  // Parts allowed (`flexcopy policy --allow-multipart`): under the manual's policy only the one probe upload is created.
  const e = await emulator(MULTIPART_SETUP);
  for (let i = 1; i <= N; i++) e.putObject(SRC, `${DAY}20210531_9_00${i}.pcap.gz`, 100 * 2 ** 20 + i * 1013, { contentType: "application/gzip" });
  e.setFaults({ latencyMs: 40, copyRateBytesPerSec: 400 * 2 ** 20 });
  return e;
}

/** SIGKILLs the CLI as soon as the emulator has answered a CreateMultipartUpload of this run. */
function killAtCreate(e: Emulator, seenBefore: number) {
  return (pid: number) => {
    const t = setInterval(() => {
      if (e.requestLog().filter((l) => l.op === "CreateMultipartUpload").length > seenBefore) {
        clearInterval(t);
        process.kill(pid, "SIGKILL");
      }
    }, 1);
  };
}

describe("uploads orphaned by a crash", () => {
  it("SIGKILL at upload creation, three times: the re-run removes the orphans as the bucket owner; nothing left, every part copied once", async () => {
    emu = await burstEmulator();
    const stateDir = mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir });
    let orphansSeen = 0;
    let removed = 0; // by the sweeps of the runs after a kill (each re-run removes what the previous kill left)
    for (let kill = 0; kill < 3; kill++) {
      const creates = emu.requestLog().filter((l) => l.op === "CreateMultipartUpload").length;
      const r = await runCli(ARGS, { env, onSpawn: killAtCreate(emu, creates) });
      expect(r.signal).toBe("SIGKILL");
      for (const e of eventsOf(r, "orphans")) removed += Number(e.removed);
      // Let the requests the dead process had in flight land (S3 goes on creating uploads).
      await new Promise((res) => setTimeout(res, 150));
      const known = recorded(journalFile(stateDir, emu));
      orphansSeen += (await uploads(emu)).filter((u) => !known.has(u.uploadId)).length;
    }
    // The scenario of the issue happened: uploads no journal line records.
    expect(orphansSeen).toBeGreaterThan(0);

    const before = emu.requestLog().length;
    const done = await runCli(ARGS, { env });
    expect(done.code, done.stderr).toBe(0);
    // The last kill may land after the journal recorded its upload (then there is nothing to sweep).
    const sweep = eventsOf(done, "orphans")[0];
    if (sweep) expect(sweep).toMatchObject({ left: 0, unchecked: 0 });
    removed += Number(sweep?.removed ?? 0);
    expect(removed).toBeGreaterThanOrEqual(orphansSeen);
    // Listed and aborted with the bucket owner's credentials (the manual's policy gives the role neither).
    const log = emu.requestLog().slice(before);
    const aborts = log.filter((l) => l.op === "AbortMultipartUpload" && l.status < 300);
    expect(aborts.length).toBe(Number(sweep?.removed ?? 0));
    expect(aborts.every((l) => l.principal === "base")).toBe(true);
    expect(log.filter((l) => l.op === "ListMultipartUploads").every((l) => l.principal === "base")).toBe(true);

    expect(await uploads(emu)).toEqual([]);
    const src = under(emu, SRC, DAY);
    expect(under(emu, emu.destBuckets[0]!, DAY).map((o) => [o.key, o.size])).toEqual(src.map((o) => [o.key, o.size]));
    expect(summaryOf(done).failed).toBe(0);
    // Across the kills and the re-run every part was copied exactly once.
    const parts = emu.requestLog().filter((l) => l.op === "UploadPartCopy" && l.status === 200);
    const perPart = new Map<string, number>();
    for (const p of parts) perPart.set(`${p.key}#${p.partNumber}`, (perPart.get(`${p.key}#${p.partNumber}`) ?? 0) + 1);
    expect([...perPart.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(parts.length).toBe(TOTAL_PARTS);
  }, 120_000);

  /** A journal with intents for two keys, and role-started uploads of them that no `start` line records. */
  async function crashedState(e: Emulator) {
    const stateDir = mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));
    mkdirSync(stateDir, { recursive: true });
    const keys = under(e, SRC, DAY).map((o) => o.key).slice(0, 2);
    const r = await role(e);
    const dest = e.destBuckets[0]!;
    const lost: string[] = [];
    for (const key of keys) lost.push((await r.send(new CreateMultipartUploadCommand({ Bucket: dest, Key: key, ACL: "bucket-owner-full-control" }))).UploadId!);
    // The bucket owner's own upload of the same key is not flexcopy's: kept.
    const mine = (await owner(e).send(new CreateMultipartUploadCommand({ Bucket: dest, Key: keys[0]! }))).UploadId!;
    writeFileSync(journalFile(stateDir, e), keys.map((key) => JSON.stringify({ t: "intent", key }) + "\n").join(""));
    return { stateDir, keys, lost, mine };
  }

  it("the re-run aborts the role's lost uploads of the intent keys and keeps another principal's", async () => {
    emu = await emulator();
    const { stateDir, lost, mine } = await crashedState(emu);
    const r = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir }) });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "orphans")).toMatchObject([{ keys: 2, found: 2, removed: 2, left: 0, unchecked: 0 }]);
    expect((await uploads(emu)).map((u) => u.uploadId)).toEqual([mine]);
    expect(emu.requestLog().filter((l) => l.op === "AbortMultipartUpload").map((l) => l.uploadId).sort()).toEqual([...lost].sort());
    // The intents are cleared: the next run looks for nothing.
    const again = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir }) });
    expect(eventsOf(again, "orphans")).toEqual([]);
  });

  it("with --credentials env they cannot be removed: said at the end with the exact cleanup command, counted in --json and --report", async () => {
    emu = await emulator();
    const { stateDir, lost, mine } = await crashedState(emu);
    const c = await assumeRole(emu, { RoleSessionName: "manual", DurationSeconds: 3600 });
    const roleEnv = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir, AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken });
    const report = path.join(mkdtempSync(path.join(tmpdir(), "flexcopy-report-")), "run.json");
    const json = await runCli(["fetch", "2021/05/31", "--credentials", "env", "--json", "--report", report], { env: roleEnv });
    expect(json.code, json.stderr).toBe(0);
    expect(eventsOf(json, "orphans")).toMatchObject([{ keys: 2, removed: 0, unchecked: 2 }]);
    expect(JSON.parse(readFileSync(report, "utf8")).orphanedUploads).toMatchObject({ removed: 0, unchecked: 2 });

    const text = await runCli(["fetch", "2021/05/31", "--credentials", "env"], { env: roleEnv });
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines.at(-2)).toMatch(/^warning: incomplete uploads of 2 objects may be left by an interrupted run/);
    const command = lines.at(-1)!.trim();
    expect(command).toBe(`flexcopy cleanup --dest-bucket flex-dest --state-dir ${stateDir} --credentials assume-role`);
    expect((await uploads(emu)).length).toBe(3);

    // The printed command, run with the bucket owner's credentials, removes them (and nothing else).
    const cleanup = await runCli([...command.split(" ").slice(1), "--json"], { env: cliEnv(emu, { FLEXCOPY_CREDENTIALS: "env" }) });
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(eventsOf(cleanup, "cleanup").filter((i) => i.action === "aborted").map((i) => i.uploadId).sort()).toEqual([...lost].sort());
    expect((await uploads(emu)).map((u) => u.uploadId)).toEqual([mine]);
  });

  it("cleanup leaves the intents of a journal a running fetch holds (its uploads in creation are not orphans)", async () => {
    emu = await emulator();
    const { stateDir, lost, mine } = await crashedState(emu);
    const env = cliEnv(emu);
    writeFileSync(`${journalFile(stateDir, emu)}.lock`, String(process.pid)); // this test runner: alive
    // A real cleanup refuses beside the running fetch (cleanup.test.ts); its dry run lists what it would do.
    const held = await runCli(["cleanup", "--state-dir", stateDir, "--json", "--dry-run"], { env });
    expect(held.code, held.stderr).toBe(0);
    expect(eventsOf(held, "cleanup").every((i) => i.action === "kept")).toBe(true);
    expect((await uploads(emu)).length).toBe(3);

    writeFileSync(`${journalFile(stateDir, emu)}.lock`, "999999999"); // left by a process killed with -9
    const free = await runCli(["cleanup", "--state-dir", stateDir, "--json"], { env });
    expect(free.code, free.stderr).toBe(0);
    expect(eventsOf(free, "cleanup").filter((i) => i.action === "aborted")).toEqual(
      lost.map((uploadId) => expect.objectContaining({ uploadId, reason: expect.stringMatching(/intent record/) })),
    );
    expect((await uploads(emu)).map((u) => u.uploadId)).toEqual([mine]);
  });
});

describe("a CreateMultipartUpload whose answer was lost", () => {
  const DAY = "2021/05/28/";
  const KEY = `${DAY}big.pcap.gz`;

  it("is sent again, and the upload the lost attempt created is aborted in the same run", async () => {
    emu = await emulator({ seed: "none", ...MULTIPART_SETUP });
    emu.putObject("dataservice-flex-bucket", KEY, 1024 ** 3);
    emu.setFaults({ failNext: [{ op: "CreateMultipartUpload", count: 1, code: "ResetAfter" }] });
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const creates = emu.requestLog().filter((l) => l.op === "CreateMultipartUpload");
    expect(creates.map((l) => [l.status, l.responseLost ?? false])).toEqual([
      [200, true],
      [200, false],
    ]);
    expect(eventsOf(r, "copied")).toMatchObject([{ key: KEY, multipart: true }]);
    expect(emu.uploads(emu.destBuckets[0]!)).toEqual([]);
    expect(emu.requestLog().filter((l) => l.op === "AbortMultipartUpload" && l.status === 204)).toHaveLength(1);
    expect(eventsOf(r, "upload-left")).toEqual([]);
  });

  it("where nobody may list the key's uploads, says that one may remain, with the command", async () => {
    emu = await emulator({ seed: "none", ...MULTIPART_SETUP, userPolicy: "manual" });
    // over 5 GiB: with credentials that may not read the bucket policy, only such objects try parts
    emu.putObject("dataservice-flex-bucket", KEY, 6 * 1024 ** 3);
    emu.setFaults({ failNext: [{ op: "CreateMultipartUpload", count: 1, code: "ResetAfter" }] });
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const notices = eventsOf(r, "notice").map((n) => String(n.message));
    expect(notices.some((m) => m.includes(KEY) && m.includes(`flexcopy cleanup --dest-bucket ${emu!.destBuckets[0]} --prefix ${KEY}`))).toBe(true);
    expect(emu.uploads(emu.destBuckets[0]!)).toHaveLength(1); // the lost one: the emulator's own view
  });
});
