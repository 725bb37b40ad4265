// Issue 19: each command's --help lists the settings it reads; fetch --dry-run prices its requests and storage;
// an --include that cannot change the selection warns once; --sample alone means all of testdata/.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { configKeys } from "../../src/config/schema.js";
import { AP_NORTHEAST_1 } from "../../src/plan/prices.js";
import { commandReads } from "../../src/cli/options.js";
import { tempDir } from "./doctor-helpers.js";
import { cliEnv, emulator, eventsOf, MULTIPART_SETUP, runCli } from "./harness.js";

const SRC = "dataservice-flex-bucket";
const DAY = "2022/03/14/"; // not in the demo seed: only the three objects below
const MiB = 2 ** 20;

let emu: Emulator;
beforeAll(async () => {
  emu = await emulator({ seed: "demo", ...MULTIPART_SETUP });
  emu.putObject(SRC, `${DAY}20220314_1_001.pcap.gz`, 20 * MiB);
  emu.putObject(SRC, `${DAY}20220314_1_002.pcap.gz`, 40 * MiB);
  emu.putObject(SRC, `${DAY}20220314_2_001.pcap.gz`, 100 * MiB);
});
afterAll(async () => {
  await emu.stop();
});

/** The long flags a --help text lists. */
const flagsOf = (help: string): Set<string> => new Set([...help.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!));

describe("each command's --help lists the settings it reads", () => {
  for (const command of ["fetch", "spec", "ls", "verify", "cleanup", "policy", "init", "doctor"]) {
    it(command, async () => {
      const r = await runCli([command, "--help"], { env: cliEnv(emu) });
      expect(r.code).toBe(0);
      const listed = flagsOf(r.stdout);
      for (const k of configKeys()) expect(listed.has(k.flag), `${command} --help and ${k.flag}`).toBe(commandReads(k, command));
    });
  }

  it("policy, doctor and ls list none of the copy tunables; init every setting (it writes any into the file)", async () => {
    const policy = flagsOf((await runCli(["policy", "--help"], { env: cliEnv(emu) })).stdout);
    for (const f of ["--concurrency", "--part-size", "--max-attempts", "--multipart-threshold", "--sse", "--storage-class", "--profile"]) expect(policy.has(f), f).toBe(false);
    for (const f of ["--account-id", "--dest-bucket", "--role-arn"]) expect(policy.has(f), f).toBe(true);
    const doctor = flagsOf((await runCli(["doctor", "--help"], { env: cliEnv(emu) })).stdout);
    expect(doctor.has("--concurrency")).toBe(false);
    expect(doctor.has("--storage-class")).toBe(true);
    const init = flagsOf((await runCli(["init", "--help"], { env: cliEnv(emu) })).stdout);
    for (const k of configKeys()) expect(init.has(k.flag), k.flag).toBe(true);
    const spec = (await runCli(["spec", "--help"], { env: cliEnv(emu) })).stdout;
    expect(spec.indexOf("Copy options (not read with --list):")).toBeLessThan(spec.indexOf("--part-size"));
  });

  it("a flag a command does not read is an unknown option there (exit 2, one line)", async () => {
    const r = await runCli(["policy", "--concurrency", "8"], { env: cliEnv(emu) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown option '--concurrency'/);
  });
});

describe("fetch --dry-run prices what it will send", () => {
  it("text: the requests, their price, the storage a month in the class, no data transfer", async () => {
    const r = await runCli(["fetch", "2022/03/14", "--dry-run", "--storage-class", "GLACIER_IR", "--multipart-threshold", "64MiB", "--part-size", "32MiB"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/cost estimate \(USD, ap-northeast-1 prices: https:\/\/aws\.amazon\.com\/s3\/pricing\//);
    expect(r.stdout).toMatch(/CopyObject\s+2\s+at \$0\.02 per 1,000/);
    expect(r.stdout).toMatch(/CreateMultipartUpload\s+1 /);
    expect(r.stdout).toMatch(/UploadPartCopy\s+4 /); // 100 MiB in 32 MiB parts
    expect(r.stdout).toMatch(/CompleteMultipartUpload\s+1 /);
    expect(r.stdout).toMatch(/ListObjectsV2\s+1 /);
    expect(r.stdout).toMatch(/storage: 160(?:\.0)? MiB in GLACIER_IR: \$\S+ a month/);
    expect(r.stdout).toMatch(/data transfer: none billed/);
    // No source corroborated GLACIER_IR's prices nor LIST's (plan/prices.ts): named, with the way to give your own.
    expect(r.stdout).toMatch(/unverified prices \(no source found for storage\.GLACIER_IR, writes\.GLACIER_IR, list\): yours may differ; give your own with --price-file/);
    expect(emu.objects(emu.destBuckets[0]!).filter((o) => o.key.startsWith(DAY))).toEqual([]);
  });

  it("--json carries them as one cost record, priced from the table", async () => {
    const r = await runCli(["fetch", "2022/03/14", "--dry-run", "--storage-class", "DEEP_ARCHIVE", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const [cost] = eventsOf(r, "cost");
    const bytes = 160 * MiB;
    expect(cost).toMatchObject({
      currency: "USD",
      storageClass: "DEEP_ARCHIVE",
      bytes,
      transferUsd: 0,
      requests: [
        { op: "CopyObject", count: 3, per1000: AP_NORTHEAST_1.writes.DEEP_ARCHIVE },
        { op: "ListObjectsV2", count: 1, per1000: AP_NORTHEAST_1.list },
      ],
      // DEEP_ARCHIVE's storage price has a source; its request price and LIST's have none.
      prices: { region: "ap-northeast-1", source: expect.stringMatching(/aws\.amazon\.com\/s3\/pricing/), unverified: ["writes.DEEP_ARCHIVE", "list"] },
    });
    expect(cost!.storageUsdPerMonth).toBeCloseTo((bytes / 2 ** 30) * AP_NORTHEAST_1.storage.DEEP_ARCHIVE, 10);
  });

  it("--price-file replaces the table's figures; a bad one is refused in one line before anything is listed", async () => {
    const dir = tempDir();
    const file = path.join(dir, "prices.json");
    writeFileSync(file, JSON.stringify({ readAt: "2026-11-30", source: "our agreement", storage: { STANDARD: 1 }, writes: { STANDARD: 1000 } }));
    const r = await runCli(["fetch", "2022/03/14", "--dry-run", "--json", "--price-file", file], { env: cliEnv(emu) });
    const [cost] = eventsOf(r, "cost");
    // The file's figures are the user's own; LIST's, which it leaves out, stays the table's unverified one.
    expect(cost).toMatchObject({ storageClass: "STANDARD", prices: { readAt: "2026-11-30", source: "our agreement", file, unverified: ["list"] } });
    expect((cost!.requests as { op: string; usd: number }[]).find((q) => q.op === "CopyObject")!.usd).toBe(3);
    expect(cost!.storageUsdPerMonth).toBeCloseTo(160 / 1024, 10);
    writeFileSync(file, JSON.stringify({ storage: { GLACIER_FAST: 1 } }));
    const bad = await runCli(["fetch", "2022/03/14", "--dry-run", "--price-file", file], { env: cliEnv(emu) });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/--price-file .*storage/);
  });
});

describe("filters that say what they do", () => {
  it("--include alone warns once with the form that works; that form selects only what it matches", async () => {
    const r = await runCli(["fetch", "2022/03/14", "--dry-run", "--include", "*_001.pcap.gz"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => /warning: --include/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/--exclude '\*' --include '\*_001\.pcap\.gz'/);
    expect(r.stderr).toMatch(/plan: 1 folder, 3 objects/); // it changed nothing
    const fixed = await runCli(["fetch", "2022/03/14", "--dry-run", "--exclude", "*", "--include", "*_001.pcap.gz"], { env: cliEnv(emu) });
    expect(fixed.stderr).not.toMatch(/warning/);
    expect(fixed.stderr).toMatch(/plan: 1 folder, 2 objects/);
  });

  it("--json: one filter-warning record; verify and ls warn too", async () => {
    const r = await runCli(["fetch", "2022/03/14", "--dry-run", "--json", "--include", "*_1_*"], { env: cliEnv(emu) });
    expect(eventsOf(r, "filter-warning")).toMatchObject([{ includes: ["*_1_*"], suggestion: "--exclude '*' --include '*_1_*'" }]);
    const v = await runCli(["verify", "2022/03/14", "--json", "--include", "*_1_*"], { env: cliEnv(emu) });
    expect(eventsOf(v, "filter-warning")).toHaveLength(1);
    const ls = await runCli(["ls", "2022/03/14", "-r", "--include", "*_1_*"], { env: cliEnv(emu) });
    expect(ls.stderr.match(/warning: --include/g)).toHaveLength(1);
  });
});

describe("--sample alone means all of testdata/", () => {
  it("fetch --sample --dry-run plans the sample days; fetch with nothing is still refused", async () => {
    const r = await runCli(["fetch", "--sample", "--dry-run", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const days = eventsOf(r, "day").map((d) => String(d.day));
    expect(days.length).toBeGreaterThan(0);
    expect(days.every((d) => d.startsWith("testdata/"))).toBe(true);
    const none = await runCli(["fetch"], { env: cliEnv(emu) });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--sample/);
  });
});
