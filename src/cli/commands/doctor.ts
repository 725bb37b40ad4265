import { Command } from "commander";
import { makeS3Client, makeStsClient } from "../../aws/clients.js";
import { baseCredentials, EnvCredentials } from "../../aws/credentials.js";
import { resolveConfig } from "../../config/load.js";
import { ConfigError, configKeys, type FlexConfig } from "../../config/schema.js";
import { DOCTOR_STEPS, type DoctorContext } from "../../setup/doctor-checks.js";
import { parseSelectors, SelectorError, type Selector } from "../../plan/selectors.js";
import { now } from "../clock.js";
import { DateProbe, runChecks, type Check } from "../../setup/doctor.js";
import { EXIT, UsageError } from "../errors.js";
import { defaultLoadDeps, withConfigOptions } from "../options.js";
import { redact } from "../redact.js";
import { recordPrinter, type TextForms } from "../output/records.js";
import { clientSettings, registering } from "../session.js";

interface DoctorFlags {
  json?: boolean;
  strict?: boolean;
  writeTest?: boolean;
  config?: string;
}

const EXAMPLES = `
Checks, in order (a check whose prerequisite failed is shown as skipped):
  config               settings valid; account id and destination bucket set
  base credentials     your own AWS credentials work (STS GetCallerIdentity): account and ARN
  clock                local clock within 5 min of the service's (Date header)
  assume role          the provider's role can be assumed, and for how long (12 h, or 1 h when chaining)
  source bucket        the role can list dataservice-flex-bucket; which years are visible
  destination bucket   your bucket exists and is in ap-northeast-1 (checked with your own credentials)
  destination access   the role can list your bucket (the bucket policy of step 1-2 is in place)
  default encryption   your bucket's default encryption works for another account's writes
  bucket policy        your bucket policy read (with your own credentials) and decided offline for the role:
  policy …             list, copy with the ACL (on one key of every prefix you will copy: the days of the
                       selectors given, else each year of the source, testdata/ and ConnectionSpec/), copy
                       without it (must be refused), multipart steps (a warning: without them objects over
                       5 GiB cannot be copied). A refusing Deny is named with what it tests, and the fix is the
                       smallest exemption of the role from it (flexcopy policy --merge-current / --apply):
                       doctor never tells you to replace a policy you have
  write test           with --write-test: one small object copied with ACL bucket-owner-full-control

Examples:
  flexcopy doctor
  flexcopy doctor --write-test
  flexcopy doctor 2021/05 testdata/2021/05   decide the policy on every day you will fetch
  flexcopy doctor --strict        for CI: warnings fail too (exit 1)
  flexcopy doctor --json          one JSON object per check: {"kind":"doctor","name","ok","status","detail","fix"}

Exit codes: 0 every check passed (warnings allowed), 1 a check failed (or, with --strict, warned),
2 usage error (bad flag, selector, variable or config file).`;

export function doctorCommand(): Command {
  const cmd = new Command("doctor")
    .description("check the whole setup (credentials, clock, role, buckets, policy) and say how to fix what is wrong")
    .argument("[selector...]", "the days you will fetch (as for fetch: 2021/05, 2021/05/10..2021/06/03, testdata/2021/05, latest:3); the policy is decided on one key of each")
    .option("--strict", "warnings fail too (exit 1): for CI")
    .option("--write-test", "also copy one small object (the smallest under ConnectionSpec/ or testdata/) into your bucket")
    .option("--json", "one JSON object per check on stdout (NDJSON)")
    .option("--debug", "print stack traces of unexpected errors (secrets stay redacted)");
  withConfigOptions(cmd);
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(async (args: string[], flags: DoctorFlags, self: Command) => {
    process.exitCode = await doctor(selectorsOf(args), flags, self);
  });
  return cmd;
}


async function loadSettings(self: Command): Promise<{ config?: FlexConfig; error?: string; source?: string }> {
  const deps = defaultLoadDeps();
  const opts = self.opts() as Record<string, unknown>;
  const flags: Record<string, unknown> = {};
  for (const k of configKeys()) if (opts[k.key] !== undefined) flags[k.key] = opts[k.key];
  try {
    const r = await resolveConfig({ flags, env: deps.env, cwd: deps.cwd, home: deps.home, configPath: opts.config as string | undefined });
    return { config: r.config, source: r.file };
  } catch (err) {
    // A bad flag, variable or config file is a usage error like in every other command (exit 2, stderr).
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function selectorsOf(args: string[]): Selector[] {
  try {
    return parseSelectors(args, { now: now() });
  } catch (err) {
    if (err instanceof SelectorError) throw new UsageError(err.message);
    throw err;
  }
}

async function doctor(selectors: Selector[], flags: DoctorFlags, self: Command): Promise<number> {
  const loaded = await loadSettings(self);
  const probe = new DateProbe();
  const config = loaded.config;
  // Without a valid config every check after "config" is skipped; the clients are never used.
  const settings = config ? clientSettings(config) : { region: "ap-northeast-1", forcePathStyle: false, concurrency: 4 };
  const base =
    config?.credentials === "env" ? registering(new EnvCredentials(process.env).provider) : registering(baseCredentials(config?.profile));
  const ctx: DoctorContext = {
    config,
    configError: loaded.error,
    configSource: loaded.source,
    sts: probe.attach(makeStsClient(settings, base)),
    baseS3: probe.attach(makeS3Client(settings, base)),
    s3With: (creds) => probe.attach(makeS3Client(settings, registering(creds))),
    probe,
    env: process.env,
    writeTest: flags.writeTest ?? false,
    selectors,
  };
  const write = (line: string) => process.stdout.write(redact(line) + "\n");
  const print = recordPrinter(flags.json ?? false, DOCTOR_TEXT, write);
  const checks = await runChecks(DOCTOR_STEPS, ctx, (c) => print({ kind: "doctor", ...c }, undefined));
  const failed = checks.filter((c) => c.status === "fail" || (flags.strict === true && c.status === "warn"));
  const warned = checks.filter((c) => c.status === "warn").length;
  if (!flags.json) write(`\n${closingLine(checks.filter((c) => c.status === "fail").length, warned, flags.strict === true)}`);
  return failed.length === 0 ? EXIT.ok : EXIT.someFailed;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The last line: ready, ready with warnings, or the first ✗ to fix. */
function closingLine(failed: number, warned: number, strict: boolean): string {
  if (failed > 0) return `${plural(failed, "check")} failed: fix the first ✗ and run flexcopy doctor again`;
  if (warned === 0) return "all checks passed: flexcopy fetch <period> is ready to run";
  if (strict) return `${plural(warned, "warning")} (--strict makes them fail): see the lines marked !`;
  return `all checks passed, ${plural(warned, "warning")} (!): flexcopy fetch <period> is ready to run; read what each warning means`;
}

const MARK: Record<Check["status"], string> = { pass: "✓", warn: "!", fail: "✗", skip: "–" };

/** `doctor --json`: one record per check, in order. */
export type DoctorRecord = { kind: "doctor" } & Check;

/** "✓ name: detail", and on the next line the fix of a failure or warning. */
export const DOCTOR_TEXT: TextForms<DoctorRecord> = {
  doctor: (c) => `${MARK[c.status]} ${c.name}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ""}`,
};
