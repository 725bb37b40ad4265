// The tools under test: flexcopy (this checkout), the AWS CLI v1 and v2 (`aws s3 cp --recursive`) and
// rclone (`rclone copy`), each given the same work. Missing tools are reported and skipped.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { flexcopyEnv } from "../../scripts/emulator-env.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FLEXCOPY_BIN = join(ROOT, "bin/flexcopy");
export const ACL = "bucket-owner-full-control";

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : undefined;
}

/** Every `aws` on PATH (a pyenv shim resolved to the real script, so pyenv's start-up is not timed). */
function awsCandidates() {
  const out = [];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, "aws");
    if (!dir || !existsSync(p)) continue;
    let real = p;
    if (dir.includes(".pyenv/shims")) {
      const w = run("pyenv", ["which", "aws"]);
      if (w) real = w.split("\n").pop();
    }
    try {
      real = realpathSync(real);
    } catch {
      continue;
    }
    if (!out.includes(real)) out.push(real);
  }
  if (existsSync("/usr/bin/aws") && !out.includes(realpathSync("/usr/bin/aws"))) out.push(realpathSync("/usr/bin/aws"));
  return out;
}

/** { flexcopy, aws1, aws2, rclone } -> { bin, version } or { missing: reason }. */
export function detectTools() {
  const tools = {};
  let rev = "";
  try {
    rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // not a checkout
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  tools.flexcopy = existsSync(join(ROOT, "dist/cli/main.js"))
    ? { bin: FLEXCOPY_BIN, version: `flexcopy ${pkg.version}${rev ? ` (${rev})` : ""}` }
    : { missing: 'dist/ not built: run "npm run build"' };
  for (const bin of awsCandidates()) {
    const v = run(bin, ["--version"]);
    const m = v && /aws-cli\/(\d+)\.\S+/.exec(v);
    if (!m) continue;
    const name = `aws${m[1]}`;
    tools[name] ??= { bin, version: v.split(/\s+/).slice(0, 2).join(" ") };
  }
  tools.aws1 ??= { missing: "AWS CLI v1 not found (pip install awscli)" };
  tools.aws2 ??= { missing: "AWS CLI v2 not found (apt-get install awscli)" };
  const rv = run("rclone", ["version"]);
  tools.rclone = rv ? { bin: "rclone", version: rv.split("\n")[0] } : { missing: "rclone not found (apt-get install rclone)" };
  tools.rcloneTuned = tools.rclone;
  return tools;
}

function baseEnv(home) {
  const env = { PATH: process.env.PATH ?? "", HOME: home, LANG: "C.UTF-8", LC_ALL: "C.UTF-8", TMPDIR: process.env.TMPDIR ?? "/tmp" };
  return env;
}

/**
 * The command line of one copy. `job` = { info, creds, selectors: ["2023/06/12..2023/06/13"],
 * prefix: "2023/06/" (what the selectors cover, for tools that copy a prefix), home, extraArgs }.
 *   flexcopy  assumes the role itself (its normal mode) from the IAM user's keys
 *   aws, rclone  get the role's temporary credentials (the manual's AssumeRole + three exports)
 */
export function commandFor(tool, t, job) {
  const { info, creds, home } = job;
  mkdirSync(home, { recursive: true });
  const src = info.sourceBucket;
  const dest = info.destBuckets[0];
  if (tool === "flexcopy") {
    return {
      cmd: process.execPath,
      args: [t.bin, "fetch", ...job.selectors, "--json", ...(job.extraArgs ?? [])],
      env: {
        ...baseEnv(home),
        ...flexcopyEnv(info, home),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        FLEXCOPY_STATE_DIR: join(home, "state"),
        // Settings to try (e.g. FLEXCOPY_CONCURRENCY=128 npm run bench) pass through to flexcopy.
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => /^FLEXCOPY_(CONCURRENCY|PART_SIZE|MULTIPART_THRESHOLD|MAX_ATTEMPTS)$/.test(k))),
        ...(job.extraEnv ?? {}),
      },
    };
  }
  if (tool === "aws1" || tool === "aws2") {
    const config = join(home, "aws-config");
    // The emulator serves path-style URLs only (real S3 serves both).
    writeFileSync(config, "[default]\nregion = ap-northeast-1\ns3 =\n  addressing_style = path\n");
    return {
      cmd: t.bin,
      args: [
        "--endpoint-url", info.endpoint,
        "s3", "cp", `s3://${src}/${job.prefix}`, `s3://${dest}/${job.prefix}`,
        "--recursive", "--acl", ACL, "--only-show-errors",
        ...(job.extraArgs ?? []),
      ],
      env: {
        ...baseEnv(home),
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_SESSION_TOKEN: creds.sessionToken,
        AWS_DEFAULT_REGION: "ap-northeast-1",
        AWS_CONFIG_FILE: config,
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_PAGER: "",
        PYTHONIOENCODING: "utf-8",
        ...(job.extraEnv ?? {}),
      },
    };
  }
  if (tool === "rclone" || tool === "rcloneTuned") {
    // Tuned: the flags that make rclone complete this job (and use 64 transfers like flexcopy's old default).
    // --s3-no-head-object: no HEAD before a copy/after it; --ignore-size/--ignore-checksum: don't read the
    // copied object back (the role may not read the destination). Its defaults fail: see README.
    const tuned =
      tool === "rcloneTuned"
        ? ["--transfers", "64", "--checkers", "64", "--s3-no-head-object", "--ignore-size", "--ignore-checksum"]
        : [];
    return {
      // Stop rclone at its first failed copy (with its defaults every copy fails, see README); the tuned
      // run is judged by its exit code and the destination.
      failOn: tool === "rclone" ? / ERROR : .*(Failed to copy|Forbidden|AccessDenied)/ : undefined,
      cmd: t.bin,
      args: [
        "copy", `flex:${src}/${job.prefix}`, `flex:${dest}/${job.prefix}`,
        // the role may not create or HEAD the destination bucket: don't try
        "--s3-no-check-bucket",
        // the role may not HEAD (read) objects in the destination: after a server-side copy rclone
        // would HEAD the new object to return its metadata
        "--s3-no-head",
        "--s3-acl", ACL,
        "--stats", "0", "--log-level", "ERROR",
        // a failed run is reported, not timed: no whole-run retries (default 3)
        "--retries", "1",
        ...tuned,
        ...(job.extraArgs ?? []),
      ],
      env: {
        ...baseEnv(home),
        RCLONE_CONFIG: join(home, "rclone.conf"), // empty: the remote comes from the environment
        RCLONE_CONFIG_FLEX_TYPE: "s3",
        RCLONE_CONFIG_FLEX_PROVIDER: "Other", // "AWS" forces virtual-hosted URLs; the emulator is path-style,
        RCLONE_CONFIG_FLEX_ENV_AUTH: "false",
        RCLONE_CONFIG_FLEX_ACCESS_KEY_ID: creds.accessKeyId,
        RCLONE_CONFIG_FLEX_SECRET_ACCESS_KEY: creds.secretAccessKey,
        RCLONE_CONFIG_FLEX_SESSION_TOKEN: creds.sessionToken,
        RCLONE_CONFIG_FLEX_REGION: "ap-northeast-1",
        RCLONE_CONFIG_FLEX_ENDPOINT: info.endpoint,
        RCLONE_CONFIG_FLEX_FORCE_PATH_STYLE: "true",
        ...(job.extraEnv ?? {}),
      },
    };
  }
  throw new Error(`unknown tool ${tool}`);
}
