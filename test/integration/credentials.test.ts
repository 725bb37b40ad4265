import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf } from "./harness.js";
import { assumeRole } from "../../scripts/emulator-env.mjs";

const SRC = "dataservice-flex-bucket";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

describe("credentials never expire mid-run", () => {
  it("a run of over a minute with 20 s tokens has zero failures and counts its refreshes", async () => {
    emu = await emulator({ tokenTtlSeconds: 20 });
    // One copy at a time, each taking a second: 64 copies last over a minute whatever the listing does.
    emu.setFaults({ latencyMs: 1000 });
    const r = await runCli(["fetch", "2021/05", "--json", "--concurrency", "1"], { env: cliEnv(emu), timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r);
    expect(s.elapsedMs).toBeGreaterThan(60_000);
    expect(s.failed).toBe(0);
    expect(s.copied).toBe(emu.objects(SRC).filter((o) => o.key.startsWith("2021/05/")).length);
    expect(s.refreshes).toBeGreaterThanOrEqual(3);
    expect(eventsOf(r, "refreshed").length).toBe(s.refreshes + 1);
    expect(emu.requestLog().filter((e) => e.code === "ExpiredToken").length).toBe(0);
  }, 240_000);

  it("tokens revoked mid-run are refreshed once and the requests retried transparently", async () => {
    emu = await emulator();
    emu.setFaults({ latencyMs: 50 });
    let expired = false;
    const r = await runCli(["fetch", "2021/05", "--json", "--concurrency", "8"], {
      env: cliEnv(emu),
      onStdout: (chunk) => {
        if (!expired && chunk.includes('"kind":"copied"')) {
          expired = true;
          emu!.expireAllTokens();
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(expired).toBe(true);
    const s = summaryOf(r);
    expect(s.failed).toBe(0);
    expect(emu.requestLog().some((e) => e.code === "ExpiredToken")).toBe(true);
    const refreshed = eventsOf(r, "refreshed").filter((e) => e.reason === "token-rejected");
    expect(refreshed.length).toBe(1); // single-flight: 8 workers rejected at once cause one AssumeRole
  });
});

describe("--credentials env (the manual's exported variables)", () => {
  async function roleEnv(e: Emulator) {
    const c = await assumeRole(e, { RoleSessionName: "manual", DurationSeconds: 3600 });
    return { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_SESSION_TOKEN: c.sessionToken };
  }

  it("copies with exported temporary credentials and warns when they are about to expire", async () => {
    emu = await emulator();
    const rc = await roleEnv(emu);
    const env = cliEnv(emu, { AWS_ACCESS_KEY_ID: rc.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: rc.AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: rc.AWS_SESSION_TOKEN });
    env.AWS_CREDENTIAL_EXPIRATION = new Date(Date.now() + 5 * 60_000).toISOString();
    const r = await runCli(["fetch", "2021/05/31", "--credentials", "env", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "notice").some((e) => /expire/.test(String(e.message)))).toBe(true);
    expect(summaryOf(r).copied).toBeGreaterThan(0);
    expect(r.stdout + r.stderr).not.toContain(rc.AWS_SECRET_ACCESS_KEY);
    expect(r.stdout + r.stderr).not.toContain(rc.AWS_SESSION_TOKEN);
  });

  it("with expired exported credentials, objects fail with a hint instead of hanging", async () => {
    emu = await emulator();
    const rc = await roleEnv(emu);
    emu.expireAllTokens();
    const env = cliEnv(emu, { AWS_ACCESS_KEY_ID: rc.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: rc.AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: rc.AWS_SESSION_TOKEN });
    const r = await runCli(["fetch", "2021/05/31", "--credentials", "env", "--debug"], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/ExpiredToken/);
    expect(r.stdout + r.stderr).not.toContain(rc.AWS_SECRET_ACCESS_KEY);
    expect(r.stdout + r.stderr).not.toContain(rc.AWS_SESSION_TOKEN);
  });
});
