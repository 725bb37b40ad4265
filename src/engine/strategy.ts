// How each object is copied, and what the run has learnt about multipart permission.
//
// The manual's bucket policy allows the provider's role s3:PutObject only with s3:x-amz-acl =
// bucket-owner-full-control. CopyObject and CreateMultipartUpload carry that header; UploadPartCopy and
// CompleteMultipartUpload cannot, so under that policy multipart copies are denied after the upload was
// created (aws/aws-cli#1674). Hence:
//   - objects up to 5 GiB (CopyObject's limit) are copied with one CopyObject unless parts are known to work;
//   - whether parts work is learnt at most once per run, from the first multipart attempt (the probe): its
//     first UploadPartCopy answers it. Meanwhile other objects that want parts wait (one part's time), unless a
//     denied probe's upload could not be removed, in which case only objects over 5 GiB probe at all;
//   - when the probe is denied, the run switches to CopyObject for the rest and says so once;
//   - where the bucket owner's credentials may read the bucket policy, the answer is read from it before the
//     run (evaluated offline, as doctor does): "unlikely" (the policy denies parts) copies up to 5 GiB with
//     CopyObject and creates no upload, but still tries the objects that cannot be copied otherwise (over
//     5 GiB), since an offline evaluation is not the last word; "allowed" uses parts until S3 says otherwise.
export const COPY_OBJECT_MAX = 5 * 1024 ** 3;

/** "unlikely": the bucket policy, read before the run, denies parts (not yet seen from S3). */
export type PartsPermission = "unknown" | "allowed" | "denied" | "unlikely";

export type Plan = "single" | "multipart" | "probe" | "too-large";

export interface GateOptions {
  /** Objects this large or larger are worth parts (when parts work). */
  multipartThreshold: number;
  /**
   * Whether a probe's upload can be removed when parts are denied (the bucket owner's credentials are at
   * hand). When not, only objects that need parts (over 5 GiB) probe, so nothing is left for a mere speed-up.
   */
  canCleanUp: boolean;
  /** Known up front (from the bucket policy); default "unknown". */
  initial?: PartsPermission;
}

export class MultipartGate {
  private state: PartsPermission;
  private probing: Promise<void> | undefined;
  private release: (() => void) | undefined;
  /** The bucket policy being read (see `presetFrom`). */
  private reading: Promise<void> | undefined;
  /** The notice has been given (the switch to CopyObject is said once). */
  announced = false;

  private canCleanUp: boolean;

  constructor(private readonly opts: GateOptions) {
    this.state = opts.initial ?? "unknown";
    this.canCleanUp = opts.canCleanUp;
  }

  /** A denied probe's upload could not be removed after all (the owner's credentials are refused S3). */
  withoutCleanUp(): void {
    this.canCleanUp = false;
  }

  get permission(): PartsPermission {
    return this.state;
  }

  /** Why the bucket policy, read before the run, denies parts (its evaluation's reason), if it does. */
  policyReason: string | undefined;

  /** What the bucket policy, read before the run, says (only while nothing has been learnt from S3). */
  preset(p: "allowed" | "unlikely", reason?: string): void {
    if (this.state === "unknown" && this.probing === undefined) {
      this.state = p;
      if (p === "unlikely") this.policyReason = reason;
    }
  }

  /**
   * The bucket policy's answer is on its way (read while the listing starts, rather than before it): objects
   * that want parts wait for it, the others need not. `apply` calls `preset`/`withoutCleanUp` itself.
   */
  presetFrom(apply: Promise<unknown>): Promise<void> {
    const reading = apply.then(
      () => undefined,
      () => undefined,
    );
    this.reading = reading.then(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  /** S3 denied a part where parts were thought allowed: CopyObject from now on. */
  deny(): void {
    this.state = "denied";
  }

  /**
   * The plan for one object of `size` bytes; waits while a probe is out for an object that needs parts.
   * `tail`: one of the run's last objects with slots idle, which parts would also help.
   */
  async plan(size: number, tail = false): Promise<Plan> {
    for (;;) {
      const needsParts = size > COPY_OBJECT_MAX;
      const wantsParts = needsParts || size >= this.opts.multipartThreshold || tail;
      if (!wantsParts) return "single";
      if (this.reading) {
        await this.reading;
        continue;
      }
      if (this.state === "allowed") return "multipart";
      if (this.state === "denied") return needsParts ? "too-large" : "single";
      if (!needsParts && (!this.canCleanUp || this.state === "unlikely")) return "single";
      if (this.probing === undefined) {
        this.probing = new Promise((r) => (this.release = r));
        return "probe";
      }
      await this.probing;
    }
  }

  /** The probe's outcome: "allowed"/"denied" settle the run; undefined (failed for another reason) lets the next object probe. */
  settle(outcome: "allowed" | "denied" | undefined): void {
    if (outcome !== undefined && (this.state === "unknown" || this.state === "unlikely")) this.state = outcome;
    const release = this.release;
    this.probing = undefined;
    this.release = undefined;
    release?.();
  }
}

/** Below this an object is not worth splitting even when slots are idle (three extra requests). */
export const TAIL_MIN_SIZE = 32 * 1024 ** 2;
const MiB = 1024 ** 2;

/**
 * The tail of a run: when copy slots are idle — fewer objects left than slots — an object that would be one
 * long request is split so the idle slots share it (where parts work: MultipartGate decides). Returns the
 * part size to prefer (whole MiB, at least 5 MiB, about one part per idle slot plus this object's own), or
 * undefined when splitting would not help.
 */
export function tailPartSize(size: number, idleSlots: number): number | undefined {
  if (size < TAIL_MIN_SIZE || idleSlots < 1) return undefined;
  const parts = Math.min(idleSlots + 1, Math.floor(size / (5 * MiB)));
  if (parts < 2) return undefined;
  return Math.max(5 * MiB, Math.ceil(size / parts / MiB) * MiB);
}
