import pLimit from "p-limit";
import { abortListed, IdentityFallback, isOrphan, listUploads, olderThanJournal, type Identity, type UploadInfo } from "./cleanup.js";
import type { UploadJournal } from "./journal.js";
import type { Listing } from "./listing.js";
import { LOST_UPLOAD_SKEW_MS } from "./uploads.js";

export interface OrphanSweep {
  /** Keys the journal had intents for. */
  keys: number;
  /** Orphaned uploads found. */
  found: number;
  removed: number;
  /** Found but could not be aborted. */
  left: number;
  /** Keys whose uploads could not be listed (no one allowed to list them): orphans may remain. */
  unchecked: number;
}

export interface SweepDeps {
  destBucket: string;
  journal: UploadJournal;
  /** The provider's role (what flexcopy copies with). */
  role: Listing;
  /** The bucket owner's (base) credentials; absent with `--credentials env`. */
  owner?: Listing;
  /** The provider's account id (from the role ARN), to recognise the role as an upload's initiator. */
  roleAccount?: string;
  signal?: AbortSignal;
  /** Says what the sweep found but may not remove (uploads a deleted journal recorded). */
  notice?: (message: string) => void;
  /** The cleanup command for what is left (printed in the notice). */
  cleanup?: string;
}

/**
 * Looks for the uploads a crashed run orphaned (one ListMultipartUploads per intent key) and aborts
 * them, as the bucket owner first (under the provider manual's bucket policy the role may neither
 * list nor abort uploads) and else as the role. Runs before the first copy, so no upload of this
 * run exists yet; the journal's lock keeps any other run with this journal off these keys. Only uploads
 * initiated around an intent's time (within LOST_UPLOAD_SKEW_MS: S3's clock against ours) are its
 * orphans: another run, with another journal, copying the same key at another time keeps its upload.
 * A key whose orphans are all gone has its intent cleared. A journal this run created (a first run, or
 * the old one deleted) holds no intents: then the role's uploads of FLEX keys in the bucket, which no
 * journal here records, are said in one notice with the cleanup command (not aborted: they may be a live
 * run's on another machine).
 */
export async function sweepOrphans(deps: SweepDeps): Promise<OrphanSweep> {
  const keys = deps.journal.intentKeys();
  const result: OrphanSweep = { keys: keys.length, found: 0, removed: 0, left: 0, unchecked: 0 };
  const ids: Identity[] = deps.owner ? [{ name: "base", listing: deps.owner }, { name: "role", listing: deps.role }] : [{ name: "role", listing: deps.role }];
  if (deps.journal.fresh) await sayUnrecorded(deps, new IdentityFallback("ListMultipartUploads", ids));
  if (keys.length === 0) return result;
  const lister = new IdentityFallback("ListMultipartUploads", ids);
  const aborter = new IdentityFallback("AbortMultipartUpload", ids);
  const intentKeys = new Set(keys);
  const known = deps.journal.uploadIds();
  const limit = pLimit(4);
  await Promise.all(
    keys.map((key) =>
      limit(async () => {
        if (deps.signal?.aborted) return;
        const orphans: UploadInfo[] = [];
        try {
          const times = deps.journal.intentTimes?.(key) ?? [undefined];
          for await (const u of listUploads(lister, deps.destBucket, key)) {
            if (u.key === key && isOrphan(u, intentKeys, known, deps.roleAccount) && initiatedNear(u, times)) orphans.push(u);
          }
        } catch {
          result.unchecked += 1;
          return;
        }
        result.found += orphans.length;
        let left = 0;
        for (const u of orphans) {
          try {
            await abortListed(aborter, deps.destBucket, u);
            result.removed += 1;
          } catch {
            left += 1;
          }
        }
        result.left += left;
        if (left === 0) await deps.journal.swept(key);
      }),
    ),
  );
  return result;
}

/**
 * Whether an upload was initiated around one of its key's intents (an intent without a time, from an older
 * journal, matches any). The upload is created right after the intent line, or within its retries; S3's
 * clock may be off ours by up to LOST_UPLOAD_SKEW_MS (SigV4 refuses more), so that much either side.
 */
export function initiatedNear(u: UploadInfo, times: readonly (number | undefined)[]): boolean {
  if (u.initiated === undefined) return true;
  const t = u.initiated.getTime();
  return times.some((at) => at === undefined || Math.abs(t - at) <= LOST_UPLOAD_SKEW_MS);
}


/** A new journal: the role's uploads of FLEX keys already in the bucket are no journal's here. One notice, never throws. */
async function sayUnrecorded(deps: SweepDeps, lister: IdentityFallback): Promise<void> {
  if (!deps.notice || deps.roleAccount === undefined) return;
  const known = deps.journal.uploadIds();
  const created = deps.journal.createdAt?.() ?? Date.now();
  let count = 0;
  try {
    for await (const u of listUploads(lister, deps.destBucket)) {
      if (!known.has(u.uploadId) && olderThanJournal(u, created, deps.roleAccount)) count += 1;
    }
  } catch {
    return; // nobody may list the bucket's uploads: nothing to say
  }
  if (count === 0) return;
  deps.notice(
    `${count} incomplete ${count === 1 ? "upload" : "uploads"} of the provider's role in s3://${deps.destBucket} (billed until aborted) ${count === 1 ? "is" : "are"} in no journal here: this journal is new (a first run, or the old one was deleted). ` +
      `Unless another flexcopy is copying into this bucket now, remove them with: ${deps.cleanup ?? `flexcopy cleanup --dest-bucket ${deps.destBucket}`}`,
  );
}
