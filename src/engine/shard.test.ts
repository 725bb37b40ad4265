import { describe, it, expect } from "vitest";
import { inShard, normalizeDay, parseShard, shardFromEnv, stableHash } from "./shard.js";

function daysOf(year: number): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(year, 0, 1); new Date(t).getUTCFullYear() === year; t += 86_400_000) {
    const d = new Date(t);
    out.push(`${year}/${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCDate()).padStart(2, "0")}/`);
  }
  return out;
}

describe("parseShard", () => {
  it.each([
    ["1/1", { index: 1, count: 1 }],
    ["2/5", { index: 2, count: 5 }],
    ["5/5", { index: 5, count: 5 }],
    [" 3 / 4 ", { index: 3, count: 4 }],
  ])("%j", (text, shard) => {
    expect(parseShard(text)).toEqual(shard);
  });

  it.each([
    ["0/5", /index must be 1 to 5/],
    ["6/5", /index must be 1 to 5/],
    ["1/0", /count must be 1 to 10000/],
    ["2", /expected i\/n/],
    ["a/b", /expected i\/n/],
    ["-1/5", /expected i\/n/],
    ["1.5/5", /expected i\/n/],
    ["", /expected i\/n/],
  ])("rejects %j", (text, re) => {
    expect(() => parseShard(text)).toThrow(re);
    try {
      parseShard(text);
    } catch (e) {
      expect((e as Error).message).not.toContain("\n");
    }
  });
});

describe("inShard", () => {
  const year = daysOf(2024);

  it("has 366 days in 2024 to split", () => {
    expect(year).toHaveLength(366);
  });

  it.each([1, 2, 3, 4, 5])("n=%d covers every day exactly once, roughly balanced", (n) => {
    const counts = Array.from({ length: n }, () => 0);
    for (const day of year) {
      const owners = counts.map((_, i) => i + 1).filter((index) => inShard(day, { index, count: n }));
      expect(owners).toHaveLength(1);
      counts[(owners[0] ?? 1) - 1]! += 1;
    }
    const fair = year.length / n;
    for (const c of counts) {
      expect(c).toBeGreaterThan(fair * 0.8);
      expect(c).toBeLessThan(fair * 1.2);
    }
  });

  it("puts padded and unpadded spellings of a day in the same shard", () => {
    for (let n = 2; n <= 7; n++) {
      for (const [a, b] of [
        ["2021/5/3/", "2021/05/03/"],
        ["2021/05/03", "2021/05/03/"],
        ["testdata/2021/5/31/", "testdata/2021/05/31/"],
      ] as const) {
        const owner = (d: string) => [...Array(n).keys()].find((i) => inShard(d, { index: i + 1, count: n }));
        expect(owner(a)).toBe(owner(b));
      }
    }
  });

  it("is stable across runs (fixed hash values)", () => {
    expect(stableHash("")).toBe(stableHash(""));
    expect(stableHash("2021/05/31")).toBe(stableHash("2021/05/31"));
    expect(stableHash("2021/05/31")).not.toBe(stableHash("2021/05/30"));
    expect(stableHash("2021/05/31")).toMatchInlineSnapshot(`2542916514`);
  });

  it("shard 1/1 takes everything", () => {
    expect(year.every((d) => inShard(d, { index: 1, count: 1 }))).toBe(true);
  });
});

describe("normalizeDay", () => {
  it.each([
    ["2021/5/3/", "2021/05/03"],
    ["2021/05/31", "2021/05/31"],
    ["testdata/2021/5/3/", "testdata/2021/05/03"],
    ["ConnectionSpec/MBO/version 0.1/", "ConnectionSpec/MBO/version 0.1"],
  ])("%j -> %j", (day, norm) => {
    expect(normalizeDay(day)).toBe(norm);
  });
});

describe("shardFromEnv (--shard auto)", () => {
  it.each<[Record<string, string>, number, number, string]>([
    [{ AWS_BATCH_JOB_ARRAY_INDEX: "0", AWS_BATCH_JOB_ARRAY_SIZE: "4" }, 1, 4, "AWS_BATCH_JOB_ARRAY_INDEX"],
    [{ AWS_BATCH_JOB_ARRAY_INDEX: "3", AWS_BATCH_JOB_ARRAY_SIZE: "4" }, 4, 4, "AWS_BATCH_JOB_ARRAY_INDEX"],
    [{ AWS_BATCH_JOB_ARRAY_INDEX: "1", AWS_BATCH_JOB_ARRAY_SIZE: "4", FLEXCOPY_SHARD_COUNT: "2" }, 2, 2, "AWS_BATCH_JOB_ARRAY_INDEX"],
    [{ JOB_COMPLETION_INDEX: "2", FLEXCOPY_SHARD_COUNT: "5" }, 3, 5, "JOB_COMPLETION_INDEX"],
  ])("%j -> shard %i of %i", (env, index, count, source) => {
    expect(shardFromEnv(env)).toEqual({ index, count, source });
  });

  it.each<[Record<string, string>, RegExp]>([
    [{}, /neither is set/],
    [{ JOB_COMPLETION_INDEX: "0" }, /set FLEXCOPY_SHARD_COUNT to the Job's completions/],
    [{ AWS_BATCH_JOB_ARRAY_INDEX: "0" }, /AWS_BATCH_JOB_ARRAY_SIZE/],
    [{ AWS_BATCH_JOB_ARRAY_INDEX: "4", AWS_BATCH_JOB_ARRAY_SIZE: "4" }, /the shard index must be 1 to 4/],
    [{ JOB_COMPLETION_INDEX: "x", FLEXCOPY_SHARD_COUNT: "2" }, /JOB_COMPLETION_INDEX must be a whole number/],
    [{ JOB_COMPLETION_INDEX: "0", FLEXCOPY_SHARD_COUNT: "two" }, /shard count must be a whole number/],
  ])("%j fails: %s", (env, message) => {
    expect(() => shardFromEnv(env)).toThrow(message);
  });
});
