// How a client reaches the FLEX emulator, for the tests, `npm run demo` and `npm run bench` (one place):
// the environment that points the flexcopy CLI at it, and the manual's AssumeRole into the provider role.
// `emu` is a running emulator (startEmulator) or the JSON line `flexcopy emulator` prints: both carry
// endpoint, region, accessKeyId, secretAccessKey, accountId, roleArn and destBuckets.
import { join } from "node:path";
import { Agent } from "node:https";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";

/**
 * Environment for bin/flexcopy against the emulator: the IAM user's keys as the AWS credentials,
 * `home` as HOME (so no config or journal of this machine is read), no AWS config files, no instance
 * metadata, and the account, destination bucket and endpoint as FLEXCOPY_* settings. It holds nothing
 * else (no PATH): callers add what they inherit. An emulator started with `--tls` / `tls` adds its CA as
 * AWS_CA_BUNDLE (a test of flexcopy without it sets AWS_CA_BUNDLE to "").
 */
export function flexcopyEnv(emu, home) {
  return {
    HOME: home,
    AWS_ACCESS_KEY_ID: emu.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emu.secretAccessKey,
    AWS_CONFIG_FILE: join(home, "none"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "none"),
    AWS_EC2_METADATA_DISABLED: "true",
    FLEXCOPY_ACCOUNT_ID: emu.accountId,
    FLEXCOPY_DEST_BUCKET: emu.destBuckets[0],
    FLEXCOPY_ENDPOINT_URL: emu.endpoint,
    FLEXCOPY_FORCE_PATH_STYLE: "true",
    ...(caFile(emu) ? { AWS_CA_BUNDLE: caFile(emu) } : {}),
  };
}

/** The CA file of an emulator over TLS: `Emulator.tls.caFile`, or `caBundle` of the startup line. */
function caFile(emu) {
  return emu.tls?.caFile ?? emu.caBundle;
}

/**
 * The manual's step 1-5: `caller` (default: the emulator's IAM user) calls AssumeRole for the provider
 * role; `input` overrides the request (RoleSessionName, DurationSeconds, ExternalId, RoleArn, ...).
 * One attempt, no SDK retries, so a test sees the emulator's answer as it is.
 */
export async function assumeRole(emu, input = {}, caller = { accessKeyId: emu.accessKeyId, secretAccessKey: emu.secretAccessKey }) {
  const ca = emu.tls?.caPem;
  const tls = ca ? { requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca }) }) } : {};
  const sts = new STSClient({ region: emu.region ?? "ap-northeast-1", endpoint: emu.endpoint, credentials: caller, maxAttempts: 1, ...tls });
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: emu.roleArn, RoleSessionName: "flexcopy-test", ...input }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("AssumeRole returned no credentials");
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) };
  } finally {
    sts.destroy();
  }
}
