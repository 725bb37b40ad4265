import { z } from "zod";
import { parseSize } from "./sizes.js";

/** Every setting flexcopy reads, after defaults are applied and values validated. */
export interface FlexConfig {
  /** Your 12-digit AWS account id; names the provider role. */
  accountId?: string;
  /** Your bucket that receives the copies. */
  destBucket?: string;
  /** Provider bucket. Default "dataservice-flex-bucket". */
  sourceBucket: string;
  /** Default arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_<accountId>. */
  roleArn?: string;
  externalId?: string;
  /** Default "flexcopy". */
  sessionName: string;
  /** AssumeRole session length in seconds. Default 43200. */
  duration: number;
  profile?: string;
  /** Default "ap-northeast-1". */
  region: string;
  endpointUrl?: string;
  stsEndpointUrl?: string;
  /** Default false. */
  forcePathStyle: boolean;
  /** Copy requests in flight: "auto" (default, adaptive up to maxConcurrency) or a fixed number. */
  concurrency: number | "auto";
  /** Ceiling of `concurrency: "auto"`. Default 384 (DEFAULT_MAX_CONCURRENCY). */
  maxConcurrency: number;
  /** Bytes. Default 128 MiB. */
  partSize: number;
  /** Bytes. Default 512 MiB (measured: 2.2x faster than 4 GiB on FLEX-sized days, see README Benchmarks). */
  multipartThreshold: number;
  /** Default 10. */
  maxAttempts: number;
  /** Default "assume-role"; "env" uses temporary credentials already exported. */
  credentials: "assume-role" | "env";
}

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
export const MIN_PART = 5 * 2 ** 20;
/**
 * Ceiling of `--concurrency auto`, by measurement (bench case 4, the year 2023 with multipart allowed, on
 * the emulator's model): 256 took 15.7 modelled minutes at 241 MiB peak RSS; 320 took 13.9 min; 384 took
 * 11.6 min at 232 MiB (with objects in flight capped at the limit + 64). Above what S3 takes (3,500
 * PUT/COPY per second per prefix, ~250 small copies in flight) `auto` backs off on 503 SlowDown.
 */
export const DEFAULT_MAX_CONCURRENCY = 384;
export const MAX_PART = 5 * 2 ** 30;

/** The provider's role for a customer account. */
export function defaultRoleArn(accountId: string): string {
  return `arn:aws:iam::${PROVIDER_ACCOUNT_ID}:role/JeuServiceRoleForS3Copy_${accountId}`;
}

export type SettingType = "string" | "integer" | "size" | "duration" | "boolean" | "choice";

export interface ConfigKey {
  key: keyof FlexConfig;
  flag: string;
  env: string;
  description: string;
  defaultText?: string;
  /** How the value is written on the command line: "boolean" flags take no value. */
  type: SettingType;
  choices?: string[];
}

type Row = [keyof FlexConfig, SettingType, string, string?];

const ROWS: Row[] = [
  ["accountId", "string", "your 12-digit AWS account id (names the provider role)"],
  ["destBucket", "string", "your S3 bucket that receives the copies"],
  ["sourceBucket", "string", "the provider's bucket", DEFAULT_SOURCE_BUCKET],
  ["roleArn", "string", "role to assume", `arn:aws:iam::${PROVIDER_ACCOUNT_ID}:role/JeuServiceRoleForS3Copy_<account-id>`],
  ["externalId", "string", "external id for AssumeRole, if the provider gave you one"],
  ["sessionName", "string", "AssumeRole session name (shows in CloudTrail)", "flexcopy"],
  ["duration", "duration", "AssumeRole session length: seconds or 15m..12h", "43200 (12h)"],
  ["profile", "string", "AWS profile for your own (base) credentials"],
  ["region", "string", "AWS region of the buckets and STS", "ap-northeast-1"],
  ["endpointUrl", "string", "S3 endpoint URL (emulator, VPC endpoint)"],
  ["stsEndpointUrl", "string", "STS endpoint URL"],
  ["forcePathStyle", "boolean", "use path-style S3 URLs", "false"],
  ["concurrency", "string", "copy requests in flight at once: auto (adapts to S3's push-back) or a fixed number", "auto"],
  ["maxConcurrency", "integer", "the most copy requests in flight that auto may reach", String(DEFAULT_MAX_CONCURRENCY)],
  ["partSize", "size", "part size for multipart copies", "128 MiB"],
  ["multipartThreshold", "size", "objects this large or larger are copied in parts", "512 MiB"],
  ["maxAttempts", "integer", "attempts per request before an object fails", "10"],
  ["credentials", "choice", "assume-role, or env to use temporary credentials already exported", "assume-role"],
];

const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The most copy requests a run may have in flight (sizes socket pools). */
export function concurrencyCeiling(c: Pick<FlexConfig, "concurrency" | "maxConcurrency">): number {
  return c.concurrency === "auto" ? c.maxConcurrency : c.concurrency;
}

/** The single source of truth for flag names, env names and help text. */
export function configKeys(): ConfigKey[] {
  return ROWS.map(([key, type, description, defaultText]) => ({
    key,
    flag: `--${kebab(key)}`,
    env: `FLEXCOPY_${kebab(key).replace(/-/g, "_").toUpperCase()}`,
    description,
    ...(defaultText === undefined ? {} : { defaultText }),
    type,
    ...(key === "credentials" ? { choices: ["assume-role", "env"] } : {}),
  }));
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
const CONCURRENCY = 'must be "auto" or a whole number from 1 to 1024';
const nonEmpty = (error: string) => z.string({ error }).trim().min(1, { error });

/** zod schema of every setting, with defaults. `roleArn` is derived from `accountId` afterwards. */
export const configSchema = z.strictObject({
  accountId: z.preprocess(toDigits, z.string({ error: "must be 12 digits" }).regex(/^\d{12}$/, { error: "must be 12 digits" })).optional(),
  destBucket: bucket.optional(),
  sourceBucket: bucket.default(DEFAULT_SOURCE_BUCKET),
  roleArn: z
    .string({ error: "must look like arn:aws:iam::<12 digits>:role/<name>" })
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, { error: "must look like arn:aws:iam::<12 digits>:role/<name>" })
    .optional(),
  externalId: z
    .string({ error: "must be 2-1224 characters of letters, digits and +=,.@:/-" })
    .regex(/^[\w+=,.@:/-]{2,1224}$/, { error: "must be 2-1224 characters of letters, digits and +=,.@:/-" })
    .optional(),
  sessionName: z
    .string({ error: "must be 2-64 characters of letters, digits and +=,.@-" })
    .regex(/^[\w+=,.@-]{2,64}$/, { error: "must be 2-64 characters of letters, digits and +=,.@-" })
    .default("flexcopy"),
  duration: z
    .preprocess(toSeconds, z.number({ error: DURATION }).int({ error: DURATION }).min(900, { error: DURATION }).max(43200, { error: DURATION }))
    .default(43200),
  profile: nonEmpty("must be a profile name").optional(),
  region: z
    .string({ error: "must be an AWS region such as ap-northeast-1" })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, { error: "must be an AWS region such as ap-northeast-1" })
    .default("ap-northeast-1"),
  endpointUrl: httpUrl("must be an http:// or https:// URL").optional(),
  stsEndpointUrl: httpUrl("must be an http:// or https:// URL").optional(),
  forcePathStyle: z.preprocess(toBool, z.boolean({ error: "must be true or false (or 1/0)" })).default(false),
  concurrency: z
    .union([z.literal("auto"), int(1, 1024, CONCURRENCY)], { error: CONCURRENCY })
    .default("auto"),
  maxConcurrency: int(1, 1024, "must be a whole number from 1 to 1024").default(DEFAULT_MAX_CONCURRENCY),
  partSize: size(MIN_PART, MAX_PART, 'must be a size from 5 MiB to 5 GiB, e.g. "128MiB"').default(128 * 2 ** 20),
  multipartThreshold: size(MIN_PART, MAX_PART, 'must be a size from 5 MiB to 5 GiB, e.g. "512MiB"').default(512 * 2 ** 20),
  maxAttempts: int(1, 100, "must be a whole number from 1 to 100").default(10),
  credentials: z.enum(["assume-role", "env"], { error: 'must be "assume-role" or "env"' }).default("assume-role"),
});
