import { describe, expect, it } from "vitest";
import { AdaptiveConcurrency } from "./concurrency.js";
import type { EngineEvent } from "./events.js";
import { EndpointGone, Requester } from "./request.js";

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
      { kind: "concurrency", limit: 34, reason: "backoff", code: "SlowDown" },
    ]);
    expect(r.concurrency()).toEqual({ mode: "auto", limit: 34, peak: 40, backoffs: 1 });
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

const expired = () => Object.assign(new Error("The provided token has expired."), { name: "ExpiredToken", $metadata: { httpStatusCode: 400 } });

describe("Requester: retries and credential refresh", () => {
  function fixture(maxAttempts: number, refreshes: boolean) {
    const events: EngineEvent[] = [];
    const refreshed: (string | undefined)[] = [];
    const credentials = {
      currentKeyId: "ASIA-1",
      refreshRejected: async (keyId: string | undefined) => {
        refreshed.push(keyId);
        return refreshes;
      },
    };
    const r = new Requester({ concurrency: 2, maxAttempts, credentials, emit: (e) => events.push(e), sleep: async () => undefined });
    return { r, events, refreshed };
  }

  /** A request that fails with `errors` in turn, then answers "ok". */
  const failing = (...errors: (() => Error)[]) => {
    let calls = 0;
    const fn = async () => {
      const e = errors[calls];
      calls += 1;
      if (e) throw e();
      return "ok";
    };
    return { fn, calls: () => calls };
  };

  it("a refresh does not count as an attempt: an expired token is replaced and the request sent again, even with one attempt", async () => {
    const { r, events, refreshed } = fixture(1, true);
    const f = failing(expired, expired);
    expect(await r.send("CopyObject", "k", "dest", f.fn)).toBe("ok");
    expect(f.calls()).toBe(3);
    expect(refreshed).toEqual(["ASIA-1", "ASIA-1"]);
    expect(r.retries).toBe(0);
    expect(events.filter((e) => e.kind === "retry")).toEqual([]);
  });

  it("token errors past three refreshes fail the request; credentials that cannot be refreshed fail it at once", async () => {
    const always = fixture(5, true);
    const f = failing(expired, expired, expired, expired, expired);
    await expect(always.r.send("CopyObject", "k", "dest", f.fn)).rejects.toMatchObject({ name: "RequestError", op: "CopyObject", classified: { code: "ExpiredToken" } });
    expect(f.calls()).toBe(4);
    expect(always.refreshed).toHaveLength(3);

    const fixed = fixture(5, false);
    const g = failing(expired);
    await expect(fixed.r.send("CopyObject", "k", "dest", g.fn)).rejects.toMatchObject({ classified: { code: "ExpiredToken" } });
    expect(g.calls()).toBe(1);
  });

  it("retries count: each is an event with its attempt, summed on the requester; the last attempt's error is final", async () => {
    const { r, events } = fixture(3, false);
    const f = failing(slowDown, slowDown);
    expect(await r.send("UploadPartCopy", "k", "dest", f.fn)).toBe("ok");
    expect(r.retries).toBe(2);
    expect(events.filter((e) => e.kind === "retry").map((e) => (e.kind === "retry" ? [e.op, e.code, e.attempt] : []))).toEqual([
      ["UploadPartCopy", "SlowDown", 1],
      ["UploadPartCopy", "SlowDown", 2],
    ]);

    const g = failing(slowDown, slowDown, slowDown);
    await expect(r.send("CopyObject", "k", "dest", g.fn)).rejects.toMatchObject({ classified: { code: "SlowDown" } });
    expect(g.calls()).toBe(3);
    expect(r.retries).toBe(4);
  });

  it("a refresh between retries leaves the attempt count alone", async () => {
    // Three attempts: SlowDown (1), a refresh (still 2), SlowDown (2), then the third attempt answers.
    const { r } = fixture(3, true);
    const f = failing(slowDown, expired, slowDown);
    expect(await r.send("CopyObject", "k", "dest", f.fn)).toBe("ok");
    expect(f.calls()).toBe(4);
    expect(r.retries).toBe(2);
  });

  it("does not retry once the run is interrupted, and lets Interrupted through uncounted", async () => {
    const ac = new AbortController();
    const r = new Requester({ concurrency: 1, maxAttempts: 5, credentials: { refreshRejected: async () => false }, emit: () => undefined, signal: ac.signal, sleep: async () => undefined });
    ac.abort();
    const f = failing(slowDown);
    await expect(r.send("CopyObject", "k", "dest", f.fn)).rejects.toMatchObject({ classified: { code: "SlowDown" } });
    expect(f.calls()).toBe(1);
    const interrupted = Object.assign(new Error("interrupted"), { name: "Interrupted" });
    await expect(r.send("CopyObject", "k", "dest", async () => Promise.reject(interrupted))).rejects.toBe(interrupted);
    expect(r.retries).toBe(0);
  });
});

describe("sleeper", () => {
  it("lets many retries wait on one signal without a MaxListenersExceededWarning, and wakes them all on abort", async () => {
    const { sleeper } = await import("./request.js");
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const ac = new AbortController();
      const sleep = sleeper(ac.signal);
      const started = Date.now();
      const all = Promise.all(Array.from({ length: 50 }, () => sleep(60_000)));
      ac.abort();
      await all;
      expect(Date.now() - started).toBeLessThan(5_000);
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
      await sleep(60_000); // after the abort: returns at once
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("sleeps the given time when nothing aborts", async () => {
    const { sleeper } = await import("./request.js");
    const t = Date.now();
    await sleeper(new AbortController().signal)(30);
    expect(Date.now() - t).toBeGreaterThanOrEqual(25);
  });
});

describe("Requester with --give-up-after (EndpointGone)", () => {
  const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
  function clocked(limitMs: number) {
    let t = 0;
    const gone: EndpointGone[] = [];
    const r = new Requester({
      concurrency: 3,
      maxAttempts: 100,
      credentials: { refreshRejected: async () => false },
      emit: () => undefined,
      // each backoff advances the clock by a second
      sleep: async () => void (t += 1000),
      now: () => t,
      giveUpAfterMs: limitMs,
      onGone: (g) => gone.push(g),
    });
    return { r, gone, advance: (ms: number) => (t += ms) };
  }

  it("network errors with no success for the limit: EndpointGone, told once, and every later request throws it unsent", async () => {
    const { r, gone } = clocked(5000);
    let calls = 0;
    const err = await r.send("ListObjectsV2", "p", "source", async () => {
      calls += 1;
      throw refused();
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointGone);
    expect((err as EndpointGone).message).toMatch(/^no request has succeeded for 5 s \(the last ListObjectsV2 failed with ECONNREFUSED\)/);
    expect(calls).toBe(6); // t = 0..5 s: one attempt per second of backoff
    expect(gone).toHaveLength(1);
    let sent = false;
    await expect(r.send("CopyObject", "k", "dest", async () => void (sent = true))).rejects.toBeInstanceOf(EndpointGone);
    expect(sent).toBe(false);
    expect(gone).toHaveLength(1);
  });

  it("a success in between starts the count again", async () => {
    const { r, advance } = clocked(5000);
    let calls = 0;
    await r.send("CopyObject", "k", "dest", async () => {
      calls += 1;
      if (calls <= 4) throw refused();
      return "ok";
    });
    advance(60_000);
    calls = 0;
    await expect(
      r.send("CopyObject", "k", "dest", async () => {
        calls += 1;
        if (calls <= 4) throw refused();
        return "ok";
      }),
    ).resolves.toBe("ok");
    expect(r.gone).toBeUndefined();
  });

  it("push-back (SlowDown) and answers such as AccessDenied are not the endpoint failing", async () => {
    const { r } = clocked(2000);
    let calls = 0;
    await expect(
      r.send("CopyObject", "k", "dest", async () => {
        calls += 1;
        if (calls <= 10) throw slowDown();
        return "ok";
      }),
    ).resolves.toBe("ok");
    expect(r.gone).toBeUndefined();
  });
});
