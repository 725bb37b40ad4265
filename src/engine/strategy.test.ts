import { describe, expect, it } from "vitest";
import { COPY_OBJECT_MAX, MultipartGate } from "./strategy.js";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const gate = (canCleanUp = true) => new MultipartGate({ multipartThreshold: 512 * MiB, canCleanUp });

describe("MultipartGate", () => {
  it("small objects are always one CopyObject", async () => {
    expect(await gate().plan(100 * MiB)).toBe("single");
  });

  it("the first large object probes; other large ones wait for its answer", async () => {
    const g = gate();
    expect(await g.plan(GiB)).toBe("probe");
    const a = g.plan(2 * GiB);
    const b = g.plan(COPY_OBJECT_MAX);
    g.settle("allowed");
    expect(await a).toBe("multipart");
    expect(await b).toBe("multipart");
  });

  it("an object over 5 GiB waits for the probe and follows its outcome", async () => {
    const g = gate();
    expect(await g.plan(GiB)).toBe("probe");
    const waiting = g.plan(6 * GiB);
    let settled = false;
    void waiting.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    g.settle("denied");
    expect(await waiting).toBe("too-large");
    expect(await g.plan(GiB)).toBe("single");
    expect(g.permission).toBe("denied");
  });

  it("allowed: large objects use parts from then on", async () => {
    const g = gate();
    expect(await g.plan(GiB)).toBe("probe");
    g.settle("allowed");
    expect(await g.plan(GiB)).toBe("multipart");
    expect(await g.plan(6 * GiB)).toBe("multipart");
    expect(await g.plan(MiB)).toBe("single");
  });

  it("a probe that failed for another reason lets the next large object probe", async () => {
    const g = gate();
    expect(await g.plan(GiB)).toBe("probe");
    const waiting = g.plan(6 * GiB);
    g.settle(undefined);
    expect(await waiting).toBe("probe");
    expect(g.permission).toBe("unknown");
  });

  it("without a way to remove a denied probe's upload, only objects that need parts probe", async () => {
    const g = gate(false);
    expect(await g.plan(2 * GiB)).toBe("single");
    expect(await g.plan(6 * GiB)).toBe("probe");
  });

  it("a known permission is used without probing", async () => {
    expect(await new MultipartGate({ multipartThreshold: 512 * MiB, canCleanUp: true, initial: "denied" }).plan(6 * GiB)).toBe("too-large");
    expect(await new MultipartGate({ multipartThreshold: 512 * MiB, canCleanUp: true, initial: "allowed" }).plan(GiB)).toBe("multipart");
  });
});
