/**
 * `flexcopy init`: the settings a config file should hold, validated with the same schema as every
 * other source, reduced to the values that differ from the defaults, and written owner-only.
 */
import { chmod, open, rename, rm } from "node:fs/promises";
import { ensureWritableDir } from "../state/output-paths.js";
import { dirname, join } from "node:path";
import { ConfigError, configKeys, configSchema, type FlexConfig } from "../config/schema.js";

export type ConfigFileValues = Partial<Record<keyof FlexConfig, unknown>>;

/** AWS access key ids (long-term and temporary). Config files never hold credentials. */
const ACCESS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/;

/**
 * A value that is, or contains, a credential: an access key id, or one of the secrets this process
 * knows (e.g. AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
 */
export function looksLikeCredential(value: unknown, knownSecrets: (string | undefined)[]): boolean {
  if (typeof value !== "string") return false;
  if (ACCESS_KEY_ID.test(value)) return true;
  return knownSecrets.some((s) => s !== undefined && s.length >= 8 && value.includes(s));
}

/**
 * Validates raw values (flags, answers) with the config schema and keeps only those that differ from
 * the defaults. Sizes and durations keep the text the user typed ("256MiB"), other values their
 * parsed form (numbers, booleans). Throws ConfigError naming the flag.
 */
export function configFileValues(raw: ConfigFileValues, knownSecrets: (string | undefined)[] = []): ConfigFileValues {
  const keys = configKeys();
  for (const k of keys) {
    if (looksLikeCredential(raw[k.key], knownSecrets)) {
      throw new ConfigError(k.flag, `${k.flag} looks like an AWS credential; config files never hold credentials (use the AWS credential chain: env, --profile, SSO)`);
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const k = keys.find((x) => x.key === issue?.path[0]);
    const flag = k?.flag ?? "config";
    const got = k ? ` (got ${JSON.stringify(raw[k.key])})` : "";
    throw new ConfigError(flag, `${flag} ${issue?.message ?? "is invalid"}${got}`);
  }
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const values = parsed.data as Record<string, unknown>;
  const out: ConfigFileValues = {};
  for (const k of keys) {
    if (raw[k.key] === undefined || values[k.key] === undefined) continue;
    if (values[k.key] === defaults[k.key]) continue;
    const typed = raw[k.key];
    out[k.key] = (k.type === "size" || k.type === "duration") && typeof typed === "string" ? typed.trim() : values[k.key];
  }
  return out;
}

export type WriteResult = { written: true; path: string } | { written: false; path: string; reason: "exists" };

/**
 * Writes the file with mode 0600 (its directory 0700 when created). Without `force` an existing file
 * is left alone; with it, the new content replaces it atomically (temp file + rename).
 */
export async function writeConfigFile(path: string, values: ConfigFileValues, force: boolean): Promise<WriteResult> {
  // Never a recursive mkdir on an unchecked path (it never returns under /proc on Node 20).
  ensureWritableDir("--path", dirname(path));
  const text = `${JSON.stringify(values, null, 2)}\n`;
  const target = force ? join(dirname(path), `.flexcopy-init-${process.pid}.tmp`) : path;
  let handle;
  try {
    handle = await open(target, force ? "w" : "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return { written: false, path, reason: "exists" };
    throw err;
  }
  try {
    await handle.writeFile(text);
    await handle.chmod(0o600); // open's mode is masked by the umask and ignored for existing files
  } finally {
    await handle.close();
  }
  if (force) {
    try {
      await rename(target, path);
      await chmod(path, 0o600);
    } catch (err) {
      await rm(target, { force: true });
      throw err;
    }
  }
  return { written: true, path };
}
