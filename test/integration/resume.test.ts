import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, MULTIPART_SETUP, runCli, summaryOf } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2021/05/31/";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** A day with several multipart objects, copied slowly enough to be killed in the middle. */
async function slowEmulator(): Promise<Emulator> {
  const e = await emulator(MULTIPART_SETUP);
  for (let i = 1; i <= 4; i++) e.putObject(SRC, `${DAY}20210531_8_00${i}.pcap.gz`, 200 * 2 ** 20 + i * 777, { contentType: "application/gzip" });
  e.setFaults({ latencyMs: 20, copyRateBytesPerSec: 200 * 2 ** 20 });
  return e;
}

const ARGS = ["fetch", "2021/05/31", "--json", "--multipart-threshold", "64MiB", "--part-size", "16MiB", "--concurrency", "8"];

async function uploadsLeft(e: Emulator): Promise<number> {
  const s3 = new S3Client({ region: "ap-northeast-1", endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: e.destBuckets[0]! }));
  return out.Uploads?.length ?? 0;
}

function assertComplete(e: Emulator): void {
  const src = e.objects(SRC).filter((o) => o.key.startsWith(DAY));
  const dst = e.objects(e.destBuckets[0]!).filter((o) => o.key.startsWith(DAY));
  expect(dst.map((o) => [o.key, o.size])).toEqual(src.map((o) => [o.key, o.size]));
  for (const o of dst) expect(o.contentType).toBe(src.find((s) => s.key === o.key)!.contentType);
}

/** Kills the CLI with SIGKILL once the emulator has served `parts` UploadPartCopy requests. */
function killAfterParts(e: Emulator, parts: number) {
  return (pid: number) => {
    const t = setInterval(() => {
      if (e.requestLog().filter((l) => l.op === "UploadPartCopy").length >= parts) {
        clearInterval(t);
        process.kill(pid, "SIGKILL");
      }
    }, 5);
  };
}

const TOTAL_PARTS = 4 * 13; // four 200 MiB objects in 16 MiB parts

describe("resume after kill -9", () => {
  for (const killAt of [1, 9, 26, 45]) {
    it(`killed after ${killAt} parts, a re-run finishes without recopying finished parts`, async () => {
      emu = await slowEmulator();
      const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: mkdtempSync(path.join(tmpdir(), "flexcopy-state-")) });
      const killed = await runCli(ARGS, { env, onSpawn: killAfterParts(emu, killAt) });
      expect(killed.signal).toBe("SIGKILL");
      const before = emu.requestLog().filter((l) => l.op === "UploadPartCopy" && l.status === 200).length;
      expect(before).toBeGreaterThanOrEqual(killAt);
      const again = await runCli(ARGS, { env });
      expect(again.code, again.stderr).toBe(0);
      assertComplete(emu);
      // No part that finished before the kill was copied again (per upload id and part number).
      const parts = emu.requestLog().filter((l) => l.op === "UploadPartCopy" && l.status === 200);
      const seen = new Set<string>();
      for (const p of parts) {
        const id = `${p.uploadId}#${p.partNumber}`;
        expect(seen.has(id), `part copied twice: ${p.key} ${id}`).toBe(false);
        seen.add(id);
      }
      // The re-run continued the uploads: across both runs every part was copied exactly once.
      expect(parts.length).toBe(TOTAL_PARTS);
      expect(await uploadsLeft(emu)).toBe(0);
      const verify = await runCli(["fetch", "2021/05/31", "--json", "--multipart-threshold", "64MiB", "--part-size", "16MiB"], { env });
      expect(summaryOf(verify).copied).toBe(0);
    });
  }
});

describe("interrupt", () => {
  it("Ctrl-C stops starting copies, exits 130 and prints how to resume", async () => {
    emu = await slowEmulator();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: mkdtempSync(path.join(tmpdir(), "flexcopy-state-")) });
    const r = await runCli(ARGS.filter((a) => a !== "--json"), {
      env,
      onSpawn: (pid) => {
        const t = setInterval(() => {
          if (emu!.requestLog().some((l) => l.op === "UploadPartCopy")) {
            clearInterval(t);
            process.kill(pid, "SIGINT");
          }
        }, 5);
      },
    });
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/run the same command again to resume/);
    expect(r.stdout).toMatch(/, 0 failed/); // parts not started because of the interrupt are not failures
    expect(r.stdout).toMatch(/flexcopy fetch 2021\/05\/31/);
    const interruptedParts = emu.requestLog().filter((l) => l.op === "UploadPartCopy").length;
    expect(interruptedParts).toBeLessThan(TOTAL_PARTS);
    const again = await runCli(ARGS, { env });
    expect(again.code, again.stderr).toBe(0);
    assertComplete(emu);
    expect(emu.requestLog().filter((l) => l.op === "UploadPartCopy").length).toBe(TOTAL_PARTS);
    expect(await uploadsLeft(emu)).toBe(0);
  });

  it("token expiry in the middle of a multipart copy is invisible", async () => {
    emu = await slowEmulator();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: mkdtempSync(path.join(tmpdir(), "flexcopy-state-")) });
    let expired = false;
    const r = await runCli(ARGS, {
      env,
      onSpawn: () =>
        setTimeout(() => {
          expired = true;
          emu!.expireAllTokens();
        }, 600),
    });
    expect(expired).toBe(true);
    expect(r.code, r.stderr + JSON.stringify(r.events.filter((e) => e.kind === "failed" || e.kind === "notice"))).toBe(0);
    expect(summaryOf(r).failed).toBe(0);
    assertComplete(emu);
  });
});
