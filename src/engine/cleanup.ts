import { isAccessDenied } from "../aws/classify.js";
import { dayFolderOf } from "./day-key.js";
import type { Listing } from "./listing.js";
import { RequestError } from "./request.js";
import type { UploadInfo } from "./storage.js";

/** An incomplete multipart upload in the destination bucket. */
export type { UploadInfo } from "./storage.js";

export type CleanupAction = "aborted" | "would-abort" | "kept" | "failed";

export interface CleanupItem extends UploadInfo {
  /** Milliseconds since the upload was initiated (undefined if S3 did not say when). */
  ageMs?: number;
  action: CleanupAction;
  reason: string;
  /** Error code when the abort failed. */
  code?: string;
}

export interface CleanupReport {
  found: number;
  aborted: number;
  wouldAbort: number;
  kept: number;
  failed: number;
}

/**
 * One way to reach the destination: the provider's role or the customer's own (base) credentials.
 * The role's bucket policy grants s3:ListBucket and s3:PutObject, which covers creating, completing
 * and aborting its own uploads on S3 but usually not s3:ListBucketMultipartUploads, which only the
 * bucket owner has by default.
 */
export interface Identity {
  name: "role" | "base";
  listing: Listing;
}

export interface CleanupDeps {
  destBucket: string;
  /**
   * Identities for ListMultipartUploads and AbortMultipartUpload, in the order tried. When one gets
   * AccessDenied the next is tried, and used from then on for that operation (a notice says so).
   */
  dest: Identity[];
  /** Whether the provider's bucket holds this exact key; needed when no upload ids are known and not --all. */
  sourceHasKey?: (key: string) => Promise<boolean>;
  onItem?: (item: CleanupItem) => void;
  onNotice?: (message: string) => void;
  now?: () => number;
}

export interface CleanupOptions {
  /** Only uploads whose key starts with this. */
  prefix?: string;
  /** Abort every incomplete upload, not only flexcopy's. */
  all?: boolean;
  /** List what would be aborted; abort nothing. */
  dryRun?: boolean;
  /** Upload ids flexcopy recorded in its resume journal; when given, these (and only these) are flexcopy's. */
  knownUploadIds?: Set<string>;
  /**
   * Keys of the journals' `intent` records (an upload was about to be created when a run died):
   * uploads of these keys that the provider's role initiated are flexcopy's too (see orphans.ts).
   */
  intentKeys?: Set<string>;
  /** The provider's account id, to recognise the role as an upload's initiator. */
  roleAccount?: string;
  /** When the oldest of the journals was created (their `created` record); see olderThanJournal. */
  journalCreated?: number;
  /** Upload ids of journals a running fetch holds: its uploads in flight, kept even with `all`. */
  liveUploadIds?: Set<string>;
  signal?: AbortSignal;
}

const isDenied = (err: unknown): boolean => err instanceof RequestError && isAccessDenied(err);

/** Runs an operation with the first identity that is not denied, remembering which one that was. */
export class IdentityFallback {
  private index = 0;

  constructor(
    private readonly op: string,
    private readonly identities: Identity[],
    private readonly notice?: (message: string) => void,
  ) {
    if (identities.length === 0) throw new Error("no identity to reach the destination");
  }

  get current(): Identity["name"] {
    return this.identities[this.index]!.name;
  }

  async run<T>(fn: (l: Listing) => Promise<T>): Promise<T> {
    for (;;) {
      const id = this.identities[this.index]!;
      try {
        return await fn(id.listing);
      } catch (err) {
        const next = this.identities[this.index + 1];
        if (!isDenied(err) || next === undefined) throw err;
        this.index += 1;
        this.notice?.(`${this.op} was denied to ${describe(id.name)}; using ${describe(next.name)} instead`);
      }
    }
  }
}

const describe = (n: Identity["name"]): string => (n === "role" ? "the provider's role" : "your own credentials (the bucket owner)");

/** Incomplete multipart uploads, page by page (KeyMarker/UploadIdMarker), in key order. */
export async function* listUploads(via: IdentityFallback, bucket: string, prefix?: string): AsyncGenerator<UploadInfo> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await via.run((l) =>
      l.requester.send("ListMultipartUploads", prefix, "dest", () =>
        l.store.listMultipartUploads({ bucket, prefix: prefix || undefined, keyMarker, uploadIdMarker }),
      ),
    );
    yield* page.uploads;
    if (!page.truncated) return;
    const nextKey = page.nextKeyMarker;
    const nextId = page.nextUploadIdMarker;
    if (!nextKey || (nextKey === keyMarker && nextId === uploadIdMarker)) return; // a server that does not advance
    keyMarker = nextKey;
    uploadIdMarker = nextId;
  }
}

/**
 * Whether an upload is flexcopy's: by the upload ids its journal recorded when given; otherwise by
 * the key (flexcopy copies keep the provider's key, so an upload whose key is in the provider's
 * bucket is taken to be flexcopy's). `all` takes every upload.
 */
export function decideAbort(
  u: UploadInfo,
  opts: { all?: boolean; knownUploadIds?: Set<string>; intentKeys?: Set<string>; roleAccount?: string; journalCreated?: number; liveUploadIds?: Set<string> },
  inSource?: boolean,
): { abort: boolean; reason: string } {
  if (opts.liveUploadIds?.has(u.uploadId)) return { abort: false, reason: "a running fetch is copying it (its journal is locked)" };
  if (opts.all) return { abort: true, reason: "--all" };
  if (opts.knownUploadIds) {
    if (opts.knownUploadIds.has(u.uploadId)) return { abort: true, reason: "started by flexcopy: recorded in its journal" };
    if (opts.intentKeys && isOrphan(u, opts.intentKeys, opts.knownUploadIds, opts.roleAccount)) {
      return { abort: true, reason: "started by flexcopy and lost in a crash: its journal has an intent record for the key" };
    }
    if (olderThanJournal(u, opts.journalCreated, opts.roleAccount)) {
      return { abort: true, reason: "started by the provider's role for a FLEX key before this journal existed: left by a deleted journal" };
    }
    return { abort: false, reason: "not recorded in flexcopy's journal; --all aborts it anyway" };
  }
  return inSource
    ? { abort: true, reason: "its key is in the provider's bucket: a flexcopy copy" }
    : { abort: false, reason: "its key is not in the provider's bucket, so not a flexcopy copy; --all aborts it anyway" };
}

/**
 * Uploads orphaned by a crash. flexcopy writes an `intent` line to its journal just before each
 * CreateMultipartUpload and a `start` line with the upload id once S3 answers; a process killed in
 * between leaves an upload that only the `intent` points to. Such an upload is flexcopy's when its
 * key is an intent's key, S3 says the provider's role initiated it, and the journal does not record
 * it (a recorded upload is continued, not removed).
 */
export function isOrphan(u: UploadInfo, intentKeys: Set<string>, knownUploadIds: Set<string>, roleAccount?: string): boolean {
  if (!intentKeys.has(u.key) || knownUploadIds.has(u.uploadId)) return false;
  // S3 names an IAM initiator (an assumed role too) by its ARN, which holds its account id
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Initiator.html); an upload another
  // account's principal started under the same key is not flexcopy's. A bare canonical id says
  // nothing about the account: the intent record decides.
  if (roleAccount === undefined) return true;
  const names = [u.initiator, u.initiatorName].filter((x): x is string => x !== undefined);
  const accounts = names.flatMap((n) => (/^\d{12}$/.test(n) ? [n] : [...n.matchAll(/^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/g)].map((m) => m[1]!)));
  return accounts.length === 0 || accounts.includes(roleAccount);
}

const codeOf = (err: unknown): string => (err instanceof RequestError ? err.classified.code : err instanceof Error ? err.name : "Error");

/**
 * Lists the destination's incomplete multipart uploads and aborts flexcopy's (all with `all`),
 * reporting each through `onItem`. Listing errors are thrown; a failed abort is reported and the
 * rest go on. With `dryRun` nothing is aborted.
 */
export async function cleanupUploads(deps: CleanupDeps, opts: CleanupOptions = {}): Promise<CleanupReport> {
  const now = deps.now ?? Date.now;
  const lister = new IdentityFallback("ListMultipartUploads", deps.dest, deps.onNotice);
  const aborter = new IdentityFallback("AbortMultipartUpload", deps.dest, deps.onNotice);
  const report: CleanupReport = { found: 0, aborted: 0, wouldAbort: 0, kept: 0, failed: 0 };
  const sourceCache = new Map<string, boolean>();

  for await (const u of listUploads(lister, deps.destBucket, opts.prefix)) {
    if (opts.signal?.aborted) break;
    report.found += 1;
    let inSource: boolean | undefined;
    if (!opts.all && !opts.knownUploadIds) {
      if (!deps.sourceHasKey) throw new Error("cleanup needs sourceHasKey, knownUploadIds or all");
      inSource = sourceCache.get(u.key) ?? (await deps.sourceHasKey(u.key));
      sourceCache.set(u.key, inSource);
    }
    const decision = decideAbort(u, opts, inSource);
    const item: CleanupItem = { ...u, ageMs: u.initiated ? Math.max(0, now() - u.initiated.getTime()) : undefined, action: "kept", reason: decision.reason };
    if (!decision.abort) report.kept += 1;
    else if (opts.dryRun) {
      item.action = "would-abort";
      report.wouldAbort += 1;
    } else {
      try {
        await abortListed(aborter, deps.destBucket, u);
        item.action = "aborted";
        report.aborted += 1;
      } catch (err) {
        item.action = "failed";
        item.code = codeOf(err);
        report.failed += 1;
      }
    }
    deps.onItem?.(item);
  }
  return report;
}

/** Aborts a listed upload with the first identity allowed to; an upload already gone counts as aborted. */
export async function abortListed(via: IdentityFallback, bucket: string, u: UploadInfo): Promise<void> {
  try {
    await via.run((l) =>
      l.requester.send("AbortMultipartUpload", u.key, "dest", () =>
        l.store.abortMultipartUpload({ bucket, key: u.key, uploadId: u.uploadId }),
      ),
    );
  } catch (err) {
    // Completed or aborted since it was listed: it is gone, which is what was wanted.
    if (err instanceof RequestError && err.classified.code === "NoSuchUpload") return;
    throw err;
  }
}

/** Whether `bucket` holds exactly `key` (one small listing; works where HeadObject would be denied). */
export async function bucketHasKey(l: Listing, bucket: string, key: string): Promise<boolean> {
  const page = await l.requester.send("ListObjectsV2", key, "source", () => l.store.listObjects({ bucket, prefix: key, maxKeys: 1 }));
  return page.objects[0]?.key === key;
}

/**
 * An upload of a deleted journal (README: deleting the journal is safe, cleanup removes what it recorded):
 * initiated by the provider's role, for a key of the FLEX layout, before the current journal was created, so
 * no journal here could record it. Needs the role's account and the journal's `created` time (journals older
 * than that record say nothing, and the rule is off). A live fetch with another journal on another machine
 * may own such an upload too: cleanup's help says not to run while a fetch copies into the bucket.
 */
export function olderThanJournal(u: UploadInfo, journalCreated: number | undefined, roleAccount: string | undefined): boolean {
  if (journalCreated === undefined || roleAccount === undefined || u.initiated === undefined) return false;
  if (u.initiated.getTime() >= journalCreated) return false;
  if (!(dayFolderOf(u.key) !== undefined || u.key.startsWith("ConnectionSpec/"))) return false;
  // The initiator's account, as isOrphan reads it (an ARN, or a bare account id); without one, nothing says it is the role's.
  const names = [u.initiator, u.initiatorName].filter((x): x is string => x !== undefined);
  return names.some((n) => (/^\d{12}$/.test(n) ? n === roleAccount : [...n.matchAll(/^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/g)].some((m) => m[1] === roleAccount)));
}
