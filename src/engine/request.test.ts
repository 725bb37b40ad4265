import { describe, expect, it } from "vitest";
import { AdaptiveConcurrency } from "./concurrency.js";
import type { EngineEvent } from "./events.js";
import { Requester } from "./request.js";

const slowDown = () => Object.assign(new Error("Please reduce your request rate."), { name: "SlowDown", $metadata: { httpStatusCode: 503 } });

function requester(adaptive?: AdaptiveConcurrency, events: EngineEvent[] = []) {
  return new Requester({
    concurrency: 3,
    adaptive,
    maxAttempts: 5,
    credentials: { refreshRejected: async () => false },
    emit: (e) => events.push(e),
    sleep: async () => undefined,
  });
}

describe("Requester with --concurrency auto", () => {
  it("announces the start, cuts the copy lane's limit on SlowDown and retries; listings are not counted", async () => {
    const events: EngineEvent[] = [];
    const adaptive = new AdaptiveConcurrency({ initial: 40, max: 100 }, (c) => events.push({ kind: "concurrency", ...c }));
    const r = requester(adaptive, events);
    let calls = 0;
    const out = await r.send("CopyObject", "k", "dest", async () => {
      calls += 1;
      if (calls === 1) throw slowDown();
      return "ok";
    });
    expect(out).toBe("ok");
    expect(events.filter((e) => e.kind === "concurrency")).toEqual([
      { kind: "concurrency", limit: 40, reason: "start" },
      { kind: "concurrency", limit: 32, reason: "backoff", code: "SlowDown" },
    ]);
    expect(r.concurrency()).toEqual({ mode: "auto", limit: 32, peak: 40, backoffs: 1 });
    await expect(r.send("ListObjectsV2", "p", "source", async () => Promise.reject(slowDown()))).rejects.toThrow();
    expect(r.concurrency().backoffs).toBe(1);
  });

  it("fixed: the limit never moves, and idle slots are what the limit leaves unused", async () => {
    const r = requester();
    expect(r.idleSlots).toBe(3);
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const inFlight = [1, 2].map(() => r.send("CopyObject", "k", "dest", () => gate));
    await Promise.resolve();
    await Promise.resolve();
    expect(r.idleSlots).toBe(1);
    release();
    await Promise.all(inFlight);
    expect(r.idleSlots).toBe(3);
    await expect(r.send("CopyObject", "k", "dest", async () => Promise.reject(slowDown()))).rejects.toThrow(/SlowDown/);
    expect(r.concurrency()).toEqual({ mode: "fixed", limit: 3, peak: 3, backoffs: 0 });
  });
});
