// The AWS CLI against `emulator --tls` (its CA passed as `aws --ca-bundle`, AWS_CA_BUNDLE or the profile's
// ca_bundle, the reading flexcopy copies), and Block Public Access as the AWS CLI sees it. Needs `aws` on PATH;
// skipped with one line when missing (test/support/interop.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assertInterop, skipInterop } from "../support/interop.js";
import { runProcess, type Run } from "../support/tools.js";

const DEST = "flex-dest";
let dir: string;

function env(emu: Emulator, config: string, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "LANG", "TMPDIR"]) {
    const v = process.env[k];
    if (v !== undefined) out[k] = v;
  }
  return {
    ...out,
    LC_ALL: "C.UTF-8",
    AWS_DEFAULT_REGION: "ap-northeast-1",
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_PAGER: "",
    AWS_ACCESS_KEY_ID: emu.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emu.secretAccessKey,
    ...extra,
  };
}

describe.skipIf(skipInterop("aws"))("AWS CLI against emulator --tls", () => {
  let emu: Emulator;
  let plain: string;
  let withCa: string;
  const aws = (args: string[], config: string, extra?: Record<string, string>): Promise<Run> =>
    runProcess("aws", ["--endpoint-url", emu.endpoint, ...args], env(emu, config, extra));

  beforeAll(async () => {
    assertInterop("aws");
    dir = mkdtempSync(join(tmpdir(), "flexcopy-awscli-tls-"));
    emu = await startEmulator({ tls: true, seed: "demo" });
    const style = "s3 =\n    addressing_style = path\n";
    plain = join(dir, "plain");
    writeFileSync(plain, `[default]\nregion = ap-northeast-1\noutput = json\n${style}`);
    withCa = join(dir, "with-ca");
    writeFileSync(withCa, `[default]\nregion = ap-northeast-1\noutput = json\nca_bundle = ${emu.tls!.caFile}\n${style}`);
  });

  afterAll(async () => {
    await emu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("trusts the CA with --ca-bundle, AWS_CA_BUNDLE or the profile's ca_bundle, and refuses the endpoint without it", async () => {
    for (const [args, config, extra] of [
      [["--ca-bundle", emu.tls!.caFile], plain, {}],
      [[], plain, { AWS_CA_BUNDLE: emu.tls!.caFile }],
      [[], withCa, {}],
    ] as const) {
      const r = await aws([...args, "sts", "get-caller-identity"], config, extra);
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { Account: string }).Account).toBe(emu.accountId);
    }
    const untrusted = await aws(["sts", "get-caller-identity"], plain);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/SSL validation failed|CERTIFICATE_VERIFY_FAILED/);
  });

  it("put-bucket-policy of a public policy: AccessDenied with the BlockPublicPolicy message", async () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${DEST}/*` }] });
    const r = await aws(["s3api", "put-bucket-policy", "--bucket", DEST, "--policy", policy], withCa);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("An error occurred (AccessDenied) when calling the PutBucketPolicy operation: User: arn:aws:iam::");
    expect(r.stderr).toContain("because public policies are blocked by the BlockPublicPolicy block public access setting.");
    const pab = await aws(["s3api", "get-public-access-block", "--bucket", DEST], withCa);
    expect(pab.code, pab.stderr).toBe(0);
    expect(JSON.parse(pab.stdout)).toEqual({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } });
  });
});
