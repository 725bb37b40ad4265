import { describe, it, expect } from "vitest";
import { bareEtag, decideCopy, isMultipartEtag } from "./skip.js";
import type { ObjInfo } from "./storage.js";

const GiB = 2 ** 30;
const threshold = 4 * GiB;
const obj = (size: number, etag?: string): ObjInfo => ({ key: "2021/05/31/20210531_1_001.pcap.gz", size, ...(etag === undefined ? {} : { etag }) });

describe("decideCopy", () => {
  const table: [string, ObjInfo, ObjInfo | undefined, { force?: boolean; recordedEtag?: string; recordedSourceEtag?: string }, "copy" | "skip", string][] = [
    ["destination missing", obj(10, '"a"'), undefined, {}, "copy", "missing"],
    ["missing wins over force", obj(10, '"a"'), undefined, { force: true }, "copy", "missing"],
    ["forced even when identical", obj(10, '"a"'), obj(10, '"a"'), { force: true }, "copy", "forced"],
    ["size differs", obj(10, '"a"'), obj(11, '"a"'), {}, "copy", "size differs"],
    ["size differs beats a recorded etag", obj(10, '"a"'), obj(11, '"r-2"'), { recordedEtag: "r-2" }, "copy", "size differs"],
    ["same size and etag", obj(10, '"abc"'), obj(10, '"abc"'), {}, "skip", "same size and etag"],
    ["etags compared without quotes", obj(10, '"abc"'), obj(10, "abc"), {}, "skip", "same size and etag"],
    ["etag differs on a single-part copy", obj(10, '"abc"'), obj(10, '"abd"'), {}, "copy", "etag differs"],
    ["multipart dest of a single-part source", obj(10, '"abc"'), obj(10, '"def-3"'), {}, "skip", "same size (multipart copy: etag not comparable)"],
    ["large source, multipart on both sides", obj(5 * GiB, '"src-40"'), obj(5 * GiB, '"dst-10"'), {}, "skip", "same size (multipart copy: etag not comparable)"],
    ["at the threshold exactly", obj(threshold, '"src"'), obj(threshold, '"dst-8"'), {}, "skip", "same size (multipart copy: etag not comparable)"],
    ["small multipart source vs other multipart dest", obj(10, '"src-2"'), obj(10, '"dst-3"'), {}, "copy", "etag differs"],
    ["matches the etag recorded when it was copied", obj(5 * GiB, '"src-40"'), obj(5 * GiB, '"rec-10"'), { recordedEtag: '"rec-10"' }, "skip", "matches the etag recorded when it was copied"],
    ["recorded etag without quotes", obj(10, '"abc"'), obj(10, '"rec-2"'), { recordedEtag: "rec-2" }, "skip", "matches the etag recorded when it was copied"],
    ["dest replaced since the recorded copy", obj(5 * GiB, '"src-40"'), obj(5 * GiB, '"other-10"'), { recordedEtag: "rec-10" }, "copy", "etag differs"],
    ["the source replaced since the recorded copy", obj(10, '"new"'), obj(10, '"kms-etag"'), { recordedEtag: "kms-etag", recordedSourceEtag: '"old"' }, "copy", "the source changed since it was copied"],
    ["recorded copy of this very source", obj(10, '"old"'), obj(10, '"kms-etag"'), { recordedEtag: "kms-etag", recordedSourceEtag: "old" }, "skip", "matches the etag recorded when it was copied"],
    ["same etag wins over a stale record", obj(10, '"abc"'), obj(10, '"abc"'), { recordedEtag: "old-2" }, "skip", "same size and etag"],
    ["no etag on the destination", obj(10, '"abc"'), obj(10), {}, "skip", "same size (etag unknown)"],
  ];

  it.each(table)("%s", (_label, src, dest, o, action, reason) => {
    const recorded = { ...(o.recordedEtag ? { recordedEtag: o.recordedEtag } : {}), ...(o.recordedSourceEtag ? { recordedSourceEtag: o.recordedSourceEtag } : {}) };
    expect(decideCopy(src, dest, { force: o.force ?? false, multipartThreshold: threshold, ...recorded })).toEqual({
      action,
      reason,
    });
  });
});

describe("etag helpers", () => {
  it.each([
    ['"abc"', "abc"],
    ["abc", "abc"],
    [' "abc-2" ', "abc-2"],
    ['W/"abc"', "abc"],
  ])("bareEtag(%j) = %j", (e, bare) => {
    expect(bareEtag(e)).toBe(bare);
  });
  it.each([
    ['"d41d8cd98f00b204e9800998ecf8427e-12"', true],
    ["abc-1", true],
    ['"d41d8cd98f00b204e9800998ecf8427e"', false],
    ["abc-", false],
    [undefined, false],
  ])("isMultipartEtag(%j) = %s", (e, yes) => {
    expect(isMultipartEtag(e)).toBe(yes);
  });
});
