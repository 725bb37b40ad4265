import os from "node:os";
import { resolve, join } from "node:path";
import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import { ConfigError, configKeys, configSchema, type FlexConfig } from "../../config/schema.js";
import { configFileValues, writeConfigFile, type ConfigFileValues } from "../../setup/init.js";
import { OutputPathError } from "../../state/output-paths.js";
import { EXIT, UsageError } from "../errors.js";
import { withConfigOptions } from "../options.js";

interface InitFlags {
  path?: string;
  global?: boolean;
  force?: boolean;
  config?: string;
}

const EXAMPLES = `
Examples:
  flexcopy init                                               asks for what is missing (on a terminal)
  flexcopy init --account-id 123456789012 --dest-bucket my-flex-bucket        for CI, no questions
  flexcopy init --global --account-id 123456789012 --dest-bucket my-flex-bucket
  flexcopy init --force --external-id ext-123                                 replace the file

Writes ./flexcopy.config.json (or ~/.config/flexcopy/config.json with --global) with mode 0600,
holding only the settings that differ from the defaults. Credentials never go into it: flexcopy
reads your own AWS credentials from the standard chain (environment, --profile, SSO) and assumes
the provider's role itself. Next: flexcopy doctor

Exit codes: 0 written, 2 invalid value, missing value without a terminal, or the file exists (use --force).`;

/** Asked on a terminal when not given as flags. */
const REQUIRED: { key: keyof FlexConfig; question: string }[] = [
  { key: "accountId", question: "Your 12-digit AWS account id (the one you registered with JPX): " },
  { key: "destBucket", question: "Your destination S3 bucket (created in ap-northeast-1, step 1-1): " },
];

export function initCommand(): Command {
  const cmd = new Command("init")
    .description("write a config file (account id, destination bucket, ...) so later commands need no flags")
    .option("--path <file>", "config file to write (default: ./flexcopy.config.json)")
    .option("--global", "write ~/.config/flexcopy/config.json instead")
    .option("--force", "overwrite an existing config file")
    .option("--debug", "print stack traces of unexpected errors");
  withConfigOptions(cmd);
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(async (flags: InitFlags, self: Command) => {
    process.exitCode = await init(flags, self);
  });
  return cmd;
}

function targetPath(flags: InitFlags): string {
  const explicit = flags.path ?? flags.config;
  if (explicit !== undefined && flags.global) throw new UsageError("use either --path or --global, not both");
  if (flags.global) return join(os.homedir(), ".config", "flexcopy", "config.json");
  return resolve(process.cwd(), explicit ?? "flexcopy.config.json");
}

async function init(flags: InitFlags, self: Command): Promise<number> {
  const path = targetPath(flags);
  const opts = self.opts() as Record<string, unknown>;
  const raw: ConfigFileValues = {};
  for (const k of configKeys()) if (opts[k.key] !== undefined) raw[k.key] = opts[k.key];

  const missing = REQUIRED.filter((r) => raw[r.key] === undefined);
  if (missing.length > 0) {
    if (!process.stdin.isTTY) {
      const names = missing.map((m) => configKeys().find((k) => k.key === m.key)?.flag).join(" and ");
      throw new UsageError(`${names} required (not on a terminal, so nothing is asked): flexcopy init --account-id <12 digits> --dest-bucket <bucket>`);
    }
    Object.assign(raw, await ask(missing));
  }

  let values: ConfigFileValues;
  try {
    values = configFileValues(raw, [process.env.AWS_SECRET_ACCESS_KEY, process.env.AWS_SESSION_TOKEN]);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${err.message}; nothing written`);
    throw err;
  }
  const result = await writeConfigFile(path, values, flags.force ?? false).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot write ${path}: ${err instanceof OutputPathError ? err.reason : (err.code ?? err.message)}`);
  });
  if (!result.written) throw new UsageError(`${path} already exists; use --force to overwrite it`);
  process.stdout.write(`wrote ${path} (mode 600): ${Object.keys(values).join(", ")}\nnext: flexcopy doctor\n`);
  return EXIT.ok;
}

/** Asks for each missing value on the terminal, repeating a question until its answer is valid. */
async function ask(missing: typeof REQUIRED): Promise<ConfigFileValues> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const answers: ConfigFileValues = {};
  try {
    for (const m of missing) {
      for (let tries = 0; ; tries++) {
        const answer = (await rl.question(m.question)).trim();
        const field = configSchema.shape[m.key];
        const ok = field.safeParse(answer);
        if (answer !== "" && ok.success) {
          answers[m.key] = answer;
          break;
        }
        const msg = ok.success ? "a value is required" : (ok.error.issues[0]?.message ?? "invalid");
        if (tries >= 2) throw new UsageError(`${configKeys().find((k) => k.key === m.key)?.flag} ${msg}; nothing written`);
        process.stderr.write(`  ${msg}\n`);
      }
    }
  } finally {
    rl.close();
  }
  return answers;
}
