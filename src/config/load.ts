import { join, resolve } from "node:path";
import { FileReadError, readRegularFile } from "./read-file.js";
import { ConfigError, configKeys, configSchema, defaultRoleArn, type FlexConfig } from "./schema.js";

/** A config file holds a few settings: anything larger is not one. */
export const MAX_CONFIG_BYTES = 1 << 20;

export interface ConfigSources {
  flags: Record<string, unknown>;
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
  configPath?: string;
}

/** Where each setting came from: "flag", "env", a config file path, or "default". */
export type ConfigOrigins = Partial<Record<keyof FlexConfig, string>>;

export interface ResolvedConfig {
  config: FlexConfig;
  origins: ConfigOrigins;
  /** The config file that was read, if any. */
  file?: string;
}

/** flags > FLEXCOPY_* environment > config file > defaults. Throws ConfigError on any bad value. */
export async function loadConfig(src: ConfigSources): Promise<FlexConfig> {
  return (await resolveConfig(src)).config;
}

/** Like loadConfig, and also reports where each value came from (for `flexcopy doctor`). */
export async function resolveConfig(src: ConfigSources): Promise<ResolvedConfig> {
  const keys = configKeys();
  const file = await readConfigFile(src);
  if (file) checkFileValues(file);
  const raw: Record<string, unknown> = {};
  const origins: ConfigOrigins = {};
  for (const k of keys) {
    const flagValue = src.flags[k.key];
    const envValue = src.env[k.env];
    if (flagValue !== undefined && flagValue !== null) {
      raw[k.key] = flagValue;
      origins[k.key] = "flag";
    } else if (envValue !== undefined && envValue.trim() !== "") {
      raw[k.key] = envValue;
      origins[k.key] = k.env;
    } else if (file && file.values[k.key] !== undefined && file.values[k.key] !== null) {
      raw[k.key] = file.values[k.key];
      origins[k.key] = file.path;
    } else {
      origins[k.key] = "default";
    }
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path[0];
    const k = keys.find((x) => x.key === key) ?? keys[0];
    if (!k) throw new ConfigError("config", "invalid configuration");
    const from = origins[k.key] === "flag" ? "" : ` from ${origins[k.key]}`;
    throw new ConfigError(k.flag, `${k.flag} ${issue?.message ?? "is invalid"} (got ${show(raw[k.key])}${from})`);
  }
  const config: FlexConfig = { ...parsed.data };
  // With aws:kms and no key id S3 uses the AWS managed key aws/s3 (S3 API Reference, PutObject:
  // x-amz-server-side-encryption-aws-kms-key-id), which the provider's role, another account, cannot use.
  if (config.sse === "aws:kms" && config.sseKmsKeyId === undefined) {
    throw new ConfigError(
      flagOf("sseKmsKeyId"),
      `${flagOf("sse")} aws:kms needs ${flagOf("sseKmsKeyId")} <key ARN>: without it S3 would use your AWS managed key aws/s3, which the provider's role (another account) cannot use`,
    );
  }
  if (config.sseKmsKeyId !== undefined && config.sse !== "aws:kms") {
    throw new ConfigError(flagOf("sseKmsKeyId"), `${flagOf("sseKmsKeyId")} needs ${flagOf("sse")} aws:kms (got ${flagOf("sse")} ${config.sse ?? "unset"})`);
  }
  if (config.roleArn === undefined && config.accountId !== undefined) {
    config.roleArn = defaultRoleArn(config.accountId);
    origins.roleArn = `derived from ${flagOf("accountId")}`;
  }
  return file ? { config, origins, file: file.path } : { config, origins };
}

/**
 * Every value of the config file must be valid, also those a flag or FLEXCOPY_* variable overrides
 * today: the file is used again when the override is gone.
 */
function checkFileValues(file: { path: string; values: Record<string, unknown> }): void {
  for (const k of configKeys()) {
    const value = file.values[k.key];
    if (value === undefined || value === null) continue;
    const r = configSchema.shape[k.key].safeParse(value);
    if (!r.success) throw new ConfigError(k.flag, `${k.flag} ${r.error.issues[0]?.message ?? "is invalid"} (got ${show(value)} from ${file.path})`);
  }
}

function flagOf(key: keyof FlexConfig): string {
  return configKeys().find((k) => k.key === key)?.flag ?? key;
}

function show(v: unknown): string {
  const text = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The config file candidates in order: an explicit path, else ./flexcopy.config.json, else ~/.config/flexcopy/config.json. */
export function configFileCandidates(src: Pick<ConfigSources, "cwd" | "home" | "configPath" | "env">): { path: string; explicit: boolean }[] {
  const explicit = src.configPath ?? nonEmpty(src.env["FLEXCOPY_CONFIG"]);
  if (explicit !== undefined) return [{ path: resolve(src.cwd, explicit), explicit: true }];
  return [
    { path: join(src.cwd, "flexcopy.config.json"), explicit: false },
    { path: join(src.home, ".config", "flexcopy", "config.json"), explicit: false },
  ];
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s.trim() === "" ? undefined : s);

async function readConfigFile(src: ConfigSources): Promise<{ path: string; values: Record<string, unknown> } | undefined> {
  for (const { path, explicit } of configFileCandidates(src)) {
    let text: string;
    try {
      text = readRegularFile(path, MAX_CONFIG_BYTES);
    } catch (err) {
      const code = err instanceof FileReadError ? err.code : (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" && !explicit) continue;
      if (code === "ENOENT") throw new ConfigError("--config", `--config file not found: ${path}`);
      throw new ConfigError("--config", `cannot read config file ${path}: ${err instanceof FileReadError ? err.reason : (code ?? "unknown error")}`);
    }
    return { path, values: parseConfigText(text, path) };
  }
  return undefined;
}

/** Parses a config file's JSON; unknown keys and non-objects are ConfigErrors naming the file. */
export function parseConfigText(text: string, path: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    const detail = err instanceof Error ? err.message.split("\n")[0] : "";
    throw new ConfigError("--config", `config file ${path} is not valid JSON: ${detail}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new ConfigError("--config", `config file ${path} must hold a JSON object of settings`);
  }
  const known = new Set<string>(configKeys().map((k) => k.key));
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === "$schema") continue;
    if (!known.has(key)) {
      const hint = suggest(key, [...known]);
      throw new ConfigError(key, `unknown setting "${key}" in ${path}${hint ? ` (did you mean "${hint}"?)` : ""}`);
    }
    values[key] = value;
  }
  return values;
}

function suggest(key: string, known: string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_]/g, "");
  return known.find((k) => norm(k) === norm(key));
}
