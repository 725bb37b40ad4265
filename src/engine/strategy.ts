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
//   - when the probe is denied, the run switches to CopyObject for the rest and says so once.
export const COPY_OBJECT_MAX = 5 * 1024 ** 3;

export type PartsPermission = "unknown" | "allowed" | "denied";

export type Plan = "single" | "multipart" | "probe" | "too-large";

export interface GateOptions {
  /** Objects this large or larger are worth parts (when parts work). */
  multipartThreshold: number;
  /**
   * Whether a probe's upload can be removed when parts are denied (the bucket owner's credentials are at
   * hand). When not, only objects that need parts (over 5 GiB) probe, so nothing is left for a mere speed-up.
   */
  canCleanUp: boolean;
  /** Known up front (e.g. `--multipart never`); default "unknown". */
  initial?: PartsPermission;
}

export class MultipartGate {
  private state: PartsPermission;
  private probing: Promise<void> | undefined;
  private release: (() => void) | undefined;
  /** The notice has been given (the switch to CopyObject is said once). */
  announced = false;

  constructor(private readonly opts: GateOptions) {
    this.state = opts.initial ?? "unknown";
  }

  get permission(): PartsPermission {
    return this.state;
  }

  /** The plan for one object of `size` bytes; waits while a probe is out for an object that needs parts. */
  async plan(size: number): Promise<Plan> {
    for (;;) {
      const needsParts = size > COPY_OBJECT_MAX;
      const wantsParts = needsParts || size >= this.opts.multipartThreshold;
      if (!wantsParts) return "single";
      if (this.state === "allowed") return "multipart";
      if (this.state === "denied") return needsParts ? "too-large" : "single";
      if (!needsParts && !this.opts.canCleanUp) return "single";
      if (this.probing === undefined) {
        this.probing = new Promise((r) => (this.release = r));
        return "probe";
      }
      await this.probing;
    }
  }

  /** The probe's outcome: "allowed"/"denied" settle the run; undefined (failed for another reason) lets the next object probe. */
  settle(outcome: "allowed" | "denied" | undefined): void {
    if (outcome !== undefined && this.state === "unknown") this.state = outcome;
    const release = this.release;
    this.probing = undefined;
    this.release = undefined;
    release?.();
  }
}
