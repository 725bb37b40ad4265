import pLimit from "p-limit";
import { abortListed, IdentityFallback, isOrphan, listUploads, type Identity, type UploadInfo } from "./cleanup.js";
import type { UploadJournal } from "./journal.js";
import type { Listing } from "./listing.js";

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
}

/**
 * Looks for the uploads a crashed run orphaned (one ListMultipartUploads per intent key) and aborts
 * them, as the bucket owner first (under the provider manual's bucket policy the role may neither
 * list nor abort uploads) and else as the role. Runs before the first copy, so no upload of this
 * run exists yet; the journal's lock keeps any other run off these keys. A key whose orphans are
 * all gone has its intent cleared.
 */
export async function sweepOrphans(deps: SweepDeps): Promise<OrphanSweep> {
  const keys = deps.journal.intentKeys();
  const result: OrphanSweep = { keys: keys.length, found: 0, removed: 0, left: 0, unchecked: 0 };
  if (keys.length === 0) return result;
  const ids: Identity[] = deps.owner ? [{ name: "base", listing: deps.owner }, { name: "role", listing: deps.role }] : [{ name: "role", listing: deps.role }];
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
          for await (const u of listUploads(lister, deps.destBucket, key)) if (u.key === key && isOrphan(u, intentKeys, known, deps.roleAccount)) orphans.push(u);
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
