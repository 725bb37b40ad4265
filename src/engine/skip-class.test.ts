// The skip decision and storage classes (issue 19): a destination object of another class with the same size and
// ETag is the same object; an archived destination object is never copied again over its class.
import { describe, expect, it } from "vitest";
import { compareDay } from "./compare.js";
import { decideCopy, REASONS } from "./skip.js";
import type { ObjInfo } from "./storage.js";

const MiB = 2 ** 20;
const opts = { force: false, multipartThreshold: 512 * MiB };
const src: ObjInfo = { key: "2021/05/31/20210531_1_001.pcap.gz", size: 10 * MiB, etag: '"abc"' };

describe("decideCopy with storage classes", () => {
  for (const storageClass of ["STANDARD", "GLACIER_IR", "STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE"]) {
    it(`skips a destination object in ${storageClass} with the same size and ETag`, () => {
      expect(decideCopy(src, { ...src, storageClass }, opts)).toEqual({ action: "skip", reason: REASONS.same });
    });
  }

  it("skips a multipart copy kept in DEEP_ARCHIVE by its recorded ETag, and by size without one", () => {
    const big: ObjInfo = { key: "2021/05/31/big.pcap.gz", size: 600 * MiB, etag: '"def"' };
    const dest: ObjInfo = { ...big, etag: '"0123-5"', storageClass: "DEEP_ARCHIVE" };
    expect(decideCopy(big, dest, { ...opts, recordedEtag: '"0123-5"', recordedSourceEtag: '"def"' }).action).toBe("skip");
    expect(decideCopy(big, dest, opts).action).toBe("skip");
  });

  it("still copies an archived destination object whose content differs (a replaced source), and with --force", () => {
    expect(decideCopy(src, { ...src, etag: '"other"', storageClass: "GLACIER" }, opts)).toEqual({ action: "copy", reason: REASONS.etagDiffers });
    expect(decideCopy(src, { ...src, size: 1, storageClass: "DEEP_ARCHIVE" }, opts).reason).toBe(REASONS.sizeDiffers);
    expect(decideCopy(src, { ...src, storageClass: "GLACIER" }, { ...opts, force: true }).action).toBe("copy");
  });

  it("verify calls a copy in another class ok", () => {
    const day = [src, { ...src, key: "2021/05/31/20210531_1_002.pcap.gz" }];
    const dest = day.map((o, i) => ({ ...o, storageClass: i === 0 ? "GLACIER_IR" : "DEEP_ARCHIVE" }));
    expect(compareDay(day, dest, { multipartThreshold: opts.multipartThreshold }).map((c) => c.status)).toEqual(["ok", "ok"]);
  });
});
