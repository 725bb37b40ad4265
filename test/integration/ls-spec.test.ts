import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, runCli } from "./harness.js";

const SRC = "dataservice-flex-bucket";
let emu: Emulator;
beforeAll(async () => {
  emu = await emulator();
});
afterAll(async () => {
  await emu.stop();
});

describe("flexcopy ls", () => {
  it("shows day folders of a month with object counts and sizes (JSON)", async () => {
    const r = await runCli(["ls", "2021/05", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { kind: string; prefix?: string; objects?: number; size?: number; total?: { objects: number; size: number } });
    const src = emu.objects(SRC).filter((o) => o.key.startsWith("2021/05/"));
    const days = [...new Set(src.map((o) => o.key.slice(0, 11)))];
    // Engine events (the role's `refreshed`, retries) share the stream: records are told apart by `kind`.
    expect(rows.map((x) => x.kind).filter((k) => k.startsWith("ls-"))).toEqual([...days.map(() => "ls-folder"), "ls-total"]);
    expect(rows.filter((x) => !x.kind.startsWith("ls-")).every((x) => ["refreshed", "retry", "concurrency", "notice"].includes(x.kind))).toBe(true);
    expect(rows.filter((x) => x.kind === "ls-folder").map((x) => x.prefix)).toEqual(days);
    const d31 = rows.find((x) => x.prefix === "2021/05/31/")!;
    expect(d31.objects).toBe(src.filter((o) => o.key.startsWith("2021/05/31/")).length);
    expect(rows.at(-1)!.total).toEqual({ objects: src.length, size: src.reduce((a, o) => a + o.size, 0) });
  });

  it("lists objects recursively in text with a total", async () => {
    const r = await runCli(["ls", "testdata/2021", "-r"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const n = emu.objects(SRC).filter((o) => o.key.startsWith("testdata/2021/")).length;
    expect(r.stdout.trim().split("\n").filter((l) => l.includes("testdata/2021/")).length).toBe(n + 1);
    expect(r.stdout).toMatch(new RegExp(`total: ${n} objects`));
    const json = await runCli(["ls", "testdata/2021", "-r", "--json"], { env: cliEnv(emu) });
    const records = json.events.filter((e) => String(e.kind).startsWith("ls-"));
    expect(records.map((e) => e.kind)).toEqual([...Array<string>(n).fill("ls-object"), "ls-total"]);
    expect(records[0]).toMatchObject({ key: expect.stringMatching(/^testdata\/2021\//), size: expect.any(Number), lastModified: expect.any(String) });
  });

  it("lists the destination with --dest", async () => {
    const r = await runCli(["ls", "--dest", "-r"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/total: \d+ objects/);
  });
});

describe("flexcopy spec", () => {
  it("--list shows kinds, versions and languages", async () => {
    const r = await runCli(["spec", "--list", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { kind: string; specKind: string; version: string; languages: string[] });
    expect(rows).toContainEqual({ kind: "spec", specKind: "Standard", version: "version 17.4", languages: ["English", "Japanese"] });
    expect(rows.some((x) => x.kind === "spec" && x.specKind === "MBO")).toBe(true);
    const text = await runCli(["spec", "--list"], { env: cliEnv(emu) });
    expect(text.stdout).toContain(`${"Standard".padEnd(9)} ${"version 17.4".padEnd(16)} English, Japanese\n`);
  });

  it("copies a specification whose names have spaces and Japanese, matching the version loosely", async () => {
    const r = await runCli(["spec", "standard", "17.4", "ja", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    const prefix = "ConnectionSpec/Standard/version 17.4/Japanese/";
    const src = emu.objects(SRC).filter((o) => o.key.startsWith(prefix));
    expect(src.some((o) => /[\u0080-\uffff]/.test(o.key))).toBe(true);
    const dst = emu.objects(emu.destBuckets[0]!).filter((o) => o.key.startsWith(prefix));
    expect(dst.map((o) => [o.key, o.etag])).toEqual(src.map((o) => [o.key, o.etag]));
  });

  it("matches a capitalised Version folder", async () => {
    const r = await runCli(["spec", "Standard", "version 18.3", "English", "--dry-run", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.find((e) => e.kind === "plan")).toMatchObject({ days: 1 });
  });

  it("an unknown version lists what exists", async () => {
    const r = await runCli(["spec", "Standard", "99.9", "English"], { env: cliEnv(emu) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/version 17\.4/);
  });
});
