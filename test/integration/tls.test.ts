// flexcopy against `flexcopy emulator --tls` (HTTPS with a private CA): trusting the CA with --ca-bundle,
// AWS_CA_BUNDLE or the profile's ca_bundle, a clear error without it, through a TLS-tunnelling proxy; and the
// enterprise policies that depend on the transport and the organisation: TLS-only, the organisation perimeter,
// Block Public Access.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect, type AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator, EmulatorOptions } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { ORG, ORG_PERIMETER, TLS_ONLY } from "../support/policies.js";
import { lineOf, tempDir } from "./doctor-helpers.js";
import { BIN, cliEnv, emulator, MULTIPART_SETUP, runCli, summaryOf, under } from "./harness.js";

let emu: Emulator | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  proxy = undefined;
});

/** cliEnv trusts a TLS emulator's CA through AWS_CA_BUNDLE; "" unsets it (empty values count as unset). */
const NO_CA = { AWS_CA_BUNDLE: "" };
const noTrace = (s: string) => expect(s).not.toMatch(/\n\s+at /);
function withStatements(...extra: object[]): EmulatorOptions["bucketPolicy"] {
  const doc = bucketPolicy("${roleArn}", "${bucket}");
  return { ...doc, Statement: [...doc.Statement, ...extra] };
}

describe("flexcopy trusts the CA of `emulator --tls`", () => {
  it("fetch with --ca-bundle copies over HTTPS", async () => {
    emu = await emulator({ tls: true });
    const r = await runCli(["fetch", "2021/05/31", "--json", "--ca-bundle", emu.tls!.caFile], { env: cliEnv(emu, NO_CA) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r).copied).toBe(under(emu, emu.sourceBucket, "2021/05/31/").length);
    expect(under(emu, "flex-dest", "2021/05/31/").length).toBeGreaterThan(0);
  });

  it("ls with AWS_CA_BUNDLE, and with ca_bundle in the profile of ~/.aws/config", async () => {
    emu = await emulator({ tls: true });
    const viaEnv = await runCli(["ls", "2021"], { env: cliEnv(emu, { AWS_CA_BUNDLE: emu.tls!.caFile }) });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toMatch(/2021\/05\//);
    const dir = tempDir();
    const config = path.join(dir, "config");
    // (the profile is "default": a named one would make the SDK take its credentials instead of the exported keys)
    writeFileSync(config, `[profile other]\nca_bundle = /nowhere.pem\n\n[default]\nregion = ap-northeast-1\nca_bundle = ${emu.tls!.caFile}\n`);
    const viaProfile = await runCli(["ls", "2021"], { env: cliEnv(emu, { ...NO_CA, AWS_CONFIG_FILE: config }) });
    expect(viaProfile.code, viaProfile.stderr).toBe(0);
    expect(viaProfile.stdout).toMatch(/2021\/05\//);
    // --ca-bundle wins over AWS_CA_BUNDLE (AWS CLI precedence): a wrong AWS_CA_BUNDLE does not matter then
    const wrong = path.join(dir, "wrong.pem");
    writeFileSync(wrong, "not a certificate\n");
    const flagWins = await runCli(["ls", "2021", "--ca-bundle", emu.tls!.caFile], { env: cliEnv(emu, { AWS_CA_BUNDLE: wrong }) });
    expect(flagWins.code, flagWins.stderr).toBe(0);
  });

  it("doctor over HTTPS: every check passes, and the config line names the CA bundle it trusts", async () => {
    emu = await emulator({ tls: true, ...MULTIPART_SETUP });
    const r = await runCli(["doctor"], { env: cliEnv(emu, { AWS_CA_BUNDLE: emu.tls!.caFile }) });
    expect(r.code, r.stdout).toBe(0);
    expect(lineOf(r, "config").detail).toContain(`trusting the CA bundle ${emu.tls!.caFile} (AWS_CA_BUNDLE)`);
    for (const name of ["base credentials", "assume role", "source bucket", "destination bucket", "destination access"]) expect(lineOf(r, name).mark, name).toBe("✓");
  });

  it("without the CA: one error line whose hint names --ca-bundle, no stack trace, nothing retried; doctor says the same", async () => {
    emu = await emulator({ tls: true });
    const r = await runCli(["ls", "2021"], { env: cliEnv(emu, NO_CA) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^flexcopy: error: .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/m);
    expect(r.stderr).toMatch(/hint: .*not signed by a CA this computer trusts.*--ca-bundle FILE/);
    expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
    noTrace(r.stderr);
    expect(emu.requestLog()).toEqual([]); // no request got through
    const d = await runCli(["doctor"], { env: cliEnv(emu, NO_CA) });
    const creds = lineOf(d, "base credentials");
    expect(creds.mark).toBe("✗");
    expect(creds.fix).toMatch(/--ca-bundle FILE/);
  });

  it("an unreadable or invalid bundle: one line, exit 2, before any request", async () => {
    emu = await emulator({ tls: true });
    const dir = tempDir();
    const missing = await runCli(["ls", "2021", "--ca-bundle", path.join(dir, "nope.pem")], { env: cliEnv(emu, NO_CA) });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^flexcopy: error: --ca-bundle: cannot read .*nope\.pem: ENOENT$/);
    const bad = path.join(dir, "bad.pem");
    writeFileSync(bad, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const invalid = await runCli(["fetch", "2021/05/31"], { env: cliEnv(emu, { ...NO_CA, FLEXCOPY_CA_BUNDLE: bad }) });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.trim()).toMatch(/^flexcopy: error: --ca-bundle: certificate 1 in .*bad\.pem is not a valid X\.509 certificate$/);
    const doctor = await runCli(["doctor"], { env: cliEnv(emu, { AWS_CA_BUNDLE: bad }) });
    expect(doctor.code).toBe(2);
    expect(doctor.stderr.trim().split("\n")).toHaveLength(1);
    expect(emu.requestLog()).toEqual([]);
  });

  it("through an HTTPS proxy (CONNECT tunnel): the bundle verifies the endpoint behind it", async () => {
    emu = await emulator({ tls: { hostnames: ["flex-emulator.invalid"] } });
    const port = Number(new URL(emu.endpoint).port);
    const tunnels: string[] = [];
    proxy = createServer();
    proxy.on("connect", (req, socket, head) => {
      tunnels.push(req.url ?? "");
      const up = connect(port, "127.0.0.1", () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        up.write(head);
        up.pipe(socket);
        socket.pipe(up);
      });
      up.on("error", () => socket.destroy());
      socket.on("error", () => up.destroy());
    });
    await new Promise<void>((r) => proxy!.listen(0, "127.0.0.1", r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const env = cliEnv(emu, { FLEXCOPY_ENDPOINT_URL: `https://flex-emulator.invalid:${port}`, HTTPS_PROXY: proxyUrl, AWS_CA_BUNDLE: emu.tls!.caFile });
    const r = await runCli(["fetch", "2021/05/31", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r).copied).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([`flex-emulator.invalid:${port}`]));
    const untrusted = await runCli(["ls", "2021"], { env: { ...env, AWS_CA_BUNDLE: "" } });
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/--ca-bundle FILE/);
  });
});

describe("enterprise bucket policies over HTTP and HTTPS", () => {
  it("TLS-only (AWS Config s3-bucket-ssl-requests-only): fetch is refused over HTTP and works over HTTPS", async () => {
    emu = await emulator({ bucketPolicy: withStatements(TLS_ONLY) });
    const plain = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu) });
    expect(plain.code).toBe(3);
    expect(under(emu, "flex-dest", "2021/")).toEqual([]);
    expect(emu.requestLog().some((e) => e.status === 403 && e.bucket === "flex-dest")).toBe(true);
    await emu.stop();
    emu = await emulator({ tls: true, bucketPolicy: withStatements(TLS_ONLY) });
    const secure = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu) }); // the harness trusts its CA (AWS_CA_BUNDLE)
    expect(secure.code, secure.stderr).toBe(0);
    expect(summaryOf(secure).copied).toBeGreaterThan(0);
  });

  it("an organisation perimeter (Deny unless aws:PrincipalOrgID is yours) refuses the provider's role: fetch exits 3, nothing copied", async () => {
    emu = await emulator({ orgId: ORG, bucketPolicy: withStatements(ORG_PERIMETER) });
    const r = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu) });
    expect(r.code).toBe(3);
    expect(under(emu, "flex-dest", "2021/")).toEqual([]);
    const denied = emu.requestLog().filter((e) => e.status === 403 && e.bucket === "flex-dest");
    expect(denied.some((e) => e.principal === "role")).toBe(true);
    // the customer's own user, inside the organisation, still reads its bucket (doctor reads the policy as the owner)
    const d = await runCli(["doctor"], { env: cliEnv(emu) });
    expect(lineOf(d, "destination bucket").mark).toBe("✓");
  });
});

describe("flexcopy emulator: --tls, --org-id, Block Public Access", () => {
  function startLine(args: string[]): Promise<{ line: Record<string, unknown>; stderr: string; stop: () => void }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, "emulator", "--seed", "none", ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("\n")) resolve({ line: JSON.parse(out.split("\n")[0]!) as Record<string, unknown>, stderr: err, stop: () => child.kill("SIGTERM") });
      });
      child.on("close", (code) => reject(new Error(`emulator exited ${code}: ${err}`)));
    });
  }

  it("--tls --org-id: the startup line names the CA file (caBundle) and the organisation; stderr says where the CA is", async () => {
    const s = await startLine(["--tls", "--org-id", ORG]);
    try {
      expect(s.line.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(s.line.caBundle).toMatch(/ca\.pem$/);
      expect(s.line.orgId).toBe(ORG);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      s.stop();
    }
  });

  it("a public --bucket-policy is refused as S3 refuses it (exit 2, one line); --no-block-public-access lets it in", async () => {
    const file = path.join(tempDir(), "public.json");
    writeFileSync(file, JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::${bucket}/*" }] }));
    const r = await runCli(["emulator", "--bucket-policy", file], { env: { PATH: process.env.PATH ?? "" }, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^flexcopy: error: --bucket-policy: .*because public policies are blocked by the BlockPublicPolicy block public access setting\. \(run with --no-block-public-access/);
    const s = await startLine(["--bucket-policy", file, "--no-block-public-access"]);
    s.stop();
    expect(s.line.destBuckets).toEqual(["flex-dest"]);
    const bad = await runCli(["emulator", "--org-id", "org-1"], { env: { PATH: process.env.PATH ?? "" }, timeoutMs: 20_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/organization id must be "o-"/);
  });
});
