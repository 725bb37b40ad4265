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

/**
 * `--shard auto`: the shard from a batch runner's environment (0-based indexes become 1-based).
 *  - AWS Batch array jobs: AWS_BATCH_JOB_ARRAY_INDEX (0..size-1) and AWS_BATCH_JOB_ARRAY_SIZE, both
 *    set by AWS Batch in every child job (AWS Batch User Guide, "AWS Batch job environment variables").
 *  - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (0..completions-1) is set by Kubernetes; the count
 *    is not, so FLEXCOPY_SHARD_COUNT must carry the Job's `completions`.
 * FLEXCOPY_SHARD_COUNT, when set, overrides the count in both cases. Throws a one-line Error.
 */
export function shardFromEnv(env: Record<string, string | undefined>): Shard & { source: string } {
  const batch = env.AWS_BATCH_JOB_ARRAY_INDEX;
  const k8s = env.JOB_COMPLETION_INDEX;
  const override = env.FLEXCOPY_SHARD_COUNT;
  let index: string;
  let count: string | undefined;
  let source: string;
  if (batch !== undefined && batch !== "") {
    [index, count, source] = [batch, override || env.AWS_BATCH_JOB_ARRAY_SIZE, "AWS_BATCH_JOB_ARRAY_INDEX"];
    if (!count) throw new Error("AWS_BATCH_JOB_ARRAY_INDEX is set but neither AWS_BATCH_JOB_ARRAY_SIZE nor FLEXCOPY_SHARD_COUNT is");
  } else if (k8s !== undefined && k8s !== "") {
    [index, count, source] = [k8s, override, "JOB_COMPLETION_INDEX"];
    if (!count) throw new Error("JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job): set FLEXCOPY_SHARD_COUNT to the Job's completions");
  } else {
    throw new Error(
      "auto needs AWS_BATCH_JOB_ARRAY_INDEX and AWS_BATCH_JOB_ARRAY_SIZE (AWS Batch array job) or JOB_COMPLETION_INDEX and FLEXCOPY_SHARD_COUNT (Kubernetes Indexed Job); neither is set",
    );
  }
  if (!/^\d+$/.test(index.trim())) throw new Error(`${source} must be a whole number (got ${JSON.stringify(index)})`);
  if (!/^\d+$/.test(count.trim())) throw new Error(`the shard count must be a whole number (got ${JSON.stringify(count)})`);
  return { ...parseShard(`${Number(index) + 1}/${Number(count)}`), source };
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
