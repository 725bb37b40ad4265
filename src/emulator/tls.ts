// `--tls`: a private CA and a server certificate for localhost / 127.0.0.1 / ::1, made at start. Node's crypto
// makes keys and signatures but no X.509 certificates, so @peculiar/x509 builds them over WebCrypto (ECDSA P-256,
// SHA-256); it needs the reflect-metadata polyfill (its tsyringe container), loaded here only, so the emulator's
// plain-HTTP mode and the rest of flexcopy never load it. No openssl binary is involved.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { webcrypto } from "node:crypto";

export interface TlsMaterial {
  /** The CA certificate (PEM): what a client trusts (--ca-bundle, AWS_CA_BUNDLE). */
  caPem: string;
  /** The server's certificate (PEM), signed by the CA. */
  certPem: string;
  /** The server's private key (PKCS#8 PEM). */
  keyPem: string;
}

/** The names the server certificate always covers. */
export const TLS_HOSTNAMES = ["localhost", "127.0.0.1", "::1"] as const;

const DAY = 86_400_000;
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)?.join("\n") ?? ""}\n-----END ${label}-----\n`;
}

function serial(): string {
  // A positive serial number (RFC 5280 4.1.2.2: up to 20 octets, non-negative).
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] as number) & 0x7f;
  return Buffer.from(b).toString("hex");
}

/** A fresh CA (valid 30 days) and a server certificate for TLS_HOSTNAMES plus `extraHostnames`. */
export async function makeTlsMaterial(extraHostnames: string[] = []): Promise<TlsMaterial> {
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const notBefore = new Date(Date.now() - DAY); // a client clock a little behind still accepts it
  const notAfter = new Date(Date.now() + 30 * DAY);
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=flexcopy emulator CA, O=flexcopy emulator",
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const names = [...new Set([...TLS_HOSTNAMES, ...extraHostnames])];
  const isIp = (n: string): boolean => /^[\d.]+$/.test(n) || n.includes(":");
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=localhost",
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIp(n) ? "ip" : "dns", value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caPem: ca.toString("pem") + "\n", certPem: cert.toString("pem") + "\n", keyPem: pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)) };
}

/** Writes the CA certificate to a new private directory; returns its path and a remover. */
export function writeCaFile(caPem: string): { caFile: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "flexcopy-emulator-tls-"));
  const caFile = path.join(dir, "ca.pem");
  writeFileSync(caFile, caPem, { mode: 0o644 });
  return { caFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** s3:TlsVersion from a TLS socket's negotiated protocol: "TLSv1.3" -> "1.3" (S3 User Guide, condition keys). */
export function tlsVersionOf(protocol: string | null | undefined): string | undefined {
  const m = /^TLSv(\d(?:\.\d)?)$/.exec(protocol ?? "");
  if (!m) return undefined;
  return m[1]!.includes(".") ? m[1] : `${m[1]}.0`;
}
