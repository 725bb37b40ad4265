/** S3 limits for multipart copies. */
export const MIN_PART_SIZE = 5 * 2 ** 20;
export const MAX_PART_SIZE = 5 * 2 ** 30;
export const MAX_PARTS = 10_000;
const MiB = 2 ** 20;

/**
 * The part size to use for an object: the preferred size clamped to 5 MiB..5 GiB, grown in whole
 * MiB when needed so the object fits in 10,000 parts.
 */
export function partSizeFor(size: number, preferred: number): number {
  let part = Math.min(MAX_PART_SIZE, Math.max(MIN_PART_SIZE, Math.floor(preferred)));
  if (Math.ceil(size / part) > MAX_PARTS) {
    part = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  }
  return Math.min(MAX_PART_SIZE, part);
}

export interface PartRange {
  partNumber: number;
  start: number;
  /** Inclusive. */
  end: number;
  /** "bytes=start-end", as CopySourceRange wants it. */
  range: string;
}

/** Splits `size` bytes into parts of `partSize` (the last one shorter), numbered from 1. */
export function partRanges(size: number, partSize: number): PartRange[] {
  if (!(partSize > 0) || !Number.isInteger(partSize)) throw new Error(`invalid part size ${partSize}`);
  if (!(size >= 0) || !Number.isInteger(size)) throw new Error(`invalid object size ${size}`);
  const parts: PartRange[] = [];
  for (let start = 0, partNumber = 1; start < size; start += partSize, partNumber++) {
    const end = Math.min(size, start + partSize) - 1;
    parts.push({ partNumber, start, end, range: `bytes=${start}-${end}` });
  }
  return parts;
}
