import { describe, it, expect } from "vitest";
import { MAX_PARTS, partRanges, partSizeFor } from "./parts.js";

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TiB = 2 ** 40;

describe("partSizeFor", () => {
  it.each([
    ["small object keeps the preferred size", 100 * MiB, 512 * MiB, 512 * MiB],
    ["never below 5 MiB", 100 * MiB, 1 * MiB, 5 * MiB],
    ["never above 5 GiB", 100 * GiB, 8 * GiB, 5 * GiB],
    ["exactly 10,000 parts is fine", 10_000 * 5 * MiB, 5 * MiB, 5 * MiB],
    ["one byte over 10,000 parts grows by a MiB", 10_000 * 5 * MiB + 1, 5 * MiB, 6 * MiB],
    ["4 TiB with 512 MiB parts keeps 512 MiB (8,192 parts)", 4 * TiB, 512 * MiB, 512 * MiB],
    ["5 TiB with 512 MiB parts grows to 525 MiB (10,240 would be too many)", 5 * TiB, 512 * MiB, 525 * MiB],
    ["5 TiB with 5 MiB parts grows to 525 MiB", 5 * TiB, 5 * MiB, 525 * MiB],
    ["5 TiB with 64 MiB parts grows to 525 MiB", 5 * TiB, 64 * MiB, 525 * MiB],
  ])("%s", (_label, size, preferred, expected) => {
    const part = partSizeFor(size, preferred);
    expect(part).toBe(expected);
    expect(Math.ceil(size / part)).toBeLessThanOrEqual(MAX_PARTS);
  });
});

describe("partRanges", () => {
  it("an exact multiple gives equal parts with inclusive ends", () => {
    expect(partRanges(15 * MiB, 5 * MiB)).toEqual([
      { partNumber: 1, start: 0, end: 5242879, range: "bytes=0-5242879" },
      { partNumber: 2, start: 5242880, end: 10485759, range: "bytes=5242880-10485759" },
      { partNumber: 3, start: 10485760, end: 15728639, range: "bytes=10485760-15728639" },
    ]);
  });

  it("one byte over adds a one-byte last part", () => {
    const r = partRanges(10 * MiB + 1, 5 * MiB);
    expect(r).toHaveLength(3);
    expect(r[2]).toEqual({ partNumber: 3, start: 10 * MiB, end: 10 * MiB, range: `bytes=${10 * MiB}-${10 * MiB}` });
  });

  it("an object smaller than a part is one part", () => {
    expect(partRanges(100, 5 * MiB)).toEqual([{ partNumber: 1, start: 0, end: 99, range: "bytes=0-99" }]);
  });

  it("an empty object has no parts", () => {
    expect(partRanges(0, 5 * MiB)).toEqual([]);
  });

  it("a 5 TiB object covers every byte once in at most 10,000 parts", () => {
    const size = 5 * TiB;
    const r = partRanges(size, partSizeFor(size, 5 * MiB));
    expect(r.length).toBeLessThanOrEqual(MAX_PARTS);
    expect(r[0]?.start).toBe(0);
    expect(r.at(-1)?.end).toBe(size - 1);
    for (let i = 1; i < r.length; i++) expect(r[i]?.start).toBe((r[i - 1]?.end ?? -2) + 1);
    expect(r.map((p) => p.partNumber)).toEqual(r.map((_, i) => i + 1));
  });

  it.each([
    [10, 0],
    [10, -1],
    [10, 1.5],
    [-1, 5],
  ])("rejects size %d with part size %d", (size, part) => {
    expect(() => partRanges(size, part)).toThrow(/invalid/);
  });
});
