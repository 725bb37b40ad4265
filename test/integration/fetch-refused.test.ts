// Issue 16, item 5: a bucket policy that refuses some prefixes. fetch decides "refused before anything was
// copied" (exit 3) only once the copies in flight have settled; otherwise it copies what it may, says which days
// were refused and by which statement of the policy (read before the run with your own credentials), and exits 1.
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { cliEnv, emulator, eventsOf, runCli, summaryOf, under } from "./harness.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const DENY_2021 = { Sid: "Keep2021Out", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "arn:aws:s3:::${bucket}/2021/*" };

async function withDeny(): Promise<{ emu: Emulator; env: Record<string, string>; dest: string }> {
  const e = await emulator();
  const dest = e.destBuckets[0]!;
  const doc = bucketPolicy(e.roleArn, dest) as { Statement: object[] };
  const policy = JSON.parse(JSON.stringify({ ...doc, Statement: [...doc.Statement, DENY_2021] }).replaceAll("${bucket}", dest)) as object;
  e.setBucketPolicy(dest, policy);
  return { emu: e, env: cliEnv(e), dest };
}

const SOURCE = "dataservice-flex-bucket";
const sourceKeys = (e: Emulator, prefix: string) => under(e, SOURCE, prefix).map((o) => o.key);
const destKeys = (e: Emulator, bucket: string, prefix: string) => under(e, bucket, prefix).map((o) => o.key);

describe("fetch under a Deny on 2021/*", () => {
  for (const order of [
    ["testdata/2021/05", "2021/05/31"],
    ["2021/05/31", "testdata/2021/05"],
  ]) {
    it(`${order.join(" ")}: copies testdata/, says 2021/05/31/ was refused by "Keep2021Out", exit 1; the bucket agrees`, async () => {
      const s = await withDeny();
      emu = s.emu;
      const samples = sourceKeys(emu, "testdata/2021/05/");
      const refusedDay = sourceKeys(emu, "2021/05/31/");
      expect(samples.length).toBeGreaterThan(0);
      expect(refusedDay.length).toBeGreaterThan(1);

      const r = await runCli(["fetch", ...order, "--json"], { env: s.env });
      expect(r.code, r.stderr).toBe(1);
      const summary = summaryOf(r);
      expect(summary).toMatchObject({ copied: samples.length, failed: refusedDay.length, interrupted: false });
      const refused = eventsOf(r, "refused");
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ unit: "2021/05/31/" });
      expect(refused[0]!.hint).toMatch(/statement "Keep2021Out" \(Deny s3:PutObject on arn:aws:s3:::flex-dest\/2021\/\*/);
      expect(refused[0]!.hint).toMatch(/exempt only the provider's role/);
      expect(refused[0]!.hint).not.toMatch(/put-bucket-policy/);
      const failed = eventsOf(r, "failed");
      expect(failed.map((f) => f.key).sort()).toEqual([...refusedDay].sort());
      expect(failed.every((f) => f.code === "AccessDenied")).toBe(true);
      // the bucket holds exactly what the summary says was copied
      expect(destKeys(emu, s.dest, "testdata/2021/05/").sort()).toEqual([...samples].sort());
      expect(destKeys(emu, s.dest, "2021/")).toEqual([]);
      // the rest of the refused day was not sent: at most the copies in flight when it was refused
      const sent = emu.requestLog().filter((l) => l.op === "CopyObject" && String(l.key ?? "").startsWith("2021/05/31/"));
      expect(sent.length).toBeLessThanOrEqual(refusedDay.length);
      expect(r.stderr).not.toMatch(/before anything was copied/);
    });
  }

  it("text mode says which day was refused and by which statement", async () => {
    const s = await withDeny();
    emu = s.emu;
    const r = await runCli(["fetch", "testdata/2021/05", "2021/05/31"], { env: s.env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/refused 2021\/05\/31\/: your bucket refused the copy of 2021\/05\/31\/\S+, so the rest of 2021\/05\/31\/ is not sent \(other days go on\) — your bucket policy's statement "Keep2021Out"/);
  });

  it("only refused days selected: nothing copied, exit 3 naming the statement, decided after the copies settled", async () => {
    const s = await withDeny();
    emu = s.emu;
    const r = await runCli(["fetch", "2021/05/27..2021/05/31", "--json"], { env: s.env });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/refused the copy \(AccessDenied\) in 2021\/05\/\d\d\/.*nothing was copied/);
    expect(r.stderr).toMatch(/"Keep2021Out"/);
    expect(destKeys(emu, s.dest, "2021/")).toEqual([]);
  });
});
