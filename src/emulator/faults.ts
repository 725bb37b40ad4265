// Latency / copy-rate model and fault injection, changeable at runtime (setFaults, POST /_emulator/faults).
import type { FailNextRule, Faults } from "./types.js";

export const DEFAULT_FAULTS: Faults = {
  latencyMs: 0,
  copyRateBytesPerSec: 0,
  timeScale: 1,
  slowDownRate: 0,
  internalErrorRate: 0,
  resetRate: 0,
  copyErrorBodyRate: 0,
  failNext: [],
  clockOffsetMs: 0,
  bucketRegions: {},
  maxInflight: 0,
  maxRate: 0,
};

const NUMERIC = ["latencyMs", "copyRateBytesPerSec", "timeScale", "slowDownRate", "internalErrorRate", "resetRate", "copyErrorBodyRate", "clockOffsetMs", "maxInflight", "maxRate"] as const;

export class FaultState {
  private f: Faults = { ...DEFAULT_FAULTS, failNext: [], bucketRegions: {} };
  random: () => number = Math.random;

  constructor(initial?: Partial<Faults>) {
    if (initial) this.set(initial);
  }

  get current(): Faults {
    return { ...this.f, failNext: this.f.failNext.map((r) => ({ ...r })), bucketRegions: { ...this.f.bucketRegions } };
  }

  get clockOffsetMs(): number {
    return this.f.clockOffsetMs;
  }

  /** Merge a partial update; throws on invalid values. failNext and bucketRegions replace the previous value. */
  set(p: Partial<Faults>): void {
    const next: Faults = { ...this.f };
    for (const k of NUMERIC) {
      const v = p[k];
      if (v === undefined) continue;
      if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`faults.${k} must be a finite number`);
      if (k !== "clockOffsetMs" && v < 0) throw new Error(`faults.${k} must be >= 0`);
      if (k.endsWith("Rate") && k !== "copyRateBytesPerSec" && k !== "maxRate" && v > 1) throw new Error(`faults.${k} is a probability (0..1)`);
      if (k === "timeScale" && v === 0) throw new Error("faults.timeScale must be > 0");
      if (k === "maxInflight" && !Number.isInteger(v)) throw new Error("faults.maxInflight must be a whole number (0 = unlimited)");
      if (k === "maxRate" && !Number.isInteger(v)) throw new Error("faults.maxRate must be a whole number of requests per second (0 = unlimited)");
      next[k] = v;
    }
    if (p.failNext !== undefined) {
      if (!Array.isArray(p.failNext)) throw new Error("faults.failNext must be an array");
      next.failNext = p.failNext.map((r: FailNextRule) => {
        if (!r || typeof r.op !== "string" || typeof r.count !== "number") throw new Error("faults.failNext entries need op (string) and count (number)");
        const rule: FailNextRule = { op: r.op, count: r.count };
        if (r.code !== undefined) rule.code = String(r.code);
        if (r.stallMs !== undefined) {
          if (typeof r.stallMs !== "number" || !Number.isFinite(r.stallMs) || r.stallMs < 0) throw new Error("faults.failNext stallMs must be a number of ms >= 0");
          rule.stallMs = r.stallMs;
        }
        return rule;
      });
    }
    if (p.bucketRegions !== undefined) {
      if (typeof p.bucketRegions !== "object" || p.bucketRegions === null) throw new Error("faults.bucketRegions must be an object");
      next.bucketRegions = { ...p.bucketRegions };
    }
    this.f = next;
  }

  now(): number {
    return Date.now() + this.f.clockOffsetMs;
  }

  get maxInflight(): number {
    return this.f.maxInflight;
  }

  get maxRate(): number {
    return this.f.maxRate;
  }

  /** One modelled second in wall ms (the window of `maxRate`). */
  get secondMs(): number {
    return 1000 / this.f.timeScale;
  }

  regionOf(bucket: string, fallback: string): string {
    return this.f.bucketRegions[bucket] ?? fallback;
  }

  /** Consume one failNext slot for `op`; returns the error code to answer with (default InternalError). */
  takeFailNext(op: string): string | undefined {
    return this.takeFailRule(op)?.code;
  }

  /** As takeFailNext, with the rule's `stallMs` (code "Stall"). */
  takeFailRule(op: string): { code: string; stallMs?: number } | undefined {
    const rules = this.f.failNext;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (!r || r.op !== op || r.count <= 0) continue;
      r.count--;
      if (r.count <= 0) rules.splice(i, 1);
      return { code: r.code ?? "InternalError", ...(r.stallMs !== undefined ? { stallMs: r.stallMs } : {}) };
    }
    return undefined;
  }

  roll(kind: "slowDownRate" | "internalErrorRate" | "resetRate" | "copyErrorBodyRate"): boolean {
    const p = this.f[kind];
    return p > 0 && this.random() < p;
  }

  /** Modelled per-request latency (ms, after timeScale). */
  latency(): number {
    return this.f.latencyMs / this.f.timeScale;
  }

  /** Extra time a copy of `bytes` takes at the modelled copy rate (ms, after timeScale). */
  copyTime(bytes: number): number {
    const rate = this.f.copyRateBytesPerSec;
    return rate > 0 ? ((bytes / rate) * 1000) / this.f.timeScale : 0;
  }
}

export function sleep(ms: number): Promise<void> | undefined {
  if (!(ms > 0)) return undefined;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
