import { describe, expect, it } from "vitest";
import { AdaptiveConcurrency, isCongestion, type AdaptiveOptions, type ConcurrencyChange } from "./concurrency.js";

/** A controller on a fake clock: `clock.now` moves only when a test says so. */
function controller(opts: Partial<AdaptiveOptions> & { max: number }) {
  const clock = { now: 0 };
  return { c: new AdaptiveConcurrency({ ...opts, now: () => clock.now }), clock };
}

/**
 * One round trip of `rttMs`: `limit` requests start together; those above `capacity` are refused with
 * SlowDown, which comes back at once (S3 refuses before doing any work), the others succeed after `rttMs`.
 */
function round(c: AdaptiveConcurrency, clock: { now: number }, capacity: number, rttMs = 150, queued = true): { ok: number; refused: number } {
  const n = c.limit;
  const tickets = Array.from({ length: n }, () => c.start());
  const ok = Math.min(n, capacity);
  for (const t of tickets.slice(ok)) c.failure(t, { code: "SlowDown", status: 503 });
  clock.now += rttMs;
  for (const t of tickets.slice(0, ok)) c.success(t, queued);
  return { ok, refused: n - ok };
}

/** Runs `seconds` of round trips against a fixed capacity after a ramp-up; what share of it was used. */
function steady(capacity: number, rttMs: number, seconds = 600) {
  const { c, clock } = controller({ max: 512 });
  const rounds = Math.round((seconds * 1000) / rttMs);
  for (let i = 0; i < rounds / 10; i++) round(c, clock, capacity, rttMs);
  let ok = 0;
  let refused = 0;
  for (let i = 0; i < rounds; i++) {
    const r = round(c, clock, capacity, rttMs);
    ok += r.ok;
    refused += r.refused;
  }
  return { used: ok / rounds / capacity, refusedShare: refused / (ok + refused), c };
}

describe("AdaptiveConcurrency", () => {
  it("slow start: doubles per round trip while requests queue, up to max and never above", () => {
    const { c, clock } = controller({ initial: 8, max: 100 });
    const seen = [c.limit];
    for (let i = 0; i < 6; i++) {
      round(c, clock, Infinity);
      seen.push(c.limit);
    }
    expect(seen).toEqual([8, 16, 32, 64, 100, 100, 100]);
    expect(c.peak).toBe(100);
  });

  it("does not grow when nothing waits for a slot (the limit is not what holds the run back)", () => {
    const { c, clock } = controller({ initial: 8, max: 100 });
    for (let i = 0; i < 5; i++) round(c, clock, Infinity, 150, false);
    expect(c.limit).toBe(8);
  });

  it("backs off on SlowDown once per round trip, climbs back fast, stays just below where S3 pushed back, then probes beyond", () => {
    const { c, clock } = controller({ initial: 50, max: 256 });
    const r = round(c, clock, 40, 150); // 10 refused in one round trip: one cut, not ten
    expect(r.refused).toBe(10);
    expect(c.backoffs).toBe(1);
    // cut to 0.85 × 50 = 42.5; W_max = 50, K = ∛(7.5 / 0.4) ≈ 2.66 s
    const at = (s: number) => {
      while (clock.now < s * 1000) round(c, clock, Infinity, 150);
      return c.limit;
    };
    expect(at(1)).toBeGreaterThanOrEqual(47); // concave: most of the way back within a second
    const plateau = [at(2), at(2.5), at(3), at(3.5)];
    for (const w of plateau) expect(w).toBeGreaterThanOrEqual(49);
    for (const w of plateau) expect(w).toBeLessThanOrEqual(50); // no more than W_max for ~1.5 s
    expect(at(6)).toBeGreaterThan(60); // convex: probes beyond once the plateau held
    expect(c.backoffs).toBe(1);
  });

  it("under a fixed capacity: uses >= 95 % of it with SlowDown on <= 2 % of requests, for 50 ms to 5 s round trips", () => {
    for (const rttMs of [50, 150, 1000, 5000]) {
      for (const capacity of [24, 48, 200, 384]) {
        const s = steady(capacity, rttMs, rttMs >= 1000 ? 1500 : 300);
        expect(s.used, `rtt ${rttMs} capacity ${capacity}`).toBeGreaterThanOrEqual(0.95);
        expect(s.refusedShare, `rtt ${rttMs} capacity ${capacity}`).toBeLessThanOrEqual(0.02);
        expect(s.c.limit).toBeLessThanOrEqual(Math.ceil(capacity * 1.05) + 1);
      }
    }
  });

  it("with 5 s copies, grows per round trip, not per second: no overshoot by many requests", () => {
    const { c, clock } = controller({ initial: 100, max: 512 });
    round(c, clock, 90, 5000); // cut to 85, W_max 100
    const before = c.limit;
    round(c, clock, Infinity, 5000);
    // one 5 s round trip after the cut: a per-second curve would be at W_max + 0.4·(5 − 3.3)³ ≈ 102 already
    expect(c.limit - before).toBeLessThan(10);
    expect(c.limit).toBeLessThan(100);
  });

  it("recovers when the push-back goes away (S3 scaled the prefix): from 20 to 128 within 15 s", () => {
    const { c, clock } = controller({ max: 128 });
    for (let i = 0; i < 100; i++) round(c, clock, 20);
    expect(c.limit).toBeLessThanOrEqual(21);
    const from = clock.now;
    while (c.limit < 128 && clock.now - from < 60_000) round(c, clock, Infinity);
    expect(c.limit).toBe(128);
    expect(clock.now - from).toBeLessThan(15_000);
  });

  it("follows a capacity that shrinks: below the new one within a few round trips", () => {
    const { c, clock } = controller({ max: 512 });
    for (let i = 0; i < 200; i++) round(c, clock, 300);
    let rounds = 0;
    while (c.limit > 100 && rounds < 100) {
      round(c, clock, 100);
      rounds += 1;
    }
    expect(c.limit).toBeLessThanOrEqual(100);
    expect(rounds).toBeLessThanOrEqual(8); // 0.85 per round trip: 300 → 100 in 7
  });

  it("timeouts and resets are congestion; access and internal errors are not", () => {
    for (const code of ["SlowDown", "RequestTimeout", "TimeoutError", "ECONNRESET", "ETIMEDOUT", "Throttling"]) expect(isCongestion({ code })).toBe(true);
    expect(isCongestion({ code: "HTTP 503", status: 503 })).toBe(true);
    for (const code of ["AccessDenied", "InternalError", "NoSuchKey", "ExpiredToken"]) expect(isCongestion({ code, status: code === "InternalError" ? 500 : 403 })).toBe(false);
    const c = new AdaptiveConcurrency({ initial: 40, max: 64 });
    expect(c.failure(c.start(), { code: "InternalError", status: 500 })).toBe(false);
    expect(c.limit).toBe(40);
  });

  it("never below min, even after many cuts", () => {
    const c = new AdaptiveConcurrency({ initial: 10, max: 64, min: 4 });
    for (let i = 0; i < 20; i++) c.failure(c.start(), { code: "SlowDown", status: 503 });
    expect(c.limit).toBe(4);
  });

  it("reports every cut at once, increases at most once per interval (fake clock) and reaching max", () => {
    let now = 0;
    const seen: ConcurrencyChange[] = [];
    const c = new AdaptiveConcurrency({ initial: 10, max: 40, reportEveryMs: 1000, now: () => now }, (x) => seen.push(x));
    for (let i = 0; i < 5; i++) c.success(c.start(), true); // 11..15 within the same instant: one report
    expect(seen).toEqual([{ limit: 11, reason: "increase" }]);
    now = 1500;
    c.success(c.start(), true);
    expect(seen.at(-1)).toEqual({ limit: 16, reason: "increase" });
    c.failure(c.start(), { code: "SlowDown", status: 503 });
    expect(seen.at(-1)).toEqual({ limit: 13, reason: "backoff", code: "SlowDown" }); // ⌊16 × 0.85⌋
    for (let i = 0; i < 2000; i++) {
      now += 10;
      c.success(c.start(), true);
    }
    expect(seen.at(-1)).toEqual({ limit: 40, reason: "increase" });
  });
});
