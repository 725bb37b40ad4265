import type { STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import { refreshMarginMs, RoleCredentials } from "./credentials.js";

/** A stand-in STS that issues numbered credentials with a given lifetime, and can refuse long sessions. */
function fakeSts(opts: { lifetimeMs: number; now: () => number; maxDuration?: number; delayMs?: number }) {
  const calls: number[] = [];
  const sts = {
    send: async (cmd: { input: { DurationSeconds?: number } }) => {
      const d = cmd.input.DurationSeconds ?? 3600;
      calls.push(d);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.maxDuration && d > opts.maxDuration) throw Object.assign(new Error("exceeds the 1 hour session limit"), { name: "ValidationError" });
      return {
        Credentials: { AccessKeyId: `ASIA${calls.length}`, SecretAccessKey: "s", SessionToken: "t", Expiration: new Date(opts.now() + opts.lifetimeMs) },
      };
    },
  } as unknown as STSClient;
  return { sts, calls };
}

describe("RoleCredentials", () => {
  it("caches until the refresh margin, then renews", async () => {
    let now = 1_000_000;
    const { sts, calls } = fakeSts({ lifetimeMs: 20_000, now: () => now });
    const c = new RoleCredentials({ sts, roleArn: "arn", sessionName: "s", durationSeconds: 43200, now: () => now });
    expect((await c.get()).accessKeyId).toBe("ASIA1");
    now += 17_000; // margin for 20 s tokens is 2 s
    expect((await c.get()).accessKeyId).toBe("ASIA1");
    now += 1_500;
    expect((await c.get()).accessKeyId).toBe("ASIA2");
    expect(calls.length).toBe(2);
  });

  it("64 concurrent rejections of the same key cause one AssumeRole", async () => {
    const now = () => Date.now();
    const { sts, calls } = fakeSts({ lifetimeMs: 3_600_000, now, delayMs: 20 });
    const c = new RoleCredentials({ sts, roleArn: "arn", sessionName: "s", durationSeconds: 3600 });
    await c.get();
    const rejected = c.currentKeyId;
    const ids = await Promise.all(Array.from({ length: 64 }, () => c.refresh("token-rejected", rejected)));
    expect(new Set(ids.map((i) => i.accessKeyId))).toEqual(new Set(["ASIA2"]));
    // A late rejection of the old key reuses the new credentials instead of refreshing again.
    expect((await c.refresh("token-rejected", rejected)).accessKeyId).toBe("ASIA2");
    expect(calls.length).toBe(2);
  });

  it("falls back to 1 hour when 12 hours is refused (role chaining) and says so", async () => {
    const notices: string[] = [];
    const { sts, calls } = fakeSts({ lifetimeMs: 3_600_000, now: Date.now, maxDuration: 3600 });
    const c = new RoleCredentials({ sts, roleArn: "arn", sessionName: "s", durationSeconds: 43200, onNotice: (m) => notices.push(m) });
    await c.get();
    expect(calls).toEqual([43200, 3600]);
    expect(c.grantedDurationSeconds).toBe(3600);
    expect(notices.join()).toMatch(/3600/);
  });

  it("margins scale with token lifetime", () => {
    expect(refreshMarginMs(12 * 3600_000)).toBe(300_000);
    expect(refreshMarginMs(20_000)).toBe(2_000);
    expect(refreshMarginMs(500)).toBe(1_000);
  });
});
