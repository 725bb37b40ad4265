// A bucket policy that lets the provider's role write but not list your bucket (only the PutObject statement
// of the manual's two): fetch must still work. It lists your bucket with your own credentials, and where those
// may not either (the manual's sts:AssumeRole-only user) it copies everything, saying so; verify, which cannot
// do without the listing, stops with one line.
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator, EmulatorOptions } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf } from "./harness.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

function writeOnlyPolicy(): object {
  const doc = bucketPolicy("${roleArn}", "${bucket}") as { Statement: { Action: unknown }[] };
  return { ...doc, Statement: doc.Statement.filter((s) => !JSON.stringify(s.Action).includes("s3:ListBucket")) };
}

async function world(o: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  return emulator({ bucketPolicy: writeOnlyPolicy(), ...o });
}

const notices = (r: Awaited<ReturnType<typeof runCli>>) => eventsOf(r, "notice").map((n) => String(n.message));

describe("a bucket policy without s3:ListBucket for the role", () => {
  it("fetch lists your bucket with your own credentials: copies, and a re-run skips everything; verify passes", async () => {
    emu = await world();
    const env = cliEnv(emu);
    const first = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(notices(first).some((m) => /listing it with your own credentials/.test(m))).toBe(true);
    const n = summaryOf(first).copied;
    expect(n).toBeGreaterThan(0);
    const again = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(summaryOf(again)).toMatchObject({ copied: 0, skipped: n });
    // the role was asked once per run, then your credentials only
    const lists = emu.requestLog().filter((l) => l.op === "ListObjectsV2" && l.bucket === emu!.destBuckets[0]);
    expect(lists.filter((l) => l.principal === "role" && l.status === 403).length).toBeLessThanOrEqual(2);
    expect(lists.some((l) => l.principal === "base" && l.status === 200)).toBe(true);
    const v = await runCli(["verify", "2021/05/31"], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it("with the manual's AssumeRole-only user nobody may list it: fetch copies everything and says so; verify stops in one line", async () => {
    emu = await world({ userPolicy: "manual" });
    const env = cliEnv(emu);
    const r = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(notices(r).some((m) => /every object is copied, also those already there/.test(m))).toBe(true);
    expect(summaryOf(r).failed).toBe(0);
    expect(emu.objects(emu.destBuckets[0]!).length).toBe(summaryOf(r).copied);
    const v = await runCli(["verify", "2021/05/31"], { env });
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/neither the provider's role nor your credentials may list s3:\/\/flex-dest/);
    expect(v.stderr).not.toMatch(/\n\s+at /);
  });
});
