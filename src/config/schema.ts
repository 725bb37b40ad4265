import { z } from "zod";
import { MAX_PART_SIZE, MIN_PART_SIZE } from "../engine/parts.js";
import { parseSize } from "./sizes.js";

/** A bad setting. The message is one line naming the setting as its flag and what is allowed. */
export class ConfigError extends Error {
  constructor(
    public setting: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

export const PROVIDER_ACCOUNT_ID = "461810399597";
export const DEFAULT_SOURCE_BUCKET = "dataservice-flex-bucket";
/**
 * Ceiling of `--concurrency auto`, by measurement (bench case 4, the year 2023 with multipart allowed, on
 * the emulator's model): 256 took 15.7 modelled minutes at 241 MiB peak RSS; 320 took 13.9 min; 384 took
 * 11.6 min at 232 MiB (with objects in flight capped at the limit + 64). Above what S3 takes (3,500
 * PUT/COPY per second per prefix, ~250 small copies in flight) `auto` backs off on 503 SlowDown.
 */
export const DEFAULT_MAX_CONCURRENCY = 384;
const CONCURRENCY = 'must be "auto" or a whole number from 1 to 1024';

/** The provider's role for a customer account. */
export function defaultRoleArn(accountId: string): string {
  return `arn:aws:iam::${PROVIDER_ACCOUNT_ID}:role/JeuServiceRoleForS3Copy_${accountId}`;
}

// ---- field schemas: each accepts what flags, env or JSON give and yields the typed value ----

const toInt = (v: unknown): unknown => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v);
const toBool = (v: unknown): unknown => {
  if (typeof v !== "string") return v;
  const t = v.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(t)) return true;
  if (["false", "0", "no", "off"].includes(t)) return false;
  return v;
};
const toSize = (v: unknown): unknown => {
  if (typeof v !== "string") return v;
  try {
    return parseSize(v);
  } catch {
    return v;
  }
};
const toSeconds = (v: unknown): unknown => {
  if (typeof v !== "string") return v;
  const m = /^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s?)?\s*$/i.exec(v);
  if (!m || (m[1] ?? m[2] ?? m[3]) === undefined) return v;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
};

const int = (min: number, max: number, error: string) =>
  z.preprocess(toInt, z.number({ error }).int({ error }).min(min, { error }).max(max, { error }));
const size = (min: number, max: number, error: string) =>
  z.preprocess(toSize, z.number({ error }).int({ error }).min(min, { error }).max(max, { error }));

const BUCKET = "must be an S3 bucket name";
const bucket = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().replace(/^s3:\/\//i, "").replace(/\/$/, "") : v),
  z
    .string({ error: `${BUCKET} (3-63 lowercase letters, digits, dots, hyphens)` })
    .min(3, { error: `${BUCKET}: 3 to 63 characters`, abort: true })
    .max(63, { error: `${BUCKET}: 3 to 63 characters`, abort: true })
    .regex(/^[a-z0-9.-]+$/, { error: `${BUCKET}: only lowercase letters, digits, dots and hyphens (no path)`, abort: true })
    .regex(/^[a-z0-9].*[a-z0-9]$/, { error: `${BUCKET}: must begin and end with a letter or digit`, abort: true })
    .refine((s) => !s.includes(".."), { error: `${BUCKET}: must not contain ".."`, abort: true })
    .refine((s) => !/^\d+\.\d+\.\d+\.\d+$/.test(s), { error: `${BUCKET}: must not look like an IP address`, abort: true })
    .refine((s) => !s.startsWith("xn--"), { error: `${BUCKET}: must not start with "xn--"`, abort: true })
    .refine((s) => !s.endsWith("-s3alias"), { error: `${BUCKET}: must not end with "-s3alias"`, abort: true }),
);
const httpUrl = (error: string) =>
  z.string({ error }).refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
      return false;
    }
  }, { error });
const toDigits = (v: unknown): unknown =>
  // A config file may hold the account id as a JSON number; keep its digits.
  typeof v === "number" && Number.isSafeInteger(v) ? String(v) : typeof v === "string" ? v.trim() : v;
const DURATION = 'must be 900 to 43200 seconds, e.g. "3600", "90m" or "12h"';
const GIVE_UP = 'must be 1 to 86400 seconds, e.g. "60", "5m"';
const TIMEOUT = 'must be 1 to 900 seconds, e.g. "30", "2m"';
const nonEmpty = (error: string) => z.string({ error }).trim().min(1, { error });

/** The commands that take settings as flags. */
export type CommandName = "fetch" | "spec" | "ls" | "verify" | "cleanup" | "policy" | "init" | "doctor";
/** Who reads a setting whose entry names no `commands`: the copy commands. (init lists every setting: it writes any.) */
export const COPY_COMMANDS: readonly CommandName[] = ["fetch", "spec"];
/** Commands that reach AWS (assume the role, list, copy): they read the connection settings. */
const AWS_COMMANDS: readonly CommandName[] = ["fetch", "spec", "ls", "verify", "cleanup", "doctor"];
/** Commands that name the provider's role: the AWS commands and policy (which writes it into the policies). */
const ROLE_COMMANDS: readonly CommandName[] = [...AWS_COMMANDS, "policy"];
/** Commands that send requests through the engine's Requester (its concurrency and attempts). */
const REQUEST_COMMANDS: readonly CommandName[] = ["fetch", "spec", "ls", "verify", "cleanup"];

export type SettingType = "string" | "integer" | "size" | "duration" | "boolean" | "choice";

/**
 * One setting: its zod schema (validation, and the default as `.default(v)`; `.optional()` when there
 * is none), how it is written on the command line, and its help. Flag, env name, help default, the
 * FlexConfig type and configSchema are all derived from these entries: adding a setting is one entry.
 */
interface Setting<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** How the value is written on the command line: "boolean" flags take no value. */
  type: SettingType;
  help: string;
  /** Help text for a default that is derived from other settings rather than a constant. */
  derivedDefault?: string;
  choices?: readonly string[];
  /**
   * The commands that read it: its flag shows in those commands' --help (and init's, which writes any setting
   * to the config file) only. Absent: the copy commands, fetch and spec (COPY_COMMANDS).
   */
  commands?: readonly CommandName[];
}
const setting = <S extends z.ZodType>(s: Setting<S>): Setting<S> => s;

const CREDENTIAL_SOURCES = ["assume-role", "env"] as const;
/** x-amz-server-side-encryption values flexcopy may send (SSE-S3, SSE-KMS). */
export const SSE_VALUES = ["AES256", "aws:kms"] as const;
const KMS_KEY = "must be a KMS key ARN, e.g. arn:aws:kms:ap-northeast-1:123456789012:key/<id> (an alias ARN works too)";
const URL_ERROR = "must be an http:// or https:// URL";
/**
 * x-amz-storage-class values flexcopy may send, as `aws s3 cp --storage-class` takes them (S3 API Reference,
 * CopyObject / CreateMultipartUpload: StorageClass). REDUCED_REDUNDANCY is left out (not recommended by AWS,
 * and no cheaper), as are the directory-bucket and Outposts classes (EXPRESS_ONEZONE, OUTPOSTS).
 */
export const STORAGE_CLASSES = ["STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];
const STORAGE_CLASS_ERROR = `must be one of ${STORAGE_CLASSES.join(", ")}`;

/** Every setting flexcopy reads, in the order of `--help`. */
export const SETTINGS = {
  accountId: setting({
    commands: ROLE_COMMANDS,
    type: "string",
    help: "your 12-digit AWS account id (names the provider role)",
    schema: z.preprocess(toDigits, z.string({ error: "must be 12 digits" }).regex(/^\d{12}$/, { error: "must be 12 digits" })).optional(),
  }),
  destBucket: setting({
    commands: ROLE_COMMANDS,
    type: "string",
    help: "your S3 bucket that receives the copies",
    schema: bucket.optional(),
  }),
  sourceBucket: setting({
    commands: ["fetch", "spec", "ls", "verify", "cleanup", "doctor"],
    type: "string",
    help: "the provider's bucket",
    schema: bucket.default(DEFAULT_SOURCE_BUCKET),
  }),
  roleArn: setting({
    commands: ROLE_COMMANDS,
    type: "string",
    help: "role to assume",
    derivedDefault: defaultRoleArn("<account-id>"),
    schema: z
      .string({ error: "must look like arn:aws:iam::<12 digits>:role/<name>" })
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, { error: "must look like arn:aws:iam::<12 digits>:role/<name>" })
      .optional(),
  }),
  externalId: setting({
    commands: AWS_COMMANDS,
    type: "string",
    help: "external id for AssumeRole, if the provider gave you one",
    schema: z
      .string({ error: "must be 2-1224 characters of letters, digits and +=,.@:/-" })
      .regex(/^[\w+=,.@:/-]{2,1224}$/, { error: "must be 2-1224 characters of letters, digits and +=,.@:/-" })
      .optional(),
  }),
  sessionName: setting({
    commands: AWS_COMMANDS,
    type: "string",
    help: "AssumeRole session name (shows in CloudTrail)",
    schema: z
      .string({ error: "must be 2-64 characters of letters, digits and +=,.@-" })
      .regex(/^[\w+=,.@-]{2,64}$/, { error: "must be 2-64 characters of letters, digits and +=,.@-" })
      .default("flexcopy"),
  }),
  duration: setting({
    commands: AWS_COMMANDS,
    type: "duration",
    help: "AssumeRole session length: seconds or 15m..12h",
    schema: z
      .preprocess(toSeconds, z.number({ error: DURATION }).int({ error: DURATION }).min(900, { error: DURATION }).max(43200, { error: DURATION }))
      .default(43200),
  }),
  profile: setting({
    commands: AWS_COMMANDS,
    type: "string",
    help: "AWS profile for your own (base) credentials",
    schema: nonEmpty("must be a profile name").optional(),
  }),
  region: setting({
    commands: AWS_COMMANDS,
    type: "string",
    help: "AWS region of the buckets and STS",
    schema: z
      .string({ error: "must be an AWS region such as ap-northeast-1" })
      .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, { error: "must be an AWS region such as ap-northeast-1" })
      .default("ap-northeast-1"),
  }),
  endpointUrl: setting({
    commands: AWS_COMMANDS,
    type: "string",
    help: "S3 endpoint URL (emulator, VPC endpoint)",
    schema: httpUrl(URL_ERROR).optional(),
  }),
  stsEndpointUrl: setting({
    commands: AWS_COMMANDS,
    type: "string",
    help: "STS endpoint URL",
    schema: httpUrl(URL_ERROR).optional(),
  }),
  caBundle: setting({
    commands: AWS_COMMANDS,
    type: "string",
    help: "PEM file of the CA certificates to trust for HTTPS (a TLS-intercepting proxy, a private endpoint)",
    derivedDefault: "AWS_CA_BUNDLE, else the profile's ca_bundle",
    schema: nonEmpty("must be the path of a PEM file").optional(),
  }),
  forcePathStyle: setting({
    commands: AWS_COMMANDS,
    type: "boolean",
    help: "use path-style S3 URLs",
    schema: z.preprocess(toBool, z.boolean({ error: "must be true or false (or 1/0)" })).default(false),
  }),
  concurrency: setting({
    commands: REQUEST_COMMANDS,
    type: "string",
    help: "copy requests in flight at once: auto (adapts to S3's push-back) or a fixed number",
    schema: z.union([z.literal("auto"), int(1, 1024, CONCURRENCY)], { error: CONCURRENCY }).default("auto"),
  }),
  maxConcurrency: setting({
    commands: REQUEST_COMMANDS,
    type: "integer",
    help: "the most copy requests in flight that auto may reach",
    schema: int(1, 1024, "must be a whole number from 1 to 1024").default(DEFAULT_MAX_CONCURRENCY),
  }),
  concurrencyStart: setting({
    type: "integer",
    help: "where --concurrency auto starts (default: where the last run against the destination settled, else 8)",
    schema: int(1, 1024, "must be a whole number from 1 to 1024").optional(),
  }),
  partSize: setting({
    commands: ["fetch", "spec", "doctor"],
    type: "size",
    help: "part size for multipart copies",
    schema: size(MIN_PART_SIZE, MAX_PART_SIZE, 'must be a size from 5 MiB to 5 GiB, e.g. "128MiB"').default(128 * 2 ** 20),
  }),
  // 512 MiB: measured 2.2x faster than 4 GiB on FLEX-sized days (docs/benchmarks.md).
  multipartThreshold: setting({
    commands: ["fetch", "spec", "verify", "doctor"],
    type: "size",
    help: "objects this large or larger are copied in parts",
    schema: size(MIN_PART_SIZE, MAX_PART_SIZE, 'must be a size from 5 MiB to 5 GiB, e.g. "512MiB"').default(512 * 2 ** 20),
  }),
  maxAttempts: setting({
    commands: [...REQUEST_COMMANDS, "doctor"],
    type: "integer",
    help: "attempts per request before an object fails",
    schema: int(1, 100, "must be a whole number from 1 to 100").default(10),
  }),
  giveUpAfter: setting({
    commands: REQUEST_COMMANDS,
    type: "duration",
    help: "stop the run when no request has succeeded for this long while requests fail (the endpoint is gone): seconds or 1m..24h",
    schema: z.preprocess(toSeconds, z.number({ error: GIVE_UP }).int({ error: GIVE_UP }).min(1, { error: GIVE_UP }).max(86400, { error: GIVE_UP })).default(60),
  }),
  requestTimeout: setting({
    commands: AWS_COMMANDS,
    type: "duration",
    help: "time limit of a request that moves no data (listing, HEAD, STS, multipart housekeeping); copies wait up to 15m of silence",
    schema: z.preprocess(toSeconds, z.number({ error: TIMEOUT }).int({ error: TIMEOUT }).min(1, { error: TIMEOUT }).max(900, { error: TIMEOUT })).default(30),
  }),
  sse: setting({
    commands: ["fetch", "spec", "doctor"],
    type: "choice",
    help: "server-side encryption header on every copy: AES256 (SSE-S3) or aws:kms (SSE-KMS), for a bucket policy that requires one; default: none sent, your bucket's default encryption applies",
    choices: SSE_VALUES,
    schema: z.enum(SSE_VALUES, { error: 'must be "AES256" or "aws:kms"' }).optional(),
  }),
  sseKmsKeyId: setting({
    commands: ["fetch", "spec", "doctor"],
    type: "string",
    help: "with --sse aws:kms: the KMS key to encrypt with (ARN); its key policy must allow the provider's role kms:GenerateDataKey and kms:Decrypt",
    schema: z
      .string({ error: KMS_KEY })
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/+=,.@:-]+$/, { error: KMS_KEY })
      .optional(),
  }),
  storageClass: setting({
    commands: ["fetch", "spec", "doctor"],
    type: "choice",
    help: "storage class of the copies (x-amz-storage-class on CopyObject and CreateMultipartUpload), as aws s3 cp --storage-class; unset, none is sent",
    derivedDefault: "STANDARD",
    choices: STORAGE_CLASSES,
    schema: z.enum(STORAGE_CLASSES, { error: STORAGE_CLASS_ERROR }).optional(),
  }),
  priceFile: setting({
    type: "string",
    help: "with --dry-run: a JSON file of your S3 prices (any of the table's fields) for the cost estimate; default: ap-northeast-1's list prices",
    schema: nonEmpty("must be a file name").optional(),
  }),
  credentials: setting({
    commands: AWS_COMMANDS,
    type: "choice",
    help: "assume-role, or env to use temporary credentials already exported",
    choices: CREDENTIAL_SOURCES,
    schema: z.enum(CREDENTIAL_SOURCES, { error: 'must be "assume-role" or "env"' }).default("assume-role"),
  }),
};

type Settings = typeof SETTINGS;

/** zod schema of every setting, with defaults. `roleArn` is derived from `accountId` afterwards. */
export const configSchema = z.strictObject(
  Object.fromEntries(Object.entries(SETTINGS).map(([key, s]) => [key, s.schema])) as { [K in keyof Settings]: Settings[K]["schema"] },
);

/** Every setting flexcopy reads, after defaults are applied and values validated. */
export type FlexConfig = z.output<typeof configSchema>;

export interface ConfigKey {
  key: keyof FlexConfig;
  flag: string;
  env: string;
  description: string;
  defaultText?: string;
  type: SettingType;
  choices?: string[];
  /** The commands whose --help lists it (and that read its flag). */
  commands: readonly CommandName[];
}

const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** A default as `--help` shows it: "128 MiB", "43200 (12h)", "64", "false". */
function defaultText(s: Setting): string | undefined {
  const parsed = s.schema.safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  if (value === undefined) return s.derivedDefault;
  if (s.type === "size" && typeof value === "number") return exactSize(value);
  if (s.type === "duration" && typeof value === "number") return `${value} (${exactDuration(value)})`;
  return String(value);
}

function exactSize(n: number): string {
  for (const [unit, f] of [["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]] as const) if (n % f === 0) return `${n / f} ${unit}`;
  return `${n} B`;
}

function exactDuration(s: number): string {
  if (s % 3600 === 0) return `${s / 3600}h`;
  return s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** Flag names, env names and help of every setting, derived from SETTINGS. */
export function configKeys(): ConfigKey[] {
  return (Object.entries(SETTINGS) as [keyof FlexConfig, Setting][]).map(([key, s]) => {
    const text = defaultText(s);
    return {
      key,
      flag: `--${kebab(key)}`,
      env: `FLEXCOPY_${kebab(key).replace(/-/g, "_").toUpperCase()}`,
      description: s.help,
      ...(text === undefined ? {} : { defaultText: text }),
      type: s.type,
      ...(s.choices ? { choices: [...s.choices] } : {}),
      commands: s.commands ?? COPY_COMMANDS,
    };
  });
}

/** The headers every object-creating write carries besides the ACL: encryption (`--sse`), storage class (`--storage-class`). */
export function writeOptions(c: Pick<FlexConfig, "sse" | "sseKmsKeyId"> & Partial<Pick<FlexConfig, "storageClass">>): {
  sse?: "AES256" | "aws:kms";
  sseKmsKeyId?: string;
  storageClass?: StorageClass;
} {
  return { ...(c.sse ? { sse: c.sse } : {}), ...(c.sseKmsKeyId ? { sseKmsKeyId: c.sseKmsKeyId } : {}), ...(c.storageClass ? { storageClass: c.storageClass } : {}) };
}

/** The most copy requests a run may have in flight (sizes socket pools). */

export function concurrencyCeiling(c: Pick<FlexConfig, "concurrency" | "maxConcurrency">): number {
  return c.concurrency === "auto" ? c.maxConcurrency : c.concurrency;
}
