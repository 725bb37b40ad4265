// A bucket policy that admits requests only from the company's network (a Deny with NotIpAddress on
// aws:SourceIp, a common enterprise rule). The provider's role sends its requests from the machine running
// flexcopy, so on AWS it depends on that machine's address: the emulator decides with the real client address
// (aws:SourceIp = 127.0.0.1 here, IAM global condition keys), and doctor, deciding offline, says it cannot know.
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { bucketPolicy, multipartBucketPolicy } from "../../src/iam/manual.js";
import { doctorRecord } from "./doctor-helpers.js";
import { cliEnv, emulator, runCli, summaryOf } from "./harness.js";

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

function onlyFrom(cidr: string, multipart = false): object {
  const doc = (multipart ? multipartBucketPolicy : bucketPolicy)("${roleArn}", "${bucket}") as { Statement: object[] };
  return {
    ...doc,
    Statement: [
      ...doc.Statement,
      { Sid: "OnlyFromCorp", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::${bucket}", "arn:aws:s3:::${bucket}/*"], Condition: { NotIpAddress: { "aws:SourceIp": [cidr] } } },
    ],
  };
}

describe("a bucket policy that admits only the company's network (aws:SourceIp)", () => {
  it("from inside the range: copies (parts too); doctor warns that it cannot decide offline instead of failing", async () => {
    emu = await emulator({ bucketPolicy: onlyFrom("127.0.0.0/8", true), objectOwnership: "BucketOwnerEnforced" });
    emu.putObject("dataservice-flex-bucket", "2021/05/31/big.pcap.gz", 6 * 1024 ** 3);
    const r = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r).copied).toBeGreaterThan(0);
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    expect(doctorRecord(d.stdout, "policy copy with ACL")).toMatchObject({ status: "warn", detail: expect.stringMatching(/aws:sourceip/), fix: expect.stringMatching(/--write-test/) });
    expect(doctorRecord(d.stdout, "policy multipart part")).toMatchObject({ status: "warn" });
    expect(d.code, d.stdout).toBe(0); // warnings only
  });

  it("under the manual's policy, the multipart lines still warn for the reason that holds wherever the request comes from", async () => {
    emu = await emulator({ bucketPolicy: onlyFrom("127.0.0.0/8") });
    const d = await runCli(["doctor", "--json"], { env: cliEnv(emu) });
    expect(doctorRecord(d.stdout, "policy copy with ACL")).toMatchObject({ status: "warn" });
    expect(doctorRecord(d.stdout, "policy multipart part")).toMatchObject({ status: "warn", detail: expect.stringMatching(/no Allow for s3:PutObject/) });
  });

  it("from outside the range: the emulator refuses as AWS would, naming the statement", async () => {
    emu = await emulator({ bucketPolicy: onlyFrom("203.0.113.0/24") });
    const r = await runCli(["fetch", "2021/05/31"], { env: cliEnv(emu) });
    expect(r.code).toBe(3);
    const denied = emu.requestLog().find((l) => l.status === 403 && l.bucket === emu!.destBuckets[0]);
    expect(denied?.denyReason).toMatch(/OnlyFromCorp/);
  });
});
