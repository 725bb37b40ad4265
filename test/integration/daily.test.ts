import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, runCli, under } from "./harness.js";

const SRC = "dataservice-flex-bucket";

// The demo seed: the trading days of May 2021 (the first is 2021/05/06), 2021/06/01 and 2021/06/02.
// 2021-06-01T16:00Z is 06-02 01:00 in Tokyo but still 06-01 09:00 in Los Angeles, the machine's zone here.
const NOW = "2021-06-01T16:00:00Z";
const TZ = "America/Los_Angeles";

let emu: Emulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(async () => {
  await emu.stop();
});

const env = (extra: Record<string, string> = {}) => cliEnv(emu, { TZ, FLEXCOPY_NOW: NOW, ...extra });
const plannedDays = async (args: string[], extra: Record<string, string> = {}) => {
  const r = await runCli(["fetch", ...args, "--dry-run", "--json"], { env: env(extra) });
  expect(r.code, r.stderr).toBe(0);
  return eventsOf(r, "day").map((e) => String(e.day)); // in date order (run-copy.ts inUnitOrder)
};

describe("relative and open-ended selectors (Japan's calendar, fixed clock, machine in another zone)", () => {
  it.each<[string[], string[]]>([
    [["today"], ["2021/06/02/"]],
    [["yesterday"], ["2021/06/01/"]],
    [["latest"], ["2021/06/02/"]],
    [["latest:3"], ["2021/05/31/", "2021/06/01/", "2021/06/02/"]],
    [["2021/05/28.."], ["2021/05/28/", "2021/05/31/", "2021/06/01/", "2021/06/02/"]],
    [["..2021/05/07"], ["2021/05/06/", "2021/05/07/"]],
    [["2021/05/31..yesterday"], ["2021/05/31/", "2021/06/01/"]],
    [["testdata/latest:2"], ["testdata/2021/05/28/", "testdata/2021/05/31/"]],
  ])("fetch %j plans %j", async (args, days) => {
    expect(await plannedDays(args)).toEqual(days);
  });

  it("FLEXCOPY_NOW without an offset, or a bare date, is Japan's time (not the machine's zone)", async () => {
    // 2021-06-02T08:00 in Tokyo; in Los Angeles (TZ) it would still be 2021-06-01
    expect(await plannedDays(["today"], { FLEXCOPY_NOW: "2021-06-02T08:00" })).toEqual(["2021/06/02/"]);
    expect(await plannedDays(["yesterday"], { FLEXCOPY_NOW: "2021-06-02" })).toEqual(["2021/06/01/"]);
    // latest:N follows it too: re-running a job as of an earlier day
    expect(await plannedDays(["latest:2"], { FLEXCOPY_NOW: "2021-06-01T12:00" })).toEqual(["2021/05/31/", "2021/06/01/"]);
  });

  it("a day that does not exist yet plans nothing and says so", async () => {
    const r = await runCli(["fetch", "today"], { env: env({ FLEXCOPY_NOW: "2021-06-03T01:00:00+09:00" }) });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/nothing in s3:\/\/dataservice-flex-bucket matches today/);
  });

  it("verify and ls take the same words", async () => {
    const fetched = await runCli(["fetch", "latest:2", "--json"], { env: env() });
    expect(fetched.code, fetched.stderr).toBe(0);
    const v = await runCli(["verify", "yesterday..today", "--json"], { env: env() });
    expect(v.code, v.stdout).toBe(0);
    expect(eventsOf(v, "verify-summary")[0]).toMatchObject({ days: 2, missing: 0 });
    const ls = await runCli(["ls", "today", "-r", "--json"], { env: env() });
    expect(ls.events.filter((e) => "key" in e).map((e) => e.key)).toEqual(under(emu, SRC, "2021/06/02/").map((o) => o.key));
  });
});

describe("--include / --exclude / --match", () => {
  const day = "2021/05/31/";
  const ones = () => under(emu, SRC, day).filter((o) => /_00[12]\.pcap\.gz$/.test(o.key)).map((o) => o.key);

  it("dry run, fetch and verify select exactly the same objects", async () => {
    const filter = ["--exclude", "*", "--include", "*_00[12].pcap.gz"];
    const dry = await runCli(["fetch", "2021/05/31", ...filter, "--dry-run", "--json"], { env: env() });
    expect(eventsOf(dry, "plan")[0]).toMatchObject({ objects: 2, toCopy: 2 });

    const r = await runCli(["fetch", "2021/05/31", ...filter, "--json"], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "copied").map((e) => e.key).sort()).toEqual(ones());
    expect(emu.objects(emu.destBuckets[0]!).filter((o) => o.key.startsWith(day)).map((o) => o.key)).toEqual(ones());

    const filtered = await runCli(["verify", "2021/05/31", ...filter, "--json"], { env: env() });
    expect(filtered.code, filtered.stdout).toBe(0);
    expect(eventsOf(filtered, "verify-summary")[0]).toMatchObject({ ok: 2, missing: 0 });
    const all = await runCli(["verify", "2021/05/31", "--json"], { env: env() });
    expect(all.code).toBe(1);
    expect(eventsOf(all, "verify-summary")[0]).toMatchObject({ ok: 2, missing: under(emu, SRC, day).length - 2 });

    const regex = await runCli(["verify", "2021/05/31", "--match", "^2021/05/31/\\d+_1_00[12]\\.", "--json"], { env: env() });
    expect(eventsOf(regex, "verify-summary")[0]).toMatchObject({ ok: 2, missing: 0 });
  });

  it("ls -r lists what the filter keeps", async () => {
    const r = await runCli(["ls", day, "-r", "--exclude", "*_001.pcap.gz", "--json"], { env: env() });
    expect(r.events.filter((e) => "key" in e).map((e) => e.key)).toEqual(under(emu, SRC, day).map((o) => o.key).filter((k) => !k.endsWith("_001.pcap.gz")));
  });

  it("a filter that matches nothing in the selected days says so", async () => {
    const r = await runCli(["fetch", "2021/05/31", "--match", "\\.csv$"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--match .* matched no object in the selected days/);
    const v = await runCli(["verify", "2021/05/31", "--include", "x", "--exclude", "*"], { env: env() });
    expect(v.stderr).toMatch(/matched no object in the selected days/);
  });
});

describe("--shard auto", () => {
  const all = ["2021/05/24..2021/06"];
  const shardDays = (vars: Record<string, string>) => plannedDays([...all, "--shard", "auto"], vars);

  it("reads AWS Batch array job variables: the shards split the days as --shard i/n does", async () => {
    const a = await shardDays({ AWS_BATCH_JOB_ARRAY_INDEX: "0", AWS_BATCH_JOB_ARRAY_SIZE: "2" });
    const b = await shardDays({ AWS_BATCH_JOB_ARRAY_INDEX: "1", AWS_BATCH_JOB_ARRAY_SIZE: "2" });
    expect(a).toEqual(await plannedDays([...all, "--shard", "1/2"]));
    expect(b).toEqual(await plannedDays([...all, "--shard", "2/2"]));
    expect([...a, ...b].sort()).toEqual(await plannedDays(all));
    expect(a.filter((d) => b.includes(d))).toEqual([]);
  });

  it("reads a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with FLEXCOPY_SHARD_COUNT", async () => {
    const k = [0, 1, 2].map((i) => shardDays({ JOB_COMPLETION_INDEX: String(i), FLEXCOPY_SHARD_COUNT: "3" }));
    const days = await Promise.all(k);
    expect(days[1]).toEqual(await plannedDays([...all, "--shard", "2/3"]));
    expect(days.flat().sort()).toEqual(await plannedDays(all));
  });
});
