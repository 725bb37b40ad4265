import { readFileSync } from "node:fs";
import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { summaryOf, type RunResult } from "./harness.js";

export const SRC = "dataservice-flex-bucket";

/** Incomplete uploads left in the destination, listed by its owner (who sees every upload). */
export async function uploadsLeft(e: Emulator): Promise<string[]> {
  const s3 = new S3Client({ region: e.region, endpoint: e.endpoint, forcePathStyle: true, credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey } });
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: e.destBuckets[0]! }));
  s3.destroy();
  return (out.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
}

/** Keys of `prefix` in the destination that match the source by size. */
export function arrived(e: Emulator, prefix: string): string[] {
  const src = new Map(e.objects(SRC).filter((o) => o.key.startsWith(prefix)).map((o) => [o.key, o.size]));
  return e.objects(e.destBuckets[0]!).filter((o) => src.get(o.key) === o.size).map((o) => o.key);
}

/**
 * After a fault: the summary (--json) and the --report say what the bucket holds (copied + skipped =
 * what arrived), the exit code follows (0 only when nothing failed and nothing is missing), and no
 * incomplete upload is left.
 */
export async function expectAgreement(e: Emulator, r: RunResult, prefix: string, report?: string): Promise<void> {
  const s = summaryOf(r);
  const total = e.objects(SRC).filter((o) => o.key.startsWith(prefix)).length;
  const got = arrived(e, prefix).length;
  expect(s.copied + s.skipped, "summary copied+skipped = objects in the bucket").toBe(got);
  if (r.code === 0) expect(got, "exit 0 only with everything there").toBe(total);
  else expect(got < total || s.failed > 0 || s.interrupted, `exit ${r.code} over a complete copy`).toBe(true);
  if (report) {
    const rep = JSON.parse(readFileSync(report, "utf8")) as { summary?: { copied: number; skipped: number; failed: number } };
    expect(rep.summary?.copied, "report copied").toBe(s.copied);
    expect(rep.summary?.failed, "report failed").toBe(s.failed);
  }
  expect(await uploadsLeft(e), "uploads left").toEqual([]);
}
