import { describe, it, expect } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type ConfigSources } from "./load.js";
import { ConfigError, configKeys, configSchema, defaultRoleArn, SETTINGS } from "./schema.js";

// No config file exists under these directories, so only flags, env and defaults are involved.
const empty = join(tmpdir(), "flexcopy-schema-test-nonexistent");
const src = (over: Partial<ConfigSources> = {}): ConfigSources => ({ flags: {}, env: {}, cwd: empty, home: empty, ...over });

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe("bad values name the flag", () => {
  const bad: [string, unknown, RegExp][] = [
    ["accountId", "1234", /^--account-id must be 12 digits \(got "1234"\)$/],
    ["accountId", "12345678901a", /^--account-id must be 12 digits/],
    ["destBucket", "ab", /^--dest-bucket .*3 to 63/],
    ["destBucket", "a".repeat(64), /^--dest-bucket .*3 to 63/],
    ["destBucket", "My_Bucket", /^--dest-bucket .*lowercase/],
    ["destBucket", "-bucket", /^--dest-bucket .*begin and end/],
    ["destBucket", "bucket-", /^--dest-bucket .*begin and end/],
    ["destBucket", "my..bucket", /^--dest-bucket .*"\.\."/],
    ["destBucket", "192.168.5.4", /^--dest-bucket .*IP address/],
    ["destBucket", "xn--bucket", /^--dest-bucket .*xn--/],
    ["destBucket", "bucket-s3alias", /^--dest-bucket .*-s3alias/],
    ["destBucket", "s3://bucket/prefix", /^--dest-bucket .*no path/],
    ["sourceBucket", "UPPER", /^--source-bucket /],
    ["roleArn", "arn:aws:iam::123:role/x", /^--role-arn must look like arn:aws:iam::<12 digits>:role\/<name>/],
    ["roleArn", "JeuServiceRoleForS3Copy_123456789012", /^--role-arn /],
    ["externalId", "x", /^--external-id must be 2-1224/],
    ["externalId", "bad id!", /^--external-id /],
    ["sessionName", "a", /^--session-name must be 2-64/],
    ["sessionName", "x".repeat(65), /^--session-name /],
    ["sessionName", "has space", /^--session-name /],
    ["duration", "899", /^--duration must be 900 to 43200 seconds/],
    ["duration", "13h", /^--duration /],
    ["duration", "1d", /^--duration /],
    ["profile", " ", /^--profile must be a profile name/],
    ["region", "tokyo", /^--region must be an AWS region/],
    ["endpointUrl", "127.0.0.1:4566", /^--endpoint-url must be an http/],
    ["endpointUrl", "ftp://host", /^--endpoint-url /],
    ["stsEndpointUrl", "nope", /^--sts-endpoint-url /],
    ["forcePathStyle", "maybe", /^--force-path-style must be true or false/],
    ["concurrency", "0", /^--concurrency must be "auto" or a whole number from 1 to 1024 \(got "0"\)$/],
    ["maxConcurrency", "0", /^--max-concurrency must be a whole number from 1 to 1024/],
    ["concurrency", "1025", /^--concurrency /],
    ["concurrency", "3.5", /^--concurrency /],
    ["concurrency", "lots", /^--concurrency /],
    ["partSize", "4MiB", /^--part-size must be a size from 5 MiB to 5 GiB/],
    ["partSize", "6GiB", /^--part-size /],
    ["partSize", "big", /^--part-size /],
    ["multipartThreshold", "6GB", /^--multipart-threshold must be a size from 5 MiB to 5 GiB/],
    ["multipartThreshold", "6GiB", /^--multipart-threshold /],
    ["maxAttempts", "0", /^--max-attempts must be a whole number from 1 to 100/],
    ["maxAttempts", "101", /^--max-attempts /],
    ["credentials", "sso", /^--credentials must be "assume-role" or "env"/],
  ];

  it.each(bad)("flag %s=%j", async (key, value, re) => {
    const err = await configError(loadConfig(src({ flags: { [key]: value } })));
    const flag = configKeys().find((k) => k.key === key)?.flag;
    expect(err.setting).toBe(flag);
    expect(err.message).toMatch(re);
    expect(err.message).not.toContain("\n");
  });

  it("names the env variable a bad value came from", async () => {
    const err = await configError(loadConfig(src({ env: { FLEXCOPY_ACCOUNT_ID: "1234" } })));
    expect(err.message).toBe('--account-id must be 12 digits (got "1234" from FLEXCOPY_ACCOUNT_ID)');
  });

  it("accepts boundary values", async () => {
    const c = await loadConfig(
      src({ flags: { partSize: "5MiB", multipartThreshold: "5GiB", concurrency: "1024", duration: "900", maxAttempts: "100" } }),
    );
    expect(c).toMatchObject({ partSize: 5 * 2 ** 20, multipartThreshold: 5 * 2 ** 30, concurrency: 1024, duration: 900, maxAttempts: 100 });
  });
});

describe("configKeys", () => {
  it("lists every FlexConfig key once with kebab flag and FLEXCOPY_ env", async () => {
    const keys = configKeys();
    const defaults = await loadConfig(src({ flags: { accountId: "123456789012", destBucket: "abc" } }));
    for (const k of Object.keys(defaults)) expect(keys.map((x) => x.key)).toContain(k);
    expect(new Set(keys.map((k) => k.flag)).size).toBe(keys.length);
    expect(keys.find((k) => k.key === "stsEndpointUrl")).toMatchObject({ flag: "--sts-endpoint-url", env: "FLEXCOPY_STS_ENDPOINT_URL" });
    expect(keys.find((k) => k.key === "forcePathStyle")?.type).toBe("boolean");
    for (const k of keys) expect(k.description.length).toBeGreaterThan(5);
  });
});

describe("defaults: written once, in the zod schema", () => {
  it("derives each flag's help default from the schema's own default", () => {
    const help = Object.fromEntries(configKeys().map((k) => [k.key, k.defaultText]));
    expect(help).toEqual({
      accountId: undefined,
      destBucket: undefined,
      sourceBucket: "dataservice-flex-bucket",
      roleArn: "arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_<account-id>",
      externalId: undefined,
      sessionName: "flexcopy",
      duration: "43200 (12h)",
      profile: undefined,
      region: "ap-northeast-1",
      endpointUrl: undefined,
      stsEndpointUrl: undefined,
      caBundle: "AWS_CA_BUNDLE, else the profile's ca_bundle",
      giveUpAfter: "60 (1m)",
      requestTimeout: "30 (30s)",
      forcePathStyle: "false",
      concurrency: "auto",
      maxConcurrency: "384",
      partSize: "128 MiB",
      multipartThreshold: "512 MiB",
      maxAttempts: "10",
      storageClass: "STANDARD",
      credentials: "assume-role",
    });
  });

  it("applies the same defaults when nothing is given, and each default passes its own validation", () => {
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    expect(defaults).toMatchObject({ partSize: 128 * 2 ** 20, multipartThreshold: 512 * 2 ** 20, concurrency: "auto", maxConcurrency: 384, duration: 43200 });
    for (const [key, value] of Object.entries(defaults)) {
      const field = SETTINGS[key as keyof typeof SETTINGS].schema;
      expect(field.safeParse(value).success, key).toBe(true);
    }
  });

  it("offers the choices the schema accepts", () => {
    const credentials = configKeys().find((k) => k.key === "credentials");
    expect(credentials?.choices).toEqual(["assume-role", "env"]);
    for (const c of credentials?.choices ?? []) expect(SETTINGS.credentials.schema.safeParse(c).success).toBe(true);
  });
});

describe("defaultRoleArn", () => {
  it("names the provider account and the customer account", () => {
    expect(defaultRoleArn("210987654321")).toBe("arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_210987654321");
  });
});
