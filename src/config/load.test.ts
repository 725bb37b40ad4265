import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, resolveConfig, type ConfigSources } from "./load.js";
import { ConfigError } from "./schema.js";

let root: string;
let cwd: string;
let home: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "flexcopy-config-"));
  cwd = join(root, "project");
  home = join(root, "home");
  await mkdir(cwd, { recursive: true });
  await mkdir(join(home, ".config", "flexcopy"), { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const src = (over: Partial<ConfigSources> = {}): ConfigSources => ({ flags: {}, env: {}, cwd, home, ...over });
const writeJson = (path: string, value: unknown): Promise<void> => writeFile(path, JSON.stringify(value));
const cwdFile = (): string => join(cwd, "flexcopy.config.json");
const homeFile = (): string => join(home, ".config", "flexcopy", "config.json");

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe("defaults", () => {
  it("fills every default and leaves optional settings unset", async () => {
    const c = await loadConfig(src());
    expect(c).toEqual({
      sourceBucket: "dataservice-flex-bucket",
      sessionName: "flexcopy",
      duration: 43200,
      region: "ap-northeast-1",
      forcePathStyle: false,
      concurrency: "auto",
      maxConcurrency: 384,
      partSize: 128 * 2 ** 20,
      multipartThreshold: 512 * 2 ** 20,
      maxAttempts: 10,
      giveUpAfter: 60,
      requestTimeout: 30,
      credentials: "assume-role",
    });
  });

  it("derives the provider role from the account id", async () => {
    const c = await loadConfig(src({ flags: { accountId: "123456789012" } }));
    expect(c.roleArn).toBe("arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_123456789012");
  });

  it("keeps an explicit role ARN", async () => {
    const roleArn = "arn:aws:iam::111122223333:role/Custom";
    const c = await loadConfig(src({ flags: { accountId: "123456789012", roleArn } }));
    expect(c.roleArn).toBe(roleArn);
  });
});

describe("precedence: flags > env > file > defaults", () => {
  it("takes each setting from the highest layer that has it", async () => {
    await writeJson(cwdFile(), { concurrency: 8, region: "us-east-1", destBucket: "file-bucket", partSize: "64MiB" });
    const r = await resolveConfig(
      src({
        flags: { concurrency: "32" },
        env: { FLEXCOPY_CONCURRENCY: "16", FLEXCOPY_REGION: "eu-west-1" },
      }),
    );
    expect(r.config.concurrency).toBe(32);
    expect(r.config.region).toBe("eu-west-1");
    expect(r.config.destBucket).toBe("file-bucket");
    expect(r.config.partSize).toBe(64 * 2 ** 20);
    expect(r.config.maxAttempts).toBe(10);
    expect(r.origins).toMatchObject({
      concurrency: "flag",
      region: "FLEXCOPY_REGION",
      destBucket: cwdFile(),
      maxAttempts: "default",
    });
    expect(r.file).toBe(cwdFile());
  });

  it("ignores undefined flags and empty env values", async () => {
    await writeJson(cwdFile(), { region: "us-east-1" });
    const c = await loadConfig(src({ flags: { region: undefined }, env: { FLEXCOPY_REGION: "" } }));
    expect(c.region).toBe("us-east-1");
  });

  it("ignores flags that are not settings (other commander options)", async () => {
    const c = await loadConfig(src({ flags: { json: true, dryRun: true } }));
    expect(c.concurrency).toBe("auto");
  });
});

describe("environment parsing", () => {
  it("reads every setting from FLEXCOPY_* in upper snake case", async () => {
    const c = await loadConfig(
      src({
        env: {
          FLEXCOPY_ACCOUNT_ID: "123456789012",
          FLEXCOPY_DEST_BUCKET: "my.bucket-1",
          FLEXCOPY_ENDPOINT_URL: "http://127.0.0.1:4566",
          FLEXCOPY_STS_ENDPOINT_URL: "https://sts.example.com",
          FLEXCOPY_FORCE_PATH_STYLE: "1",
          FLEXCOPY_CREDENTIALS: "env",
          FLEXCOPY_DURATION: "1h",
          FLEXCOPY_MULTIPART_THRESHOLD: "5GiB",
          FLEXCOPY_MAX_ATTEMPTS: "3",
          FLEXCOPY_EXTERNAL_ID: "abc-123",
          FLEXCOPY_SESSION_NAME: "nightly",
          FLEXCOPY_PROFILE: "prod",
        },
      }),
    );
    expect(c).toMatchObject({
      accountId: "123456789012",
      destBucket: "my.bucket-1",
      endpointUrl: "http://127.0.0.1:4566",
      stsEndpointUrl: "https://sts.example.com",
      forcePathStyle: true,
      credentials: "env",
      duration: 3600,
      multipartThreshold: 5 * 2 ** 30,
      maxAttempts: 3,
      externalId: "abc-123",
      sessionName: "nightly",
      profile: "prod",
    });
  });

  it.each([
    ["true", true],
    ["1", true],
    ["false", false],
    ["0", false],
    ["FALSE", false],
  ])("FLEXCOPY_FORCE_PATH_STYLE=%s -> %s", async (text, value) => {
    const c = await loadConfig(src({ env: { FLEXCOPY_FORCE_PATH_STYLE: text } }));
    expect(c.forcePathStyle).toBe(value);
  });

  it.each([
    ["12h", 43200],
    ["3600", 3600],
    ["90m", 5400],
    ["1h30m", 5400],
    ["900s", 900],
  ])("duration %s -> %d s", async (text, seconds) => {
    const c = await loadConfig(src({ flags: { duration: text } }));
    expect(c.duration).toBe(seconds);
  });

  it("accepts an s3:// bucket URL for the destination", async () => {
    const c = await loadConfig(src({ flags: { destBucket: "s3://my-bucket/" } }));
    expect(c.destBucket).toBe("my-bucket");
  });
});

describe("config file discovery", () => {
  it("prefers ./flexcopy.config.json over ~/.config/flexcopy/config.json", async () => {
    await writeJson(cwdFile(), { concurrency: 5 });
    await writeJson(homeFile(), { concurrency: 6, maxAttempts: 7 });
    const r = await resolveConfig(src());
    expect(r.config.concurrency).toBe(5);
    expect(r.config.maxAttempts).toBe(10); // the home file is not merged
    expect(r.file).toBe(cwdFile());
  });

  it("falls back to the home file", async () => {
    await writeJson(homeFile(), { concurrency: 6 });
    const r = await resolveConfig(src());
    expect(r.config.concurrency).toBe(6);
    expect(r.file).toBe(homeFile());
  });

  it("uses only an explicit --config path, relative to cwd", async () => {
    await writeJson(cwdFile(), { concurrency: 5 });
    await writeJson(join(cwd, "other.json"), { concurrency: 9 });
    const c = await loadConfig(src({ configPath: "other.json" }));
    expect(c.concurrency).toBe(9);
  });

  it("errors when an explicit --config path does not exist", async () => {
    const err = await configError(loadConfig(src({ configPath: "nope.json" })));
    expect(err.setting).toBe("--config");
    expect(err.message).toContain(join(cwd, "nope.json"));
  });

  it("reads FLEXCOPY_CONFIG when no --config is given", async () => {
    await writeJson(join(root, "env.json"), { concurrency: 11 });
    const c = await loadConfig(src({ env: { FLEXCOPY_CONFIG: join(root, "env.json") } }));
    expect(c.concurrency).toBe(11);
  });

  it("rejects invalid JSON naming the file", async () => {
    await writeFile(cwdFile(), "{ concurrency: 5 ");
    const err = await configError(loadConfig(src()));
    expect(err.message).toMatch(/flexcopy\.config\.json is not valid JSON/);
    expect(err.message).not.toContain("\n");
  });

  it("rejects a non-object", async () => {
    await writeFile(cwdFile(), "[1,2]");
    const err = await configError(loadConfig(src()));
    expect(err.message).toMatch(/must hold a JSON object/);
  });

  it("rejects unknown keys naming key and file, with a suggestion", async () => {
    await writeJson(homeFile(), { account_id: "123456789012" });
    const err = await configError(loadConfig(src()));
    expect(err.setting).toBe("account_id");
    expect(err.message).toBe(`unknown setting "account_id" in ${homeFile()} (did you mean "accountId"?)`);
  });

  it("allows $schema and numeric sizes and account ids", async () => {
    await writeJson(cwdFile(), { $schema: "x", partSize: 8 * 2 ** 20, accountId: 123456789012 });
    const c = await loadConfig(src());
    expect(c.partSize).toBe(8 * 2 ** 20);
    expect(c.accountId).toBe("123456789012");
  });

  it("says which file a bad value came from", async () => {
    await writeJson(cwdFile(), { concurrency: 0 });
    const err = await configError(loadConfig(src()));
    expect(err.message).toBe(`--concurrency must be "auto" or a whole number from 1 to 1024 (got 0 from ${cwdFile()})`);
  });
});
