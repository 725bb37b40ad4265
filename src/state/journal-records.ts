import { z } from "zod";

const key = z.string().min(1);
const id = z.string().min(1);

/**
 * One line of the resume journal. Every line read back is validated: a line written by a damaged
 * disk, an editor or another program is skipped (and counted), never trusted.
 */
export const lineSchema = z.discriminatedUnion("t", [
  /** About to send CreateMultipartUpload for this key: if no `start` follows, an upload may be orphaned. */
  /** `at`: when (ms since the epoch); the orphan sweep aborts only uploads initiated around it (absent in older journals). */
  z.object({ t: z.literal("intent"), key, at: z.number().int().nonnegative().optional() }),
  z.object({ t: z.literal("start"), key, uploadId: id, partSize: z.number().int().positive(), sourceEtag: z.string(), size: z.number().int().nonnegative() }),
  z.object({ t: z.literal("part"), key, uploadId: id, n: z.number().int().min(1).max(10_000), etag: z.string().min(1) }),
  /** Completed: the destination ETag, and the source ETag it was copied from (absent in older journals). */
  z.object({ t: z.literal("done"), key, uploadId: z.string(), etag: z.string(), sourceEtag: z.string().optional(), at: z.number().int().nonnegative().optional() }),
  z.object({ t: z.literal("forget"), key }),
  /** The uploads an `intent` may have orphaned were looked for and removed. */
  z.object({ t: z.literal("swept"), key }),
  /** When the journal was first created (kept through compaction): uploads older than it cannot be in it (cleanup.ts). */
  z.object({ t: z.literal("created"), at: z.number().int().nonnegative() }),
]);

export type Line = z.infer<typeof lineSchema>;

/** Parses journal text: the valid lines, and how many were not (torn, garbage, wrong types). */
export function parseLines(text: string): { lines: Line[]; damaged: number } {
  const lines: Line[] = [];
  let damaged = 0;
  const raws = text.split("\n");
  raws.forEach((raw, i) => {
    if (!raw.trim()) return;
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      // The last line torn by a crash mid-write is expected, not damage.
      if (i !== raws.length - 1) damaged += 1;
      return;
    }
    const parsed = lineSchema.safeParse(data);
    if (parsed.success) lines.push(parsed.data);
    else damaged += 1;
  });
  return { lines, damaged };
}

/** The object a line is about (the engine passes its listing entry). */
export interface JournalObject {
  key: string;
  size: number;
  /** The source object's ETag, when known (recorded with a completed copy). */
  etag?: string;
}

/** The engine's port (engine/journal.ts) defines what an upload record is; the storage holds it. */
export type { CompletedRecord, JournalUpload, UploadRecord } from "../engine/journal.js";
