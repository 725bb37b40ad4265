import os from "node:os";
import { Option, type Command } from "commander";
import { ConfigError, configKeys, type CommandName, type ConfigKey, type FlexConfig } from "../config/schema.js";
import { loadConfig } from "../config/load.js";
import { UsageError } from "./errors.js";

/**
 * Whether `command`'s --help lists (and its command line takes) the setting: the commands its schema entry
 * names (config/schema.ts, `commands`; fetch and spec when it names none), and init, which writes any setting.
 * Every command still reads every setting from the environment and config files, and validates them all.
 */
export function commandReads(k: Pick<ConfigKey, "commands">, command: string): boolean {
  return command === "init" || k.commands.includes(command as CommandName);
}

/** Adds the settings the command reads as flags (names, env vars and help come from the config schema). */
export function withConfigOptions(cmd: Command): Command {
  for (const k of configKeys()) {
    if (!commandReads(k, cmd.name())) continue;
    const placeholder = k.type === "boolean" ? "" : ` <${k.type === "size" ? "size" : k.type === "duration" ? "time" : "value"}>`;
    const def = k.defaultText ? ` (default: ${k.defaultText})` : "";
    const opt = new Option(`${k.flag}${placeholder}`, `${k.description}${def} [${k.env}]`);
    if (k.choices) opt.choices(k.choices);
    // spec copies, or with --list only lists: the settings only copies read (those ls does not) are grouped apart.
    if (cmd.name() === "spec" && !k.commands.includes("ls")) opt.helpGroup("Copy options (not read with --list):");
    cmd.addOption(opt);
  }
  cmd.option("--config <file>", "config file (default: ./flexcopy.config.json, then ~/.config/flexcopy/config.json)");
  return cmd;
}

export interface LoadDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  home: string;
}

export function defaultLoadDeps(): LoadDeps {
  return { env: process.env, cwd: process.cwd(), home: os.homedir() };
}

/** The merged configuration of a command (flags > FLEXCOPY_* env > config file > defaults). */
export async function commandConfig(cmd: Command, deps: LoadDeps = defaultLoadDeps()): Promise<FlexConfig> {
  const opts = cmd.opts() as Record<string, unknown>;
  const flags: Record<string, unknown> = {};
  for (const k of configKeys()) if (opts[k.key] !== undefined) flags[k.key] = opts[k.key];
  try {
    return await loadConfig({ flags, env: deps.env, cwd: deps.cwd, home: deps.home, configPath: opts.config as string | undefined });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** Parses a positive integer option value for commander, or fails with a one-line usage error. */
export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive whole number (got "${v}")`);
    return n;
  };
}

/** The destination bucket, or a one-line usage error saying how to set it. */
export function requireDestBucket(config: FlexConfig): string {
  if (!config.destBucket) throw new UsageError("--dest-bucket is required (your bucket; or set FLEXCOPY_DEST_BUCKET, or destBucket in flexcopy.config.json)");
  return config.destBucket;
}
