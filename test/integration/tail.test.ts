// The tail of a run: the last objects, with copy slots idle, are split into parts where parts work, so a run
// does not end waiting on one long CopyObject. Where parts do not work (the manual's policy), nothing changes.
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2021/05/28/";
const MiB = 2 ** 20;
const SIZES = [200 * MiB, 300 * MiB + 7, 12 * MiB]; // all below the 512 MiB multipart threshold

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

async function day(options = {}): Promise<Emulator> {
  const e = await emulator({ seed: "none", ...options });
  SIZES.forEach((size, i) => e.putObject(SRC, `${DAY}f${i}.pcap.gz`, size));
  e.setFaults({ latencyMs: 5, copyRateBytesPerSec: 2000 * MiB });
  return e;
}

describe("the run's tail", () => {
  it("where parts work, the last large objects are split over the idle slots; small ones stay whole", async () => {
    emu = await day(MULTIPART_SETUP);
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const copied = new Map(eventsOf(r, "copied").map((e) => [e.key, e]));
    expect(copied.get(`${DAY}f0.pcap.gz`)).toMatchObject({ multipart: true });
    expect(Number(copied.get(`${DAY}f0.pcap.gz`)!.parts)).toBeGreaterThan(1);
    expect(copied.get(`${DAY}f1.pcap.gz`)).toMatchObject({ multipart: true });
    expect(copied.get(`${DAY}f2.pcap.gz`)).toMatchObject({ multipart: false }); // under 32 MiB: not worth it
    // Known from the bucket policy before the run: no probe was needed, and nothing is left.
    expect(emu.uploads(emu.destBuckets[0]!)).toEqual([]);
    for (const o of emu.objects(emu.destBuckets[0]!)) expect(o.size).toBe(SIZES[Number(o.key.slice(-9, -8))]);
  });

  it("under the manual's policy (read before the run) everything is one CopyObject, no upload is created, nothing is said", async () => {
    emu = await day();
    const r = await runCli(["fetch", "2021/05/28", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied").every((e) => e.multipart === false)).toBe(true);
    expect(emu.requestLog().filter((l) => l.op === "CreateMultipartUpload")).toEqual([]);
    expect(eventsOf(r, "notice").filter((n) => /multipart/.test(String(n.message)))).toEqual([]);
  });

  it("with --credentials env (the policy cannot be read, a probe's upload could not be removed) the tail is not split", async () => {
    emu = await day();
    const c = await assumeRole(emu, { RoleSessionName: "tail-env" });
    const env = cliEnv(emu, { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken });
    const r = await runCli(["fetch", "2021/05/28", "--credentials", "env", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(emu.requestLog().filter((l) => l.op === "CreateMultipartUpload")).toEqual([]);
  });
});
