// Issue 17, "never hang, never run forever": a request that moves no data has a time limit (--request-timeout);
// a stalled copy is said (`stalled`), not a silent hang; an endpoint gone for good stops the run after
// --give-up-after with one line, exit 1 and the resume command; a second Ctrl-C still prints the summary.
// Faults come from the emulator: failNext "Stall" holds a request unanswered (then drops it), and stop() makes
// the endpoint refuse connections.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, closedPort, emulator, eventsOf, MULTIPART_SETUP, runCli, summaryOf, under } from "./harness.js";
import { ownerUploads, reportPath, spawnCli, SRC } from "./outcome-helpers.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const stateDir = () => mkdtempSync(path.join(tmpdir(), "flexcopy-state-"));

describe("--request-timeout: a listing that gets no answer", () => {
  it("times out after the limit and is retried; the run completes", async () => {
    emu = await emulator();
    // held for a minute: without a time limit the run would wait the minute (and, on a dead connection, forever)
    emu.setFaults({ failNext: [{ op: "ListObjectsV2", count: 1, code: "Stall", stallMs: 60_000 }] });
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir() });
    const t0 = Date.now();
    const r = await runCli(["fetch", "2021/05/31", "--json", "--request-timeout", "2"], { env });
    const elapsed = Date.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    expect(eventsOf(r, "retry")).toEqual(expect.arrayContaining([expect.objectContaining({ op: "ListObjectsV2", code: "TimeoutError" })]));
    expect(elapsed).toBeLessThan(45_000);
    expect(under(emu, emu.destBuckets[0]!, "2021/05/31/").map((o) => o.key)).toEqual(under(emu, SRC, "2021/05/31/").map((o) => o.key));
    expect(emu.requestLog().some((l) => l.op === "ListObjectsV2" && l.code === "Stall")).toBe(true);
  }, 90_000);

  it("a bad value is one line, exit 2", async () => {
    emu = await emulator();
    const r = await runCli(["fetch", "2021/05/31", "--request-timeout", "0"], { env: cliEnv(emu) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/request-timeout/);
  });
});

describe("a stalled copy", () => {
  it("is said (stalled) while nothing finishes, then retried when the connection drops; the run completes", async () => {
    emu = await emulator();
    emu.setFaults({ failNext: [{ op: "CopyObject", count: 1, code: "Stall", stallMs: 9_000 }] });
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir() });
    // --concurrency 1: the stalled copy is the only one in flight, so nothing finishes while it hangs;
    // --give-up-after 3 brings the warning down from a minute to 3 s (a stall is no failure: the run goes on)
    const r = await runCli(["fetch", "2021/05/31", "--json", "--concurrency", "1", "--give-up-after", "3"], { env });
    expect(r.code, r.stderr).toBe(0);
    const stalled = eventsOf(r, "stalled");
    expect(stalled.length).toBeGreaterThanOrEqual(1);
    expect(stalled[0]!.inFlight as number).toBeGreaterThanOrEqual(1);
    expect(stalled[0]!.seconds as number).toBeGreaterThanOrEqual(3);
    const s = summaryOf(r);
    expect(s).toMatchObject({ failed: 0, interrupted: false });
    expect(s.endpointGone).toBeUndefined();
    expect(under(emu, emu.destBuckets[0]!, "2021/05/31/")).toHaveLength(under(emu, SRC, "2021/05/31/").length);
  }, 90_000);

  it("text mode says it on stderr as a warning", async () => {
    emu = await emulator();
    emu.setFaults({ failNext: [{ op: "CopyObject", count: 1, code: "Stall", stallMs: 6_000 }] });
    const r = await runCli(["fetch", "2021/05/31", "--concurrency", "1", "--give-up-after", "2"], { env: cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir() }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: no copy has finished for \d+ s \(\d+ objects? in progress\); still waiting/);
  }, 90_000);
});

describe("--give-up-after: the endpoint gone for good", () => {
  it("mid-run: stops after the limit with exit 1, the summary (endpointGone) and the resume command; what was copied is in the bucket", async () => {
    emu = await emulator();
    // slow copies, so the endpoint goes while most of the month is still to copy
    emu.setFaults({ latencyMs: 200 });
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir() });
    const report = reportPath();
    const run = spawnCli(["fetch", "2021/05", "--json", "--give-up-after", "3", "--concurrency", "4", "--report", report], env);
    const e = emu;
    await new Promise<void>((resolve) => {
      const onData = (d: string) => {
        if (d.includes('"kind":"copied"')) {
          run.child.stdout!.off("data", onData);
          resolve();
        }
      };
      run.child.stdout!.on("data", onData);
    });
    await e.stop();
    const stoppedAt = Date.now();
    const r = await run.done;
    emu = undefined;
    expect(r.code, r.stderr).toBe(1);
    // the limit (3 s) and the backoffs in flight; not the minutes of 10 attempts × every object
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    const s = summaryOf(r);
    expect(s.endpointGone).toMatch(/^no request has succeeded for \d+ s \(the last \w+ failed with ECONNREFUSED\)/);
    expect(s.interrupted).toBe(true);
    const copied = eventsOf(r, "copied").map((x) => x.key as string);
    expect(s.copied).toBe(copied.length);
    const dest = under(e, e.destBuckets[0]!, "2021/05/").map((o) => o.key);
    for (const k of copied) expect(dest).toContain(k);
    // objects not reached are not "failed": they are left for the resume
    expect(s.failed).toBe(eventsOf(r, "failed").length);
    expect(s.copied + s.failed).toBeLessThan(under(e, SRC, "2021/05/").length);
    // --report says the same
    const rep = JSON.parse(readFileSync(report, "utf8")) as { summary: typeof s };
    expect(rep.summary).toMatchObject({ copied: s.copied, failed: s.failed, interrupted: true, endpointGone: s.endpointGone });
    expect(r.stderr).toMatch(/^flexcopy: error: no request has succeeded for \d+ s .*run the same command again to resume: flexcopy fetch 2021\/05 --json --give-up-after 3 --concurrency 4 --report \S+$/ms);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 90_000);

  it("from the start (S3 endpoint refusing connections, STS reachable): one line and a hint, exit 1, within the limit", async () => {
    emu = await emulator();
    const port = await closedPort();
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir(), FLEXCOPY_STS_ENDPOINT_URL: emu.endpoint });
    const t0 = Date.now();
    const r = await runCli(["fetch", "2021/05/31", "--endpoint-url", `http://127.0.0.1:${port}`, "--give-up-after", "2"], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.stderr).toMatch(/^flexcopy: error: no request has succeeded for \d+ s \(the last List\w+ failed with ECONNREFUSED\)/m);
    expect(r.stderr).toMatch(/run the same command again to resume/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe("a second Ctrl-C", () => {
  it("stops at once and still prints the summary so far (--json), exit 130; the uploads are kept for the resume", async () => {
    emu = await emulator({ seed: "none", ...MULTIPART_SETUP });
    for (let i = 1; i <= 3; i++) emu.putObject(SRC, `2021/05/31/20210531_8_00${i}.pcap.gz`, 2 ** 20 * i);
    emu.putObject(SRC, "2021/05/31/20210531_9_001.pcap.gz", 80 * 2 ** 20);
    // the multipart object's parts hang, so the first Ctrl-C cannot finish them
    emu.setFaults({ failNext: [{ op: "UploadPartCopy", count: 20, code: "Stall", stallMs: 60_000 }] });
    const env = cliEnv(emu, { FLEXCOPY_STATE_DIR: stateDir() });
    const run = spawnCli(["fetch", "2021/05/31", "--json", "--multipart-threshold", "32MiB", "--part-size", "16MiB"], env);
    const e = emu;
    // once the three small objects are copied and the parts are hanging
    await new Promise<void>((resolve) => {
      let copied = 0;
      const onData = (d: string) => {
        copied += d.split('"kind":"copied"').length - 1;
        if (copied >= 3) {
          run.child.stdout!.off("data", onData);
          resolve();
        }
      };
      run.child.stdout!.on("data", onData);
    });
    await new Promise((r) => setTimeout(r, 500));
    run.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    const s = summaryOf(r);
    expect(s).toMatchObject({ copied: 3, failed: 0, interrupted: true });
    expect(r.stderr).toMatch(/stopped; run the same command again to resume/);
    // the hanging object's upload is recorded: the next run continues it (and leaves nothing behind)
    e.setFaults({ failNext: [] });
    const again = await runCli(["fetch", "2021/05/31", "--json", "--multipart-threshold", "32MiB", "--part-size", "16MiB"], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(under(e, e.destBuckets[0]!, "2021/05/31/")).toHaveLength(4);
    expect(await ownerUploads(e)).toEqual([]);
  }, 90_000);
});
