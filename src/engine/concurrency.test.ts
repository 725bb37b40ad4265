import { describe, expect, it } from "vitest";
import { AdaptiveConcurrency, isCongestion, type ConcurrencyChange } from "./concurrency.js";

/**
 * One round trip: `limit` requests start together; those above `capacity` are refused with SlowDown,
 * which comes back first (S3 refuses before doing any work), then the others succeed.
 */
function round(c: AdaptiveConcurrency, capacity: number, queued = true): { ok: number; refused: number } {
  const n = c.limit;
  const tokens = Array.from({ length: n }, () => c.start());
  const ok = Math.min(n, capacity);
  for (const t of tokens.slice(ok)) c.failure(t, { code: "SlowDown", status: 503 });
  for (const t of tokens.slice(0, ok)) c.success(t, queued);
  return { ok, refused: n - ok };
}

describe("AdaptiveConcurrency", () => {
  it("slow start: doubles per round trip while requests queue, up to max and never above", () => {
    const c = new AdaptiveConcurrency({ initial: 8, max: 100 });
    const seen = [c.limit];
    for (let i = 0; i < 6; i++) {
      round(c, Infinity);
      seen.push(c.limit);
    }
    expect(seen).toEqual([8, 16, 32, 64, 100, 100, 100]);
    expect(c.peak).toBe(100);
  });

  it("does not grow when nothing waits for a slot (the limit is not what holds the run back)", () => {
    const c = new AdaptiveConcurrency({ initial: 8, max: 100 });
    for (let i = 0; i < 5; i++) round(c, Infinity, false);
    expect(c.limit).toBe(8);
  });

  it("backs off on SlowDown, once per round trip, and recovers additively (one per round trip)", () => {
    const c = new AdaptiveConcurrency({ initial: 50, max: 256 });
    const r = round(c, 40); // 10 refused in one round trip: one cut, not ten
    expect(r.refused).toBe(10);
    expect(c.backoffs).toBe(1);
    expect(c.limit).toBe(Math.floor(50 * 0.8) + 1); // cut to 40, then +1 for the round trip's 40 successes
    round(c, 1000);
    expect(c.limit).toBe(42);
    round(c, 1000);
    expect(c.limit).toBe(43);
  });

  it("under a capacity limit: averages >= 85 % of it with SlowDown on <= 2 % of requests", () => {
    for (const capacity of [24, 48, 200]) {
      const c = new AdaptiveConcurrency({ max: 256 });
      let ok = 0;
      let refused = 0;
      for (let i = 0; i < 30; i++) round(c, capacity); // ramp-up
      for (let i = 0; i < 2000; i++) {
        const r = round(c, capacity);
        ok += r.ok;
        refused += r.refused;
      }
      expect(ok / 2000 / capacity).toBeGreaterThanOrEqual(0.85);
      expect(refused / (ok + refused)).toBeLessThanOrEqual(0.02);
      expect(c.limit).toBeLessThanOrEqual(capacity + 1);
    }
  });

  it("recovers when the push-back goes away (S3 scaled the prefix)", () => {
    const c = new AdaptiveConcurrency({ max: 128 });
    for (let i = 0; i < 50; i++) round(c, 20);
    expect(c.limit).toBeLessThanOrEqual(21);
    let rounds = 0;
    while (c.limit < 128 && rounds < 1000) {
      round(c, Infinity);
      rounds += 1;
    }
    expect(c.limit).toBe(128);
    expect(rounds).toBeLessThan(120); // additive: one per round trip from ~20
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
    expect(seen.at(-1)).toEqual({ limit: 12, reason: "backoff", code: "SlowDown" });
    for (let i = 0; i < 2000; i++) c.success(c.start(), true);
    expect(seen.at(-1)).toEqual({ limit: 40, reason: "increase" });
  });
});
