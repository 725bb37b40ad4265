import { describe, expect, it } from "vitest";
import { COPY_OBJECT_MAX, MultipartGate, TAIL_MIN_SIZE, tailPartSize } from "./strategy.js";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const gate = (canCleanUp = true) => new MultipartGate({ multipartThreshold: 512 * MiB, canCleanUp });

describe("MultipartGate", () => {
  it("small objects are always one CopyObject", async () => {
    expect(await gate().plan(100 * MiB)).toBe("single");
  });

  it("while the bucket policy is being read: small objects go at once, those that want parts wait for its answer", async () => {
    const g = gate();
    let answer!: () => void;
    const read = new Promise<void>((r) => (answer = r)).then(() => g.preset("allowed"));
    const done = g.presetFrom(read);
    expect(await g.plan(100 * MiB)).toBe("single"); // not held up by the read
    let planned: string | undefined;
    const large = g.plan(GiB).then((p) => (planned = p));
    const tail = g.plan(100 * MiB, true);
    await new Promise((r) => setImmediate(r));
    expect(planned).toBeUndefined(); // no probe starts before the policy says
    answer();
    await done;
    expect(await large).toBe("multipart");
    expect(await tail).toBe("multipart");
  });

  it("a failed policy read leaves the gate as it was: the first large object probes", async () => {
    const g = gate();
    await g.presetFrom(Promise.reject(new Error("AccessDenied")));
    expect(await g.plan(GiB)).toBe("probe");
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

  it("read from the bucket policy: 'unlikely' copies up to 5 GiB whole and still tries what needs parts", async () => {
    const g = gate();
    g.preset("unlikely");
    expect(await g.plan(2 * GiB)).toBe("single");
    expect(await g.plan(100 * MiB, true)).toBe("single");
    expect(await g.plan(6 * GiB)).toBe("probe");
    g.settle("allowed"); // S3 said otherwise: S3 wins
    expect(await g.plan(2 * GiB)).toBe("multipart");
  });

  it("'allowed' from the policy until S3 denies a part", async () => {
    const g = gate();
    g.preset("allowed");
    expect(await g.plan(GiB)).toBe("multipart");
    g.deny();
    expect(await g.plan(GiB)).toBe("single");
    expect(await g.plan(6 * GiB)).toBe("too-large");
    g.preset("allowed"); // a preset never overrides what S3 said
    expect(g.permission).toBe("denied");
  });

  it("once the owner's credentials are known to be refused, only objects that need parts probe", async () => {
    const g = gate();
    g.withoutCleanUp();
    expect(await g.plan(2 * GiB)).toBe("single");
    expect(await g.plan(6 * GiB)).toBe("probe");
  });

  it("a known permission is used without probing", async () => {
    expect(await new MultipartGate({ multipartThreshold: 512 * MiB, canCleanUp: true, initial: "denied" }).plan(6 * GiB)).toBe("too-large");
    expect(await new MultipartGate({ multipartThreshold: 512 * MiB, canCleanUp: true, initial: "allowed" }).plan(GiB)).toBe("multipart");
  });
});

describe("tailPartSize (idle slots share a large object at the end of a run)", () => {
  it("only objects worth it, only with idle slots", () => {
    expect(tailPartSize(TAIL_MIN_SIZE - 1, 8)).toBeUndefined();
    expect(tailPartSize(400 * MiB, 0)).toBeUndefined();
  });
  it("about one part per idle slot plus its own, in whole MiB, at least 5 MiB", () => {
    expect(tailPartSize(400 * MiB, 7)).toBe(50 * MiB);
    expect(tailPartSize(400 * MiB, 1)).toBe(200 * MiB);
    expect(tailPartSize(40 * MiB, 100)).toBe(5 * MiB); // never below S3's 5 MiB minimum
    const p = tailPartSize(1000 * MiB + 3, 2)!;
    expect(p % MiB).toBe(0);
    expect(Math.ceil((1000 * MiB + 3) / p)).toBe(3);
  });
  it("a tail object probes where parts are unknown, and is whole where they are denied", async () => {
    const g = gate();
    expect(await g.plan(100 * MiB, true)).toBe("probe");
    g.settle("denied");
    expect(await g.plan(100 * MiB, true)).toBe("single");
    const h = gate();
    h.settle(undefined);
    expect(await gate(false).plan(100 * MiB, true)).toBe("single"); // no way to remove a denied probe's upload
  });
});
