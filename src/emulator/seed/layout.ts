// Seed from a JSON layout file. Two forms (they may be combined in one file):
//   { "objects": [ { "key": "2021/05/31/20210531_1_001.pcap.gz", "size": 123, "contentType"?: "...",
//                    "metadata"?: { "k": "v" }, "lastModified"?: "2021-06-01T04:31:36Z", "storageClass"?: "GLACIER" } ] }
//   { "days": { "2021/05/31": { "files": 3, "size": 1048576 },            // 3 files of 1 MiB each
//               "testdata/2021/05/28": { "sizes": [1024, "2MiB"] } } }    // explicit sizes
// Sizes are byte counts or strings such as "64MiB", "1.5GB" (KB/MB/GB/TB = 10^n, KiB/MiB/GiB/TiB = 2^n).
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { SeedObject } from "./seed.js";
import { STORAGE_CLASSES } from "../store.js";
import { type Ymd, compareKeys, isValidDate, pcapKey, uploadTime } from "./util.js";

/** S3's maximum object size: 5 TiB. */
const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

const UNITS: Record<string, number> = {
  "": 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** "64MiB" -> 67108864; "1.5GB" -> 1500000000; 42 -> 42. Returns undefined when unparseable. */
export function parseSeedSize(v: number | string): number | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? "").toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}

const sizeSchema = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const n = parseSeedSize(v);
    if (n === undefined) {
      ctx.addIssue({ code: "custom", message: `invalid size ${JSON.stringify(v)} (expected a non-negative integer number of bytes or e.g. "64MiB")` });
      return z.NEVER;
    }
    if (n > MAX_OBJECT_SIZE) {
      ctx.addIssue({ code: "custom", message: `size ${n} exceeds S3's 5 TiB object limit` });
      return z.NEVER;
    }
    return n;
  });

const keySchema = z
  .string()
  .min(1, "key must not be empty")
  .refine((k) => Buffer.byteLength(k, "utf8") <= 1024, "key longer than 1024 UTF-8 bytes")
  .refine((k) => !k.startsWith("/"), "key must not start with '/'");

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "lastModified must be an ISO 8601 date");

const storageClassSchema = z.enum(STORAGE_CLASSES).optional();

const objectSchema = z.strictObject({
  key: keySchema,
  size: sizeSchema,
  contentType: z.string().min(1).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  lastModified: isoDate.optional(),
  storageClass: storageClassSchema,
});

const daySchema = z
  .strictObject({
    files: z.number().int().min(1).max(1000).optional(),
    size: sizeSchema.optional(),
    sizes: z.array(sizeSchema).min(1).max(1000).optional(),
    contentType: z.string().min(1).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    storageClass: storageClassSchema,
  })
  .refine((d) => d.sizes !== undefined || d.size !== undefined, "give either \"size\" (with optional \"files\") or \"sizes\"")
  .refine((d) => !(d.sizes !== undefined && (d.size !== undefined || d.files !== undefined)), "\"sizes\" cannot be combined with \"size\"/\"files\"");

const DAY_RE = /^(?:(.+\/))?(\d{4})\/(\d{2})\/(\d{2})$/;

const layoutSchema = z
  .strictObject({
    objects: z.array(objectSchema).optional(),
    days: z.record(z.string(), daySchema).optional(),
  })
  .refine((l) => l.objects !== undefined || l.days !== undefined, "layout needs \"objects\" and/or \"days\"");

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const where = i.path.length ? i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") : "(root)";
      return `${where}: ${i.message}`;
    })
    .join("; ") + (error.issues.length > 5 ? `; … and ${error.issues.length - 5} more` : "");
}

export class SeedLayoutError extends Error {
  constructor(file: string, detail: string) {
    super(`seed layout file ${JSON.stringify(file)}: ${detail}`);
    this.name = "SeedLayoutError";
  }
}

/** Parse a layout document (already JSON-decoded). `file` is only used in error messages. */
export function parseLayout(doc: unknown, file = "<inline>"): SeedObject[] {
  const res = layoutSchema.safeParse(doc);
  if (!res.success) throw new SeedLayoutError(file, formatIssues(res.error));
  const out: SeedObject[] = [];
  for (const o of res.data.objects ?? []) {
    const obj: SeedObject = { key: o.key, size: o.size };
    if (o.contentType !== undefined) obj.contentType = o.contentType;
    if (o.metadata !== undefined) obj.metadata = o.metadata;
    if (o.lastModified !== undefined) obj.lastModified = new Date(o.lastModified).toISOString();
    if (o.storageClass !== undefined) obj.storageClass = o.storageClass;
    out.push(obj);
  }
  for (const [dayStr, spec] of Object.entries(res.data.days ?? {})) {
    const m = DAY_RE.exec(dayStr);
    if (!m) throw new SeedLayoutError(file, `days.${dayStr}: day must look like "YYYY/MM/DD" (zero-padded), optionally under a prefix such as "testdata/"`);
    const day: Ymd = { y: Number(m[2]), m: Number(m[3]), d: Number(m[4]) };
    if (!isValidDate(day)) throw new SeedLayoutError(file, `days.${dayStr}: not a calendar date`);
    const sizes = spec.sizes ?? Array.from({ length: spec.files ?? 1 }, () => spec.size ?? 0);
    sizes.forEach((size, i) => {
      const obj: SeedObject = {
        key: pcapKey(day, i + 1, m[1] ?? ""),
        size,
        contentType: spec.contentType ?? "application/gzip",
        lastModified: uploadTime(day, (i + 1) * 7),
      };
      if (spec.metadata) obj.metadata = { ...spec.metadata };
      if (spec.storageClass !== undefined) obj.storageClass = spec.storageClass;
      out.push(obj);
    });
  }
  const seen = new Set<string>();
  for (const o of out) {
    if (seen.has(o.key)) throw new SeedLayoutError(file, `duplicate key ${JSON.stringify(o.key)}`);
    seen.add(o.key);
  }
  return out.sort((a, b) => compareKeys(a.key, b.key));
}

export function loadLayoutFile(file: string): SeedObject[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (err as Error).message;
    throw new SeedLayoutError(file, `${why} (seed must be "demo", "year:YYYY", "years:YYYY-YYYY", "archive", "none" or a path to a JSON layout file)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SeedLayoutError(file, `invalid JSON: ${(err as Error).message}`);
  }
  return parseLayout(doc, file);
}
