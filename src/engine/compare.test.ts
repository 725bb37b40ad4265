import { describe, it, expect } from "vitest";
import { compareDay } from "./compare.js";
import type { ObjInfo } from "./storage.js";

const GiB = 2 ** 30;
const day = "2021/05/31/";
const o = (name: string, size: number, etag?: string): ObjInfo => ({ key: day + name, size, ...(etag === undefined ? {} : { etag }) });
const opts = { multipartThreshold: 4 * GiB };

describe("compareDay", () => {
  it("reports every key once, in key order, with its status", () => {
    const src = [o("c.pcap.gz", 30, '"c"'), o("a.pcap.gz", 10, '"a"'), o("b.pcap.gz", 20, '"b"'), o("d.pcap.gz", 40, '"d"')];
    const dest = [o("a.pcap.gz", 10, "a"), o("b.pcap.gz", 21, '"b"'), o("d.pcap.gz", 40, '"x"'), o("e.pcap.gz", 1, '"e"')];
    expect(compareDay(src, dest, opts)).toEqual([
      { key: `${day}a.pcap.gz`, status: "ok" },
      { key: `${day}b.pcap.gz`, status: "size-mismatch" },
      { key: `${day}c.pcap.gz`, status: "missing" },
      { key: `${day}d.pcap.gz`, status: "etag-mismatch" },
      { key: `${day}e.pcap.gz`, status: "extra" },
    ]);
  });

  it("a multipart copy without a record is checked by size only", () => {
    const r = compareDay([o("big", 5 * GiB, '"src"')], [o("big", 5 * GiB, '"dst-10"')], opts);
    expect(r).toEqual([{ key: `${day}big`, status: "ok", note: "size only (multipart)" }]);
  });

  it("a multipart copy of a single-part source below the threshold is still size only", () => {
    const r = compareDay([o("f", 100, '"src"')], [o("f", 100, '"dst-2"')], opts);
    expect(r[0]).toMatchObject({ status: "ok", note: "size only (multipart)" });
  });

  it("a multipart copy is checked against the recorded etag", () => {
    const recorded = new Map([[`${day}big`, '"dst-10"']]);
    expect(compareDay([o("big", 5 * GiB, '"src"')], [o("big", 5 * GiB, '"dst-10"')], { ...opts, recorded })[0]).toEqual({
      key: `${day}big`,
      status: "ok",
      note: "matches the etag recorded when it was copied",
    });
    expect(compareDay([o("big", 5 * GiB, '"src"')], [o("big", 5 * GiB, '"other-10"')], { ...opts, recorded })[0]).toMatchObject({
      status: "etag-mismatch",
      note: "differs from the etag recorded when it was copied",
    });
  });

  it("a wrong size is reported even for multipart copies", () => {
    expect(compareDay([o("big", 5 * GiB, '"src"')], [o("big", 5 * GiB - 1, '"dst-10"')], opts)[0]?.status).toBe("size-mismatch");
  });

  it("an empty source makes every destination key extra", () => {
    expect(compareDay([], [o("a", 1, '"a"')], opts)).toEqual([{ key: `${day}a`, status: "extra" }]);
  });

  it("a missing destination etag falls back to size", () => {
    expect(compareDay([o("a", 1, '"a"')], [o("a", 1)], opts)[0]).toEqual({ key: `${day}a`, status: "ok", note: "size only (etag unknown)" });
  });
});
