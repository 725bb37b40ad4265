// The other programs the interoperability suites drive (test/emulator/awscli.test.ts, rclone.test.ts).
// `npm test` on a machine with only Node skips a suite whose tool is missing and says so in one line at
// the end of the run; FLEXCOPY_REQUIRE_INTEROP=1 (set by .ci/run, which installs the tools) turns a missing
// tool into a failure of its suite, so CI never skips them silently.
import { spawnSync } from "node:child_process";
import { inject } from "vitest";

export const INTEROP_TOOLS = {
  rclone: { command: "rclone", probe: ["version"], install: "apt-get install rclone", suite: "test/emulator/rclone.test.ts" },
  aws: { command: "aws", probe: ["--version"], install: "apt-get install awscli (or pip install awscli)", suite: "test/emulator/awscli.test.ts" },
} as const;

export type InteropTool = keyof typeof INTEROP_TOOLS;

export interface InteropState {
  /** Tools whose probe failed (not on PATH, or not runnable). */
  missing: InteropTool[];
  /** FLEXCOPY_REQUIRE_INTEROP=1: a missing tool fails its suite instead of skipping it. */
  required: boolean;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Probed once per run in test/support/global-setup.ts. */
    interop: InteropState;
  }
}

/** Probes every tool (`<tool> --version` or the like must exit 0). */
export function probeInterop(env: NodeJS.ProcessEnv = process.env): InteropState {
  const missing = (Object.keys(INTEROP_TOOLS) as InteropTool[]).filter((name) => {
    const t = INTEROP_TOOLS[name];
    return spawnSync(t.command, [...t.probe], { env, stdio: "ignore", timeout: 30_000 }).status !== 0;
  });
  return { missing, required: env.FLEXCOPY_REQUIRE_INTEROP === "1" };
}

/** The one line printed for a skipped suite. */
export function skipLine(name: InteropTool): string {
  const t = INTEROP_TOOLS[name];
  return `interop: \`${t.command}\` is not on PATH, so ${t.suite} is skipped; to run it: ${t.install}`;
}

/** In a test file: skip this tool's suite? (missing and not required) */
export function skipInterop(name: InteropTool): boolean {
  const s = inject("interop");
  return s.missing.includes(name) && !s.required;
}

/** In the suite's beforeAll: fails the suite when the tool is missing (reached only when required). */
export function assertInterop(name: InteropTool): void {
  if (!inject("interop").missing.includes(name)) return;
  const t = INTEROP_TOOLS[name];
  throw new Error(`FLEXCOPY_REQUIRE_INTEROP=1 but \`${t.command}\` is not on PATH; install it: ${t.install}`);
}
