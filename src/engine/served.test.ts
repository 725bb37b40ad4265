import { describe, expect, it } from "vitest";
import { ServedEstimate } from "./served.js";

describe("ServedEstimate", () => {
  it("Little's law over the span: 100 successes a second of 200 ms requests is 20 in flight", () => {
    const s = new ServedEstimate();
    for (let t = 0; t <= 3000; t += 10) s.record(t, 8000);
    expect(s.inFlight(3000, 1000, 200)).toBeCloseTo(20, 5);
    // a slower last second shows at once
    for (let t = 3050; t <= 4000; t += 50) s.record(t, 8000);
    expect(s.inFlight(4000, 1000, 200)).toBeCloseTo(4, 5);
  });

  it("no estimate without a span of history, counted from the first success and from `from` (the end of slow start)", () => {
    const s = new ServedEstimate();
    expect(s.inFlight(5000, 1000, 100)).toBe(Infinity);
    for (let t = 2000; t <= 2500; t += 10) s.record(t, 8000);
    expect(s.inFlight(2500, 1000, 100)).toBe(Infinity);
    for (let t = 2510; t <= 3500; t += 10) s.record(t, 8000);
    expect(s.inFlight(3500, 1000, 100)).toBeCloseTo(10, 5);
    expect(s.inFlight(3500, 1000, 100, 3000)).toBe(Infinity);
    expect(s.inFlight(3500, 1000, 100)).toBeCloseTo(10, 5);
    expect(s.inFlight(3500, Infinity, 100)).toBe(Infinity);
  });

  it("a long run with no push-back keeps only the horizon, and the estimate within it stays right", () => {
    const s = new ServedEstimate();
    for (let t = 0; t < 200_000; t += 1) s.record(t, 8000); // 1,000 successes a second for 200 s
    expect((s as unknown as { times: number[] }).times.length).toBeLessThan(8000 + 8192 + 4097);
    expect(s.inFlight(199_999, 8000, 50)).toBeCloseTo(50, 0);
  });
});
