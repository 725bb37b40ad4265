import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CaBundleError, caBundlePath, loadCaBundle, profileValue, resolveCaBundle } from "./ca-bundle.js";

// A CA certificate as `flexcopy emulator --tls` makes one (ECDSA P-256); its key is long gone.
const CA = `-----BEGIN CERTIFICATE-----
MIIBuTCCAV+gAwIBAgIQTDFrLDXEm64Q+tA4eBVusDAKBggqhkjOPQQDAjA7MR0w
GwYDVQQDExRmbGV4Y29weSBlbXVsYXRvciBDQTEaMBgGA1UEChMRZmxleGNvcHkg
ZW11bGF0b3IwHhcNMjYxMjAxMTAyNzUyWhcNMjcwMTAxMTAyNzUyWjA7MR0wGwYD
VQQDExRmbGV4Y29weSBlbXVsYXRvciBDQTEaMBgGA1UEChMRZmxleGNvcHkgZW11
bGF0b3IwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARjhvrhjd3keWhufxis1Lss
92zuAE5P4Pc+ubJPOop+DAhEWo79tTjo6jbvtdjLZKWawHa+DQQbN49v0b/zO5rw
o0UwQzASBgNVHRMBAf8ECDAGAQH/AgEAMA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4E
FgQUVKC4jtWAyE0RND0VB10GYa5gPUkwCgYIKoZIzj0EAwIDSAAwRQIgDd9sw1yL
kfIRyOKRUJPs3wP4Fme9jKXxj1/fAb6lkY4CIQDue6IvVQDofWBP3GeuCHA6gLOj
GQBpPwdXblFoyIT/Yw==
-----END CERTIFICATE-----
`;

const dir = mkdtempSync(path.join(tmpdir(), "flexcopy-ca-test-"));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const CONFIG = `# comment
[default]
region = ap-northeast-1
ca_bundle = /etc/default-ca.pem

[profile corp]
s3 =
  ca_bundle = /nested/not-top-level.pem
ca_bundle=/etc/corp-ca.pem

[profile plain]
region = us-east-1
`;

describe("profileValue (the AWS config file's [default] / [profile NAME] sections)", () => {
  it.each([
    ["default", "/etc/default-ca.pem"],
    ["corp", "/etc/corp-ca.pem"],
    ["plain", undefined],
    ["missing", undefined],
  ])("profile %s -> %s", (profile, want) => {
    expect(profileValue(CONFIG, profile, "ca_bundle")).toBe(want);
  });
});

describe("caBundlePath: --ca-bundle > AWS_CA_BUNDLE > the profile's ca_bundle (AWS CLI precedence)", () => {
  const config = file("config", CONFIG);
  const env = { AWS_CONFIG_FILE: config, AWS_CA_BUNDLE: "/env/ca.pem" };
  it("the flag (or FLEXCOPY_CA_BUNDLE / caBundle) wins over AWS_CA_BUNDLE", () => {
    expect(caBundlePath({ setting: "/flag/ca.pem", env })).toEqual({ path: "/flag/ca.pem", from: "--ca-bundle" });
  });
  it("AWS_CA_BUNDLE wins over the profile", () => {
    expect(caBundlePath({ env })).toEqual({ path: "/env/ca.pem", from: "AWS_CA_BUNDLE" });
  });
  it("the profile: --profile, else AWS_PROFILE, else default", () => {
    expect(caBundlePath({ env: { AWS_CONFIG_FILE: config } })?.path).toBe("/etc/default-ca.pem");
    expect(caBundlePath({ env: { AWS_CONFIG_FILE: config, AWS_PROFILE: "corp" } })?.path).toBe("/etc/corp-ca.pem");
    expect(caBundlePath({ profile: "corp", env: { AWS_CONFIG_FILE: config, AWS_PROFILE: "plain" } })).toEqual({
      path: "/etc/corp-ca.pem",
      from: `ca_bundle of profile corp in ${config}`,
    });
    expect(caBundlePath({ profile: "plain", env: { AWS_CONFIG_FILE: config } })).toBeUndefined();
  });
  it("nothing set, or no config file: Node's default trust store", () => {
    expect(caBundlePath({ env: { AWS_CONFIG_FILE: path.join(dir, "absent") } })).toBeUndefined();
    expect(resolveCaBundle({ env: { AWS_CONFIG_FILE: path.join(dir, "absent"), AWS_CA_BUNDLE: "" } })).toBeUndefined();
  });
});

describe("loadCaBundle", () => {
  it("reads every certificate of a bundle", () => {
    const p = file("two.pem", `${CA}\n${CA}`);
    const b = loadCaBundle({ path: p, from: "AWS_CA_BUNDLE" });
    expect(b.certificates).toBe(2);
    expect(b.pem).toContain("BEGIN CERTIFICATE");
  });
  it.each([
    ["an unreadable file", path.join(dir, "nope.pem"), /^AWS_CA_BUNDLE: cannot read .*nope\.pem: ENOENT$/],
    ["a file without a certificate", file("empty.pem", "hello\n"), /^AWS_CA_BUNDLE: .*empty\.pem holds no PEM certificate/],
    ["a damaged certificate", file("bad.pem", CA.replace("MIIBuTCC", "MIIBuXXX")), /^AWS_CA_BUNDLE: certificate 1 in .*bad\.pem is not a valid X\.509 certificate$/],
  ])("refuses %s in one line", (_what, p, re) => {
    let err: unknown;
    try {
      loadCaBundle({ path: p, from: "AWS_CA_BUNDLE" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaBundleError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain("\n");
  });
});
