// The options of `flexcopy emulator`: their definitions, parsers and the EmulatorOptions they make. The parsers
// are commander's argParsers (InvalidArgumentError -> one line `flexcopy: error: ...`, exit 2); rates reuse
// config/sizes.ts. The command itself (cli/commands/emulator.ts) only runs the server.
import { readFileSync } from "node:fs";
import { InvalidArgumentError, Option, type Command } from "commander";
import { parseRate } from "../config/sizes.js";
import { parsePolicy } from "../iam/document.js";
import type { EmulatorOptions, Faults, ObjectOwnership, UserPolicy } from "../emulator/index.js";
import { loadSeed, SEED_HELP } from "../emulator/seed/seed.js";
import { parseSelectors, SelectorError } from "../plan/selectors.js";
import { UsageError } from "./errors.js";

export interface EmulatorFlags {
  port: number;
  seed: string;
  accountId?: string;
  destBucket?: string[];
  contract?: string[];
  externalId?: string;
  tokenTtl?: number;
  /** a policy file, false (--no-bucket-policy), or undefined (the manual's policy) */
  bucketPolicy?: string | false;
  objectOwnership?: ObjectOwnership;
  initiatorMayAbort?: boolean;
  userPolicy?: UserPolicy;
  kmsKeyGrant?: string[];
  tls?: boolean;
  orgId?: string;
  /** false with --no-block-public-access */
  blockPublicAccess?: boolean;
  latency?: number;
  copyRate?: number;
  timeScale?: number;
  slowdownRate?: number;
  errorRate?: number;
  resetRate?: number;
  copyErrorRate?: number;
  maxInflight?: number;
  maxRate?: number;
  logLimit?: number;
}

// ---- option parsers (commander calls them; InvalidArgumentError -> one line, exit 2) ----

function intIn(name: string, min: number, max: number) {
  return (v: string): number => {
    const t = v.trim();
    const n = Number(t);
    if (t === "" || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

export const parsePort = intIn("port", 0, 65535);
export const parseTokenTtl = intIn("token TTL (seconds)", 1, 129600);
export const parseLogLimit = intIn("log limit", 0, 10_000_000);
export const parseMaxInflight = intIn("max in-flight writes", 0, 1_000_000);
export const parseMaxRate = intIn("max rate (write requests per second per prefix)", 0, 1_000_000);

export function parseLatency(v: string): number {
  const t = v.trim().replace(/ms$/i, "");
  const n = Number(t);
  if (t === "" || !Number.isFinite(n) || n < 0 || n > 600_000) throw new InvalidArgumentError("latency must be milliseconds from 0 to 600000, e.g. 20.");
  return n;
}

export function parseTimeScale(v: string): number {
  const t = v.trim().replace(/^x|x$/i, "");
  const n = Number(t);
  if (t === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("time scale must be a number > 0 (e.g. 60 = modelled delays run 60x faster).");
  return n;
}

export function parseProbability(name: string) {
  return (v: string): number => {
    const t = v.trim();
    const pct = t.endsWith("%");
    const n = Number(pct ? t.slice(0, -1) : t) / (pct ? 100 : 1);
    if (t === "" || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a probability from 0 to 1 (or 0%–100%), e.g. 0.01.`);
    return n;
  };
}

/**
 * "200MB/s", "1GiB/s", "1048576" (bytes/s), "200Mbps" / "200Mbit/s" (bits: ÷8), "0" or "inf" = unlimited.
 * A lower-case "b" before "ps"/"it" means bits, as network people write it.
 */
export function parseCopyRate(v: string): number {
  const t = v.trim();
  if (/^(0|inf|infinite|unlimited)$/i.test(t)) return 0;
  const bits = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:bps|bit\/s|bits\/s)$/.exec(t);
  if (bits) {
    const mult = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[(bits[2] ?? "").toLowerCase()] ?? 1;
    const n = Math.round((Number(bits[1]) * mult) / 8);
    if (n > 0) return n;
  } else {
    try {
      const n = parseRate(t);
      if (n > 0) return n;
    } catch {
      // fall through to the one-line error below
    }
  }
  throw new InvalidArgumentError('copy rate must be bytes per second with an optional unit, e.g. "200MB/s", "1GiB/s", "200Mbps" (bits), or 0 for unlimited.');
}

export function parseSeedSpec(v: string): string {
  const t = v.trim();
  if (t === "") throw new InvalidArgumentError(`${SEED_HELP}.`);
  try {
    loadSeed(t); // validates eagerly (cheap: year seeds generate lazily, files are read once)
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
  return t;
}

export function parseAccountId(v: string): string {
  const t = v.trim();
  if (!/^\d{12}$/.test(t)) throw new InvalidArgumentError("account id must be 12 digits, e.g. 123456789012.");
  return t;
}

/** AWS Organizations API Reference, Organization: Id pattern ^o-[a-z0-9]{10,32}$. */
export function parseOrgId(v: string): string {
  const t = v.trim();
  if (!/^o-[a-z0-9]{10,32}$/.test(t)) throw new InvalidArgumentError('organization id must be "o-" and 10 to 32 lower-case letters or digits, e.g. o-a1b2c3d4e5.');
  return t;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function collectKeys(v: string, prev: string[] | undefined): string[] {
  if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(v.trim())) throw new InvalidArgumentError(`"${v}" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>).`);
  return [...(prev ?? []), v.trim()];
}

function collectBuckets(v: string, prev: string[] | undefined): string[] {
  const out = [...(prev ?? [])];
  for (const b of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!BUCKET_RE.test(b) || b.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(b)) {
      throw new InvalidArgumentError(`"${b}" is not a valid S3 bucket name (3–63 lower-case letters, digits, dots, hyphens).`);
    }
    if (!out.includes(b)) out.push(b);
  }
  if (out.length === 0) throw new InvalidArgumentError("bucket name must not be empty.");
  return out;
}

/**
 * "2021/05", "2021", "2021/05/10..2021/06/03", or a key prefix such as "testdata" / "ConnectionSpec".
 * Dates are checked by the same parser as fetch's selectors (plan/selectors.ts); the emulator's
 * matcher understands closed ranges and plain dates only, so open ranges and words are refused.
 */
function collectPeriods(v: string, prev: string[] | undefined): string[] {
  const out = [...(prev ?? [])];
  for (const p of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (/^[\d/.\s]+$/.test(p)) {
      if (p.includes("..") && !/^[^.]+\.\.[^.]+$/.test(p)) throw new InvalidArgumentError(`contract period "${p}": a range is FROM..TO, e.g. 2021/05/10..2021/06/03.`);
      try {
        parseSelectors([p]);
      } catch (err) {
        if (err instanceof SelectorError) throw new InvalidArgumentError(`contract period ${err.message.replace(/^invalid selector /, "")}.`);
        throw err;
      }
    }
    out.push(p);
  }
  if (out.length === 0) throw new InvalidArgumentError("contract period must not be empty.");
  return out;
}

export function emulatorOptionsFromFlags(f: EmulatorFlags): EmulatorOptions {
  const faults: Partial<Faults> = {};
  if (f.latency !== undefined) faults.latencyMs = f.latency;
  if (f.copyRate !== undefined) faults.copyRateBytesPerSec = f.copyRate;
  if (f.timeScale !== undefined) faults.timeScale = f.timeScale;
  if (f.slowdownRate !== undefined) faults.slowDownRate = f.slowdownRate;
  if (f.errorRate !== undefined) faults.internalErrorRate = f.errorRate;
  if (f.resetRate !== undefined) faults.resetRate = f.resetRate;
  if (f.copyErrorRate !== undefined) faults.copyErrorBodyRate = f.copyErrorRate;
  if (f.maxInflight !== undefined) faults.maxInflight = f.maxInflight;
  if (f.maxRate !== undefined) faults.maxRate = f.maxRate;
  const o: EmulatorOptions = { port: f.port, seed: f.seed, faults };
  if (f.bucketPolicy === false) o.bucketPolicy = false;
  else if (f.bucketPolicy !== undefined) o.bucketPolicy = readPolicyFile(f.bucketPolicy);
  if (f.objectOwnership !== undefined) o.objectOwnership = f.objectOwnership;
  if (f.initiatorMayAbort) o.initiatorMayAbort = true;
  if (f.userPolicy !== undefined) o.userPolicy = f.userPolicy;
  if (f.kmsKeyGrant !== undefined) o.kmsKeyGrants = f.kmsKeyGrant;
  if (f.accountId !== undefined) o.accountId = f.accountId;
  if (f.destBucket !== undefined) o.destBuckets = f.destBucket;
  if (f.contract !== undefined) o.contractedPeriods = f.contract;
  if (f.externalId !== undefined) o.externalId = f.externalId;
  if (f.tokenTtl !== undefined) o.tokenTtlSeconds = f.tokenTtl;
  if (f.logLimit !== undefined) o.requestLogLimit = f.logLimit;
  if (f.tls) o.tls = true;
  if (f.orgId !== undefined) o.orgId = f.orgId;
  if (f.blockPublicAccess === false) o.blockPublicAccess = false;
  return o;
}

/** A bucket policy file for --bucket-policy: JSON text, checked the way PutBucketPolicy checks it. */
export function readPolicyFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`--bucket-policy: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    parsePolicy(text);
  } catch (err) {
    throw new UsageError(`--bucket-policy ${path}: not a valid policy: ${(err as Error).message}`);
  }
  return text;
}

const OWNERSHIP_VALUES: ObjectOwnership[] = ["ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced"];

/** Adds the emulator's options to `cmd`, in the order --help lists them. */
export function withEmulatorOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--port <n>", "TCP port on 127.0.0.1 (0 = a free port)").argParser(parsePort).default(0))
    .addOption(new Option("--seed <seed>", "source bucket contents: demo | year:YYYY | years:YYYY-YYYY | archive | none | layout.json").argParser(parseSeedSpec).default("demo"))
    .addOption(new Option("--account-id <id>", "your (customer) AWS account id, 12 digits; the role is JeuServiceRoleForS3Copy_<id> (default: 123456789012)").argParser(parseAccountId))
    .addOption(new Option("--dest-bucket <name>", "a destination bucket owned by your account; repeatable or comma-separated (default: flex-dest)").argParser(collectBuckets))
    .addOption(new Option("--contract <period>", "contracted period the role may read: 2021, 2021/05, 2021/05/10..2021/06/03, testdata, ConnectionSpec; repeatable (default: everything)").argParser(collectPeriods))
    .addOption(new Option("--external-id <id>", "require this ExternalId on AssumeRole"))
    .addOption(new Option("--token-ttl <seconds>", "issued role credentials expire after this many seconds (default: the requested DurationSeconds)").argParser(parseTokenTtl))
    .addOption(new Option("--bucket-policy <file>", "your buckets' bucket policy (JSON; ${bucket} and ${roleArn} are filled in) instead of the manual's (default: flexcopy policy --bucket-policy)"))
    .addOption(new Option("--no-bucket-policy", "no bucket policy on your buckets (the provider has not finished setup, or you have not applied it): the role gets AccessDenied there"))
    .addOption(new Option("--object-ownership <mode>", "Object Ownership of your buckets (default: ObjectWriter)").choices(OWNERSHIP_VALUES))
    .addOption(new Option("--initiator-may-abort", "the role may abort and list parts of uploads it started whatever the bucket policy says (one reading of S3's documentation; default: policies only)"))
    .addOption(
      new Option(
        "--user-policy <policy>",
        "your IAM user's rights: bucket-admin (the manual's sts:AssumeRole plus full use of your buckets) or manual (sts:AssumeRole only, the user the manual has you create) (default: bucket-admin)",
      ).choices(["bucket-admin", "manual"]),
    )
    .addOption(
      new Option("--kms-key-grant <arn>", "a KMS key the provider's role may encrypt with (its key policy and the role's IAM policy allow it); repeatable (default: none, SSE-KMS writes by the role are refused)").argParser(
        collectKeys,
      ),
    )
    .addOption(new Option("--tls", "serve HTTPS with a private CA made at start (its file is named in the startup line as caBundle: pass it to flexcopy --ca-bundle or AWS_CA_BUNDLE); requests then carry aws:SecureTransport true and s3:TlsVersion"))
    .addOption(new Option("--org-id <o-id>", "put your account in this AWS organization (aws:PrincipalOrgID, aws:ResourceOrgID); the provider's account is outside it (default: no organization)").argParser(parseOrgId))
    .addOption(new Option("--no-block-public-access", "your buckets have no Block Public Access configuration (default: all four settings on, as on new buckets since April 2023: a public bucket policy is refused)"))
    .addOption(new Option("--latency <ms>", "added latency per request, milliseconds (default: 0)").argParser(parseLatency))
    .addOption(new Option("--copy-rate <rate>", "server-side copy speed, e.g. 200MB/s, 1GiB/s, 200Mbps; 0 = unlimited (default: 0)").argParser(parseCopyRate))
    .addOption(new Option("--time-scale <n>", "divide every modelled delay by n (default: 1)").argParser(parseTimeScale))
    .addOption(new Option("--slowdown-rate <p>", "probability of 503 SlowDown per request (default: 0)").argParser(parseProbability("slowdown rate")))
    .addOption(new Option("--error-rate <p>", "probability of 500 InternalError per request (default: 0)").argParser(parseProbability("error rate")))
    .addOption(new Option("--reset-rate <p>", "probability of a dropped connection per request (default: 0)").argParser(parseProbability("reset rate")))
    .addOption(new Option("--copy-error-rate <p>", "probability of a 200 OK copy response carrying an error body (default: 0)").argParser(parseProbability("copy error rate")))
    .addOption(new Option("--max-inflight <n>", "S3's push-back: above n write requests (PUT/COPY/POST/DELETE) in flight answer 503 SlowDown; 0 = unlimited (default: 0)").argParser(parseMaxInflight))
    .addOption(
      new Option(
        "--max-rate <n>",
        "S3's documented push-back: above n write requests (PUT/COPY/POST/DELETE) per second per prefix (the key's folder, e.g. a day) answer 503 SlowDown; S3 serves at least 3,500; 0 = unlimited (default: 0)",
      ).argParser(parseMaxRate),
    )
    .addOption(new Option("--log-limit <n>", "request log ring-buffer entries, 0 = off (default: 10000)").argParser(parseLogLimit));
}
