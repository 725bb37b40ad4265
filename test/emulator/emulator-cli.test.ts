// `flexcopy emulator` as a process (bin/flexcopy -> dist; `npm test` builds first) and its option parsers.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { parseCopyRate, parseProbability, parseTimeScale } from "../../src/cli/emulator-options.js";

const BIN = join(import.meta.dirname, "../../bin/flexcopy");
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

interface Info {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  roleArn: string;
  destBuckets: string[];
  seed: string;
}

const live = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const c of live) c.kill("SIGKILL");
});

/** Run `flexcopy emulator ARGS` to completion (for argument errors and --help). */
function runOnce(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "emulator", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start `flexcopy emulator ARGS`, resolve with the parsed JSON line and a stop(signal) -> exit code. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, "emulator", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const info = new Promise<Info>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      const nl = stdout.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(stdout.slice(0, nl)) as Info);
    });
    void exited.then((code) => reject(new Error(`emulator exited ${code}: ${stderr}`)));
  });
  live.add(child);
  void exited.then(() => live.delete(child));
  return {
    info,
    output: () => ({ stdout, stderr }),
    stop: async (sig: NodeJS.Signals) => {
      child.kill(sig);
      return exited;
    },
  };
}

describe("flexcopy emulator (process)", () => {
  it("prints one JSON line, serves S3/STS, and exits 0 on SIGTERM", async () => {
    const p = startCli(["--seed", "demo", "--account-id", "210987654321", "--dest-bucket", "my-flex", "--dest-bucket", "my-flex-2", "--contract", "2021/05"]);
    const info = await p.info;
    expect(info.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.region).toBe("ap-northeast-1");
    expect(info.accountId).toBe("210987654321");
    expect(info.roleArn).toBe("arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_210987654321");
    expect(info.destBuckets).toEqual(["my-flex", "my-flex-2"]);
    expect(info.accessKeyId && info.secretAccessKey).toBeTruthy();

    const c = await assumeRole(info, { RoleSessionName: "cli-test" });
    const s3 = new S3Client({
      region: info.region,
      endpoint: info.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken },
    });
    const l = await s3.send(new ListObjectsV2Command({ Bucket: "dataservice-flex-bucket", Prefix: "2021/05/", Delimiter: "/" }));
    expect(l.CommonPrefixes?.map((x) => x.Prefix)).toContain("2021/05/31/");
    s3.destroy();

    expect(await p.stop("SIGTERM")).toBe(0);
    expect(p.output().stdout.trim().split("\n")).toHaveLength(1);
  });

  it("--max-inflight: the capacity is in force over HTTP (faults, in-flight high-water mark)", async () => {
    const p = startCli(["--seed", "none", "--max-inflight", "48", "--max-rate", "3500"]);
    const info = await p.info;
    const faults = (await (await fetch(`${info.endpoint}/_emulator/faults`)).json()) as { maxInflight: number; maxRate: number };
    expect(faults.maxInflight).toBe(48);
    expect(faults.maxRate).toBe(3500);
    expect(await (await fetch(`${info.endpoint}/_emulator/inflight`)).json()).toEqual({ current: 0, max: 0 });
    expect(await p.stop("SIGTERM")).toBe(0);
  });

  it("--user-policy manual: your IAM user may assume the role but has no S3 rights in its own bucket", async () => {
    const p = startCli(["--seed", "none", "--user-policy", "manual"]);
    const info = await p.info;
    const own = new S3Client({ region: info.region, endpoint: info.endpoint, forcePathStyle: true, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } });
    await expect(own.send(new ListObjectsV2Command({ Bucket: info.destBuckets[0]! }))).rejects.toMatchObject({ name: "AccessDenied" });
    own.destroy();
    await expect(assumeRole(info, { RoleSessionName: "cli-test" })).resolves.toMatchObject({ sessionToken: expect.any(String) });
    expect(await p.stop("SIGTERM")).toBe(0);
  });

  it("exits 0 on SIGINT; loads a layout file seed", async () => {
    const p = startCli(["--seed", join(import.meta.dirname, "../fixtures/layout.json"), "--latency", "5", "--copy-rate", "200Mbps"]);
    const info = await p.info;
    expect(info.seed).toMatch(/layout\.json$/);
    expect(await p.stop("SIGINT")).toBe(0);
  });

  it("rejects bad option values with one line and exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--port", "http"], /--port.*port must be a whole number from 0 to 65535/],
      [["--seed", "year:1999"], /no FLEX size known for 1999/],
      [["--seed", "/nope/layout.json"], /no such file/],
      [["--copy-rate", "fast"], /copy rate must be/],
      [["--slowdown-rate", "1.5"], /slowdown rate must be a probability/],
      [["--account-id", "abc"], /account id must be 12 digits/],
      [["--dest-bucket", "Has_Upper"], /not a valid S3 bucket name/],
      [["--contract", "2021/13"], /contract period "2021\/13": the month must be 1 to 12/],
      [["--contract", "2021/05.."], /contract period "2021\/05\.\.": a range is FROM\.\.TO/],
      [["--contract", "2021/06..2021/05"], /contract period "2021\/06\.\.2021\/05": range start 2021\/06\/01 is after its end/],
      [["--token-ttl", "-5"], /token TTL/],
      [["--max-inflight", "2.5"], /max in-flight writes must be a whole number/],
      [["--max-rate", "fast"], /max rate \(write requests per second per prefix\) must be a whole number/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runOnce(args)));
    runs.forEach((r, i) => {
      const [args, re] = cases[i] as [string[], RegExp];
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    });
  });

  it("--help shows the seeds and examples", async () => {
    const r = await runOnce(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("year:YYYY");
    expect(r.stdout).toMatch(/years:A-B .*years:2021-2023/);
    expect(r.stdout).toMatch(/archive .*2010–2023: 19\.39 TB/);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--copy-rate");
  });
});

describe("emulator option parsers", () => {
  it("copy rates: bytes with units, bits, unlimited", () => {
    expect(parseCopyRate("200MB/s")).toBe(200e6);
    expect(parseCopyRate("1GiB/s")).toBe(1024 ** 3);
    expect(parseCopyRate("1048576")).toBe(1048576);
    expect(parseCopyRate("200Mbps")).toBe(25e6);
    expect(parseCopyRate("1Gbit/s")).toBe(125e6);
    expect(parseCopyRate("0")).toBe(0);
    expect(parseCopyRate("unlimited")).toBe(0);
    expect(() => parseCopyRate("-3MB/s")).toThrow(/copy rate/);
  });

  it("probabilities and time scale", () => {
    const p = parseProbability("error rate");
    expect(p("0.25")).toBe(0.25);
    expect(p("5%")).toBeCloseTo(0.05);
    expect(() => p("")).toThrow(/error rate/);
    expect(parseTimeScale("60")).toBe(60);
    expect(parseTimeScale("60x")).toBe(60);
    expect(() => parseTimeScale("0")).toThrow(/time scale/);
  });
});
