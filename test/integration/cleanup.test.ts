import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { cliEnv, emulator, eventsOf, runCli } from "./harness.js";

const SRC = "dataservice-flex-bucket";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** An S3 client with the provider role's credentials, as flexcopy's copies use. */
async function roleClient(e: Emulator): Promise<S3Client> {
  const { accessKeyId, secretAccessKey, sessionToken } = await assumeRole(e, { RoleSessionName: "cleanup-test" });
  return new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey, sessionToken } });
}

async function startUpload(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ACL: "bucket-owner-full-control" }));
  return out.UploadId!;
}

const base = (e: Emulator) => ({ region: e.region, endpoint: e.endpoint, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });

/** Upload ids still in the destination (listed by its owner). */
async function remaining(e: Emulator): Promise<string[]> {
  const owner = new S3Client({ ...base(e), forcePathStyle: true });
  const out = await owner.send(new ListMultipartUploadsCommand({ Bucket: e.destBuckets[0]! }));
  return (out.Uploads ?? []).map((u) => u.UploadId!).sort();
}

/** Two uploads of keys the provider's bucket has, and one of a key it does not. */
async function setup(e: Emulator) {
  const s3 = await roleClient(e);
  const dest = e.destBuckets[0]!;
  const keys = e.objects(SRC).filter((o) => o.key.startsWith("2021/05/31/")).map((o) => o.key).slice(0, 2);
  expect(keys.length).toBe(2);
  const ours = [await startUpload(s3, dest, keys[0]!), await startUpload(s3, dest, keys[1]!)];
  const foreign = await startUpload(s3, dest, "backups/not-flex.tar");
  return { keys, ours, foreign };
}

describe("flexcopy cleanup", () => {
  it("--dry-run lists the uploads and aborts nothing", async () => {
    emu = await emulator();
    const { keys, ours, foreign } = await setup(emu);
    emu.clearLog();
    const r = await runCli(["cleanup", "--dry-run", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const items = eventsOf(r, "cleanup");
    expect(items.map((i) => [i.key, i.action]).sort()).toEqual(
      [
        [keys[0], "would-abort"],
        [keys[1], "would-abort"],
        ["backups/not-flex.tar", "kept"],
      ].sort(),
    );
    for (const i of items) {
      expect(typeof i.uploadId).toBe("string");
      expect(Date.parse(String(i.initiated))).not.toBeNaN();
      expect(i.ageSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(eventsOf(r, "cleanup-summary")).toEqual([{ kind: "cleanup-summary", found: 3, aborted: 0, wouldAbort: 2, kept: 1, failed: 0, dryRun: true }]);
    expect(emu.requestLog().filter((l) => l.op === "AbortMultipartUpload")).toEqual([]);
    expect(await remaining(emu)).toEqual([...ours, foreign].sort());
  });

  it("aborts flexcopy's uploads and keeps one whose key is not in the provider's bucket, unless --all", async () => {
    emu = await emulator();
    const { ours, foreign } = await setup(emu);
    const env = cliEnv(emu);
    emu.clearLog();
    const r = await runCli(["cleanup", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "cleanup-summary")[0]).toMatchObject({ found: 3, aborted: 2, kept: 1, failed: 0, dryRun: false });
    expect(eventsOf(r, "cleanup").find((i) => i.uploadId === foreign)).toMatchObject({ action: "kept", reason: expect.stringMatching(/--all/) });
    const log = emu.requestLog();
    expect(await remaining(emu)).toEqual([foreign]);
    // Listing uploads is the bucket owner's: the role is refused, the owner's credentials list them.
    const lists = log.filter((l) => l.op === "ListMultipartUploads");
    expect(lists.map((l) => [l.principal, l.status])).toEqual([
      ["role", 403],
      ["base", 200],
    ]);
    // Under the manual's policy the role may not abort: flexcopy falls back to the bucket owner's credentials.
    const aborts = log.filter((l) => l.op === "AbortMultipartUpload" && l.status < 300);
    expect(aborts.map((l) => l.uploadId).sort()).toEqual([...ours].sort());
    expect(aborts.every((l) => l.status === 204 || l.status === 200)).toBe(true);

    const all = await runCli(["cleanup", "--all", "--json"], { env });
    expect(all.code, all.stderr).toBe(0);
    expect(eventsOf(all, "cleanup")).toMatchObject([{ key: "backups/not-flex.tar", action: "aborted", reason: "--all" }]);
    expect(await remaining(emu)).toEqual([]);
  });

  it("--prefix limits the uploads considered; text output names each upload and sums up", async () => {
    emu = await emulator();
    const { keys, foreign } = await setup(emu);
    const env = cliEnv(emu);
    const r = await runCli(["cleanup", "--all", "--prefix", keys[0]!], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^aborted\\s+${keys[0]!.replace(/\./g, "\\.")}\\s+upload \\S+\\s+initiated \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC, \\d+s ago`, "m"));
    expect(r.stdout).toMatch(/^1 incomplete upload in s3:\/\/flex-dest: 1 aborted, 0 kept$/m);
    expect((await remaining(emu)).length).toBe(2);
    expect(await remaining(emu)).toContain(foreign);

    const none = await runCli(["cleanup", "--prefix", "2030/"], { env });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^0 incomplete uploads in s3:\/\/flex-dest: 0 aborted, 0 kept$/m);
  });

  it("takes the resume journal's upload ids as flexcopy's when there is a journal", async () => {
    emu = await emulator();
    const { keys, ours, foreign } = await setup(emu);
    const env = cliEnv(emu);
    const dir = path.join(env.HOME!, ".local", "state", "flexcopy");
    mkdirSync(dir, { recursive: true });
    const start = { t: "start", key: keys[0], uploadId: ours[0], partSize: 5 * 2 ** 20, sourceEtag: "x", size: 6 * 2 ** 20 };
    writeFileSync(path.join(dir, `${emu.destBuckets[0]}.journal.ndjson`), JSON.stringify(start) + "\n");
    const r = await runCli(["cleanup", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    const byId = Object.fromEntries(eventsOf(r, "cleanup").map((i) => [i.uploadId, i]));
    expect(byId[ours[0]!]).toMatchObject({ action: "aborted", reason: expect.stringMatching(/journal/) });
    expect(byId[ours[1]!]).toMatchObject({ action: "kept", reason: expect.stringMatching(/not recorded in flexcopy's journal/) });
    expect(byId[foreign]).toMatchObject({ action: "kept" });
    expect(await remaining(emu)).toEqual([ours[1]!, foreign].sort());
  });

  it("exits 3 with a hint when no credential may list uploads (--credentials env with the role's)", async () => {
    emu = await emulator();
    const c = await assumeRole(emu, { RoleSessionName: "cleanup-test" });
    const env = cliEnv(emu, {
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
      AWS_SESSION_TOKEN: c.sessionToken,
      FLEXCOPY_CREDENTIALS: "env",
    });
    const r = await runCli(["cleanup"], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/listing incomplete uploads in s3:\/\/flex-dest was denied/);
    expect(r.stderr).toMatch(/--profile/);
    expect(r.stderr).not.toContain(c.secretAccessKey);
    expect(r.stderr).not.toContain(c.sessionToken);
  });

  it("exits 2 without a destination bucket", async () => {
    emu = await emulator();
    const env = cliEnv(emu);
    delete env.FLEXCOPY_DEST_BUCKET;
    const r = await runCli(["cleanup"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dest-bucket is required/);
  });
});
