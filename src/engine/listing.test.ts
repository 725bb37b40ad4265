import { describe, expect, it } from "vitest";
import { compareKeys, pairListings } from "./listing.js";
import type { ObjInfo } from "./storage.js";

async function* from(keys: string[]): AsyncGenerator<ObjInfo> {
  for (const key of keys) yield { key, size: key.length };
}

async function collect(src: string[], dst: string[]) {
  const out: [string, string | undefined][] = [];
  for await (const [s, d] of pairListings(from(src), from(dst))) out.push([s.key, d?.key]);
  return out;
}

describe("pairListings", () => {
  it("pairs each source object with its destination counterpart", async () => {
    expect(await collect(["a", "b", "c", "e"], ["0", "b", "d", "e", "z"])).toEqual([
      ["a", undefined],
      ["b", "b"],
      ["c", undefined],
      ["e", "e"],
    ]);
  });
  it("handles an empty destination and an empty source", async () => {
    expect(await collect(["a"], [])).toEqual([["a", undefined]]);
    expect(await collect([], ["a"])).toEqual([]);
  });
  it("orders keys as S3 does (UTF-8 bytes), including characters above U+FFFF", async () => {
    const keys = ["x/😀.pdf", "x/ｚ.pdf", "x/仕様書.pdf", "x/a b.pdf", "x/a+b.pdf"];
    const s3Order = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...keys].sort(compareKeys)).toEqual(s3Order);
    expect(await collect(s3Order, s3Order)).toEqual(s3Order.map((k) => [k, k]));
  });
});
