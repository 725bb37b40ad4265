/**
 * Deterministic split of day folders over n machines: a day belongs to exactly one shard, chosen
 * by a stable hash of its zero-padded name, so "2021/5/3/" and "2021/05/03/" land together.
 */
import { splitDayPrefix } from "./day-key.js";

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parses "2/5" (shard 2 of 5). Throws a one-line Error otherwise. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`expected i/n such as "2/5" (got ${JSON.stringify(text)})`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 10_000) throw new Error(`the shard count must be 1 to 10000 (got ${JSON.stringify(text)})`);
  if (index < 1 || index > count) throw new Error(`the shard index must be 1 to ${count} (got ${JSON.stringify(text)})`);
  return { index, count };
}

/** "2021/5/3/" -> "2021/05/03"; "testdata/2021/5/3" -> "testdata/2021/05/03"; other prefixes lose their trailing slash. */
export function normalizeDay(day: string): string {
  return splitDayPrefix(day)?.padded ?? day.replace(/\/+$/, "");
}

/** 32-bit FNV-1a over UTF-8, finished with murmur3's fmix32 so that n consecutive days spread evenly. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Whether this machine (shard index of count) copies the day. */
export function inShard(day: string, shard: Shard): boolean {
  if (shard.count <= 1) return true;
  return (stableHash(normalizeDay(day)) % shard.count) + 1 === shard.index;
}
