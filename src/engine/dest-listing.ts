/**
 * Listing your bucket, whatever the bucket policy allows. The manual's policy grants the provider's role
 * s3:ListBucket, and flexcopy lists as the role; a policy that only lets the role write (PutObject) does not.
 * Then your own credentials (the bucket owner's) list it; where they may not either (the manual's IAM user has
 * sts:AssumeRole only), fetch goes on without knowing what is there: every object counts as missing and is
 * copied (a re-run copies it again), and says so once. Verify cannot do without the listing: it stops there.
 * Decided once per run: after a denial, later listings go straight to the next identity.
 */
import { isAccessDenied } from "../aws/classify.js";
import { listObjects, type Listing } from "./listing.js";
import type { ObjInfo } from "./storage.js";

export type DestinationIdentity = "role" | "owner" | "none";

export class DestinationUnlistable extends Error {
  readonly hint: string;
  constructor(readonly bucket: string) {
    super(`neither the provider's role nor your credentials may list s3://${bucket} (s3:ListBucket)`);
    this.name = "DestinationUnlistable";
    this.hint = "the manual's bucket policy grants the role s3:ListBucket on your bucket: re-apply `flexcopy policy --bucket-policy`, or run with credentials that may list it (--profile)";
  }
}

export class DestinationLister {
  private stage: DestinationIdentity = "role";

  constructor(
    private readonly role: Listing,
    private readonly owner: Listing | undefined,
    /** Said once when the listing moves to another identity (or to none). */
    private readonly notice: (message: string) => void,
    /** Without any identity allowed: throw DestinationUnlistable (verify) instead of listing nothing (fetch). */
    private readonly required = false,
  ) {}

  /** Who lists the destination now. */
  get identity(): DestinationIdentity {
    return this.stage;
  }

  async *list(bucket: string, prefix: string): AsyncGenerator<ObjInfo> {
    for (;;) {
      const l = this.stage === "role" ? this.role : this.stage === "owner" ? this.owner : undefined;
      if (!l) {
        if (this.required) throw new DestinationUnlistable(bucket);
        return;
      }
      const used = this.stage;
      let yielded = 0;
      try {
        for await (const o of listObjects(l, bucket, prefix, "dest")) {
          yielded += 1;
          yield o;
        }
        return;
      } catch (err) {
        // A denial after some objects went out cannot be retried without repeating them: let it fail.
        if (yielded > 0 || !isAccessDenied(err)) throw err;
        this.next(bucket, used);
      }
    }
  }

  /** Moves past `used` (listings running in parallel may be denied together: move once). */
  private next(bucket: string, used: DestinationIdentity): void {
    if (used !== this.stage) return;
    if (this.stage === "role") {
      this.stage = this.owner ? "owner" : "none";
      if (this.owner) this.notice(`the provider's role may not list s3://${bucket} (s3:ListBucket): listing it with your own credentials instead`);
      else if (!this.required) this.notice(unlistable(bucket));
    } else if (this.stage === "owner") {
      this.stage = "none";
      if (!this.required) this.notice(unlistable(bucket));
    }
  }
}

const unlistable = (bucket: string): string =>
  `neither the provider's role nor your credentials may list s3://${bucket} (s3:ListBucket): every object is copied, also those already there, and a re-run copies them again; the manual's bucket policy grants the role s3:ListBucket`;
