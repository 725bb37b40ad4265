/**
 * What a copy costs: the one price table (S3 in ap-northeast-1, where FLEX data lives), a user's own prices
 * from a file (`--price-file`, the config's `priceFile`), and the estimate `fetch --dry-run` prints.
 *
 * How S3 bills a server-side copy (Amazon S3 pricing page, "Storage & requests" and "Data transfer"; S3 FAQ:
 * "There is no Data Transfer charge for data transferred within an Amazon S3 Region via a COPY request"):
 * - each CopyObject, CreateMultipartUpload, UploadPartCopy and CompleteMultipartUpload is a PUT/COPY/POST
 *   request, priced by the storage class of the object it writes, and billed to your bucket's owner (you);
 * - each ListObjectsV2 of your bucket is a LIST request, at the S3 Standard rate, billed to you; requests to
 *   the provider's bucket (its listings, the one HeadObject per day) are billed to its owner, JPX;
 * - the copies move no data out of the region and none through your machine: no data transfer charge;
 * - what is copied is then stored, per GB-month (GB = 2^30 bytes), at the storage class's rate.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { STORAGE_CLASSES, type StorageClass } from "../config/schema.js";
import { MAX_PART_SIZE, partSizeFor } from "../engine/parts.js";

export interface PriceTable {
  region: string;
  currency: "USD";
  /** When the figures were read, and where. */
  readAt: string;
  source: string;
  note?: string;
  /** USD per GB-month (the first tier: up to 50 TB a month). */
  storage: Record<StorageClass, number>;
  /** USD per 1,000 PUT, COPY, POST requests writing into the class (CopyObject, the multipart requests). */
  writes: Record<StorageClass, number>;
  /** USD per 1,000 LIST requests (ListObjectsV2), at the S3 Standard rate. */
  list: number;
  /** USD per 1,000 objects a month: S3 Intelligent-Tiering's monitoring and automation charge. */
  monitoring: Partial<Record<StorageClass, number>>;
  /** Figures no source corroborated ("storage.GLACIER_IR", "writes.GLACIER_IR", "list", "monitoring.INTELLIGENT_TIERING"): kept, and named by the estimate. */
  unverified: string[];
}

/** The table's figures that no source corroborated when it was checked (see AP_NORTHEAST_1). */
const NO_SOURCE_FOUND: string[] = [
  ...STORAGE_CLASSES.filter((c) => c !== "STANDARD" && c !== "DEEP_ARCHIVE").map((c) => `storage.${c}`),
  ...STORAGE_CLASSES.map((c) => `writes.${c}`),
  "list",
  "monitoring.INTELLIGENT_TIERING",
];

/**
 * S3 prices of Asia Pacific (Tokyo), ap-northeast-1, as the Amazon S3 pricing page lists them. They were not
 * re-read live when this table was written (the page renders its regional tables with script, and no stored
 * copy of it gave the Tokyo figures): they are the figures published for Tokyo as of 2025, the first storage
 * tier. Check them against the page; a file given with --price-file replaces any of them.
 *
 * Each figure was checked against what could be found (2026-12-03, searching AWS documentation and public
 * pages for the Tokyo figures). Corroborated, by pages that are not AWS's own:
 * - storage.STANDARD 0.025 per GB-month, first 50 TB: abicky.net/2022/02/13/184039 ("詳説 Amazon S3 ストレージ
 *   料金", Asia Pacific (Tokyo), Feb 2022) and style.potepan.com/articles/12591.html (Tokyo, Sep 2018);
 * - storage.DEEP_ARCHIVE 0.002 per GB-month: kusano-k.hatenablog.com/entry/2022/01/27/004517 (Tokyo, Jan 2022).
 * Every other figure was found in no source: it is listed in `unverified` (the number is kept) and the dry run
 * says so. The 2018 page above gives older Tokyo figures for STANDARD_IA (0.019), ONEZONE_IA (0.0152) and
 * Glacier (0.005), which later price changes replaced; it does not confirm this table's.
 */
export const AP_NORTHEAST_1: PriceTable = {
  region: "ap-northeast-1",
  currency: "USD",
  readAt: "2025 (as published; not re-read live for this table)",
  source: "https://aws.amazon.com/s3/pricing/ (Asia Pacific (Tokyo))",
  note: "first storage tier (up to 50 TB a month); objects under 128 KB in STANDARD_IA, ONEZONE_IA and GLACIER_IR are billed as 128 KB, and minimum storage durations apply (30, 90 or 180 days)",
  storage: { STANDARD: 0.025, INTELLIGENT_TIERING: 0.025, STANDARD_IA: 0.0138, ONEZONE_IA: 0.011, GLACIER_IR: 0.005, GLACIER: 0.0045, DEEP_ARCHIVE: 0.002 },
  writes: { STANDARD: 0.0047, INTELLIGENT_TIERING: 0.0047, STANDARD_IA: 0.01, ONEZONE_IA: 0.01, GLACIER_IR: 0.02, GLACIER: 0.0571, DEEP_ARCHIVE: 0.065 },
  list: 0.0047,
  monitoring: { INTELLIGENT_TIERING: 0.0025 },
  // No source found for these (the numbers are kept): every request price, and the storage price of every class but STANDARD and DEEP_ARCHIVE.
  unverified: NO_SOURCE_FOUND,
};

/** A price file that cannot be used: one line, exit 2. */
export class PriceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PriceFileError";
  }
}

const usd = z.number({ error: "must be a price in USD (a number, 0 or more)" }).nonnegative({ error: "must be a price in USD (a number, 0 or more)" });
const perClass = z.partialRecord(z.enum(STORAGE_CLASSES, { error: `must be one of ${STORAGE_CLASSES.join(", ")}` }), usd);
/** A price file: any of the table's fields; what it leaves out keeps the table's figure. */
const priceFileSchema = z.strictObject({
  region: z.string().optional(),
  readAt: z.string().optional(),
  source: z.string().optional(),
  note: z.string().optional(),
  storage: perClass.optional(),
  writes: perClass.optional(),
  list: usd.optional(),
  monitoring: perClass.optional(),
});

/** The table for a run: AP_NORTHEAST_1, with a price file's figures over it. */
export function loadPrices(file?: string): PriceTable & { file?: string } {
  if (file === undefined) return AP_NORTHEAST_1;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new PriceFileError(`--price-file ${file}: ${e.code ? `cannot read it (${e.code})` : `not JSON (${e.message.split("\n")[0]})`}`);
  }
  const parsed = priceFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PriceFileError(`--price-file ${file}: ${issue?.path.join(".") || "the file"} ${issue?.message ?? "is invalid"}`);
  }
  const p = parsed.data;
  // A figure the file gives is the user's own: no longer one of the table's unverified figures.
  const given = new Set([
    ...(["storage", "writes", "monitoring"] as const).flatMap((k) => Object.keys(p[k] ?? {}).map((c) => `${k}.${c}`)),
    ...(p.list === undefined ? [] : ["list"]),
  ]);
  return {
    ...AP_NORTHEAST_1,
    ...(p.region ? { region: p.region } : {}),
    readAt: p.readAt ?? "(your price file)",
    source: p.source ?? file,
    ...(p.note === undefined ? {} : { note: p.note }),
    storage: { ...AP_NORTHEAST_1.storage, ...p.storage },
    writes: { ...AP_NORTHEAST_1.writes, ...p.writes },
    list: p.list ?? AP_NORTHEAST_1.list,
    monitoring: { ...AP_NORTHEAST_1.monitoring, ...p.monitoring },
    unverified: AP_NORTHEAST_1.unverified.filter((f) => !given.has(f)),
    file,
  };
}

/** What a run will copy, as its dry run planned it. */
export interface CopyPlan {
  /** Sizes of the objects to copy (inside the contract). */
  sizes: number[];
  /** Day folders (or prefixes) planned, and the objects listed in them: the listings' pages. */
  units: number;
  objects: number;
  multipartThreshold: number;
  partSize: number;
  storageClass: StorageClass;
}

export interface RequestCost {
  op: "CopyObject" | "CreateMultipartUpload" | "UploadPartCopy" | "CompleteMultipartUpload" | "ListObjectsV2";
  count: number;
  /** USD per 1,000 of them, and what they cost. */
  per1000: number;
  usd: number;
}

export interface CostEstimate {
  currency: "USD";
  storageClass: StorageClass;
  /** The requests to your bucket (billed to you), and their sum. */
  requests: RequestCost[];
  requestsUsd: number;
  /** What is copied, and its storage a month in the class. */
  bytes: number;
  storageUsdPerMonth: number;
  /** In-region server-side copies move no billable data. */
  transferUsd: 0;
  /** `unverified`: the figures this estimate used that no source corroborated (the table's; none a price file gave). */
  prices: { region: string; readAt: string; source: string; file?: string; unverified: string[] };
}

const GB = 2 ** 30;
/** Objects a ListObjectsV2 page holds (S3's default and maximum MaxKeys). */
const PAGE = 1000;

/**
 * The requests a run sends into your bucket and what they and the copied data's storage cost. Objects of the
 * multipart threshold or more are counted as multipart copies (one CreateMultipartUpload, a part per part size,
 * one CompleteMultipartUpload): what flexcopy sends where your bucket policy allows parts; else objects up to
 * 5 GiB go as one CopyObject, which costs less. Your bucket is listed once per unit, a page per 1,000 objects.
 */
export function estimateCost(plan: CopyPlan, t: PriceTable): CostEstimate {
  let copies = 0;
  let uploads = 0;
  let parts = 0;
  let bytes = 0;
  for (const size of plan.sizes) {
    bytes += size;
    if (size >= plan.multipartThreshold || size > MAX_PART_SIZE) {
      uploads += 1;
      parts += Math.max(1, Math.ceil(size / partSizeFor(size, plan.partSize)));
    } else copies += 1;
  }
  const write = t.writes[plan.storageClass];
  const line = (op: RequestCost["op"], count: number, per1000: number): RequestCost => ({ op, count, per1000, usd: (count / 1000) * per1000 });
  const requests = [
    line("CopyObject", copies, write),
    line("CreateMultipartUpload", uploads, write),
    line("UploadPartCopy", parts, write),
    line("CompleteMultipartUpload", uploads, write),
    line("ListObjectsV2", plan.units === 0 ? 0 : Math.max(plan.units, Math.ceil(plan.objects / PAGE)), t.list),
  ].filter((r) => r.count > 0);
  const monitoring = ((t.monitoring[plan.storageClass] ?? 0) * plan.sizes.length) / 1000;
  const used = [
    `storage.${plan.storageClass}`,
    ...(copies + uploads > 0 ? [`writes.${plan.storageClass}`] : []),
    ...(requests.some((r) => r.op === "ListObjectsV2") ? ["list"] : []),
    ...(t.monitoring[plan.storageClass] !== undefined && plan.sizes.length > 0 ? [`monitoring.${plan.storageClass}`] : []),
  ];
  return {
    currency: "USD",
    storageClass: plan.storageClass,
    requests,
    requestsUsd: requests.reduce((s, r) => s + r.usd, 0),
    bytes,
    storageUsdPerMonth: (bytes / GB) * t.storage[plan.storageClass] + monitoring,
    transferUsd: 0,
    prices: { region: t.region, readAt: t.readAt, source: t.source, ...("file" in t && typeof t.file === "string" ? { file: t.file } : {}), unverified: used.filter((f) => t.unverified.includes(f)) },
  };
}

/** "$0.0123", "$12.35": cents for sums of a dollar or more, four significant places below. */
export function formatUsd(v: number): string {
  if (v === 0) return "$0";
  return v >= 1 ? `$${v.toFixed(2)}` : `$${Number(v.toPrecision(3))}`;
}
