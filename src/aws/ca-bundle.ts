/**
 * A private CA to trust (a corporate TLS-intercepting proxy, a VPC endpoint behind one, `flexcopy emulator --tls`),
 * found as the AWS CLI finds it. AWS CLI User Guide, "Command line options": `--ca-bundle` "overrides the value for
 * the profile setting ca_bundle and the AWS_CA_BUNDLE environment variable"; "Environment variables to configure the
 * AWS CLI": AWS_CA_BUNDLE overrides the profile's `ca_bundle`. So: flexcopy's own setting (--ca-bundle,
 * FLEXCOPY_CA_BUNDLE, caBundle in a config file) > AWS_CA_BUNDLE > `ca_bundle` of the profile in ~/.aws/config
 * (AWS_CONFIG_FILE; the profile is --profile, else AWS_PROFILE, else default). As with the AWS CLI, the bundle
 * replaces the default trust store: list every CA the endpoints need in it. The AWS SDK for JavaScript reads none of
 * these itself, so clients.ts gives its agents the certificates.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

/** An unusable CA bundle: the message is one line naming the file and where the setting came from. */
export class CaBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaBundleError";
  }
}

export interface CaBundle {
  /** The PEM text of every certificate in the file. */
  pem: string;
  path: string;
  /** Where the path was set: "--ca-bundle", "AWS_CA_BUNDLE", "ca_bundle of profile NAME". */
  from: string;
  certificates: number;
}

export interface CaBundleLookup {
  /** flexcopy's own setting (flag, FLEXCOPY_CA_BUNDLE, config file). */
  setting?: string | undefined;
  profile?: string | undefined;
  env?: Record<string, string | undefined>;
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(homedir(), p.slice(1)) : p;
}

/**
 * `key` of `profile` in an AWS config file: sections `[default]` / `[profile NAME]`, `key = value` lines (the
 * file's nested sub-sections, indented under a key such as `s3 =`, are not top-level keys).
 */
export function profileValue(text: string, profile: string, key: string): string | undefined {
  let inProfile = false;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || raw.trim() === "") continue;
    const section = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(raw);
    if (section) {
      const name = section[1]!.replace(/^profile\s+/, "");
      inProfile = name === profile;
      continue;
    }
    if (!inProfile || /^\s/.test(raw)) continue;
    const kv = /^([^=]+?)\s*=\s*(.*?)\s*$/.exec(raw);
    if (kv && kv[1]!.trim() === key) return kv[2];
  }
  return undefined;
}

/** Where the CA bundle is set, if anywhere (see the precedence above). */
export function caBundlePath(o: CaBundleLookup): { path: string; from: string } | undefined {
  const env = o.env ?? process.env;
  if (o.setting) return { path: o.setting, from: "--ca-bundle" };
  if (env.AWS_CA_BUNDLE) return { path: env.AWS_CA_BUNDLE, from: "AWS_CA_BUNDLE" };
  const profile = o.profile || env.AWS_PROFILE || "default";
  const file = env.AWS_CONFIG_FILE ? expandHome(env.AWS_CONFIG_FILE) : path.join(homedir(), ".aws", "config");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined; // no config file: nothing set there (the SDK's credential chain reports its own problems)
  }
  const v = profileValue(text, profile, "ca_bundle");
  return v ? { path: v, from: `ca_bundle of profile ${profile} in ${file}` } : undefined;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads and checks the bundle: a readable file of one or more PEM certificates. Throws CaBundleError. */
export function loadCaBundle(where: { path: string; from: string }): CaBundle {
  const file = expandHome(where.path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CaBundleError(`${where.from}: cannot read ${where.path}: ${code}`);
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new CaBundleError(`${where.from}: ${where.path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  blocks.forEach((b, i) => {
    try {
      new X509Certificate(b);
    } catch {
      throw new CaBundleError(`${where.from}: certificate ${i + 1} in ${where.path} is not a valid X.509 certificate`);
    }
  });
  return { pem: blocks.join("\n") + "\n", path: file, from: where.from, certificates: blocks.length };
}

/** The CA bundle to trust, or undefined for Node's default trust store. Throws CaBundleError. */
export function resolveCaBundle(o: CaBundleLookup): CaBundle | undefined {
  const where = caBundlePath(o);
  return where ? loadCaBundle(where) : undefined;
}
