/** The checks of `flexcopy doctor`, in the order of the manual's setup steps. */
import { GetBucketLocationCommand, HeadBucketCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { isAccessDenied, isAuthFailure, tlsHint } from "../aws/classify.js";
import { GetCallerIdentityCommand, type GetCallerIdentityCommandOutput, type STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { EnvCredentials, RoleCredentials } from "../aws/credentials.js";
import { DEFAULT_SOURCE_BUCKET, type FlexConfig } from "../config/schema.js";
import { listPrefixes } from "../engine/listing.js";
import type { CredentialRefresher } from "../engine/request.js";
import {
  CLOCK_CODES, describeSkew, doctorListing, errorCode, errorHeader, errorText, fail, FIXED_CREDENTIALS, formatSeconds,
  MAX_SKEW_MS, pass, regionFix, skip, summarizePrefixes, warn, type DateProbe, type Step,
} from "./doctor.js";
import { POLICY_STEPS, factsOf, readBucketPolicy, refusedText, type PolicyFacts, type PolicyRead } from "./doctor-policy.js";
import { APPLY_NEW, MERGE } from "./doctor-advice.js";
import { probeAll, statementLabel } from "./doctor-prefixes.js";
import { requestEnv } from "./doctor-request.js";
import { refusalFix } from "./doctor-advice.js";
import type { Selector } from "../plan/selectors.js";
import { proxyFor, proxyLabel } from "../aws/proxy.js";
import { caBundlePath } from "../aws/ca-bundle.js";
import { encryptionCheck } from "./doctor-encryption.js";
import { multipartWriteTestCheck, writeTestCheck } from "./doctor-write.js";
import type { ObjInfo } from "../engine/storage.js";

export const REQUIRED_REGION = "ap-northeast-1";

export interface DoctorContext {
  /** Undefined when the configuration is invalid (then `configError` says why). */
  config?: FlexConfig;
  configError?: string;
  /** Where the settings came from, e.g. "./flexcopy.config.json". */
  configSource?: string;
  /** STS and S3 on your own ("base") credentials; with `--credentials env`, on the exported ones. */
  sts: STSClient;
  baseS3: S3Client;
  s3With(credentials: AwsCredentialIdentityProvider): S3Client;
  probe: DateProbe;
  env: Record<string, string | undefined>;
  writeTest: boolean;
  /** `flexcopy doctor [selector…]`: the days the user will copy (the policy is decided on one key of each). */
  selectors?: Selector[];
  // ---- filled in by the checks ----
  identity?: Promise<GetCallerIdentityCommandOutput>;
  role?: { s3: S3Client; refresher: CredentialRefresher };
  sourcePrefixes?: string[];
  policyFacts?: PolicyFacts;
  /** Deny statements whose exemption doctor has printed (each once per run). */
  exemptionsShown?: Set<number>;
  /** GetBucketPolicy with your own credentials, once. */
  policyRead?: Promise<PolicyRead>;
  /** The object `--write-test` copied (the multipart test reuses it). */
  writeTestObject?: ObjInfo;
}

const cfg = (ctx: DoctorContext): FlexConfig => {
  if (!ctx.config) throw new Error("configuration missing");
  return ctx.config;
};
const callerIdentity = (ctx: DoctorContext) => (ctx.identity ??= ctx.sts.send(new GetCallerIdentityCommand({})));
const clockFailed = (ctx: DoctorContext): boolean => Math.abs(ctx.probe.skewMs() ?? 0) > MAX_SKEW_MS;
const INIT = "flexcopy init --account-id <12 digits> --dest-bucket <bucket>";

export const configCheck: Step<DoctorContext> = {
  name: "config",
  needs: [],
  run: async (ctx) => {
    if (!ctx.config) return fail(ctx.configError ?? "invalid configuration", `correct that setting (flag, FLEXCOPY_* variable or config file), or rewrite the file: ${INIT} --force`);
    const c = ctx.config;
    const needsAccount = c.credentials === "assume-role" && !c.roleArn;
    const missing = [needsAccount && !c.accountId ? "--account-id" : "", c.destBucket ? "" : "--dest-bucket"].filter(Boolean);
    if (missing.length > 0) return fail(`${missing.join(" and ")} not set`, `${INIT} (or FLEXCOPY_ACCOUNT_ID / FLEXCOPY_DEST_BUCKET)`);
    const from = ctx.configSource ? ` (from ${ctx.configSource})` : "";
    const proxy = proxyFor(c.endpointUrl ?? `https://s3.${c.region}.amazonaws.com`);
    const via = proxy ? `, through the proxy ${proxyLabel(proxy)}` : "";
    const ca = caBundlePath({ setting: c.caBundle, profile: c.profile, env: ctx.env });
    const trust = ca ? `, trusting the CA bundle ${ca.path} (${ca.from})` : "";
    return pass(`account ${c.accountId ?? "(from --role-arn)"}, destination s3://${c.destBucket}, credentials ${c.credentials}${via}${trust}${from}`);
  },
};

export const credentialsCheck: Step<DoctorContext> = {
  name: "base credentials",
  needs: ["config"],
  run: async (ctx) => {
    const c = cfg(ctx);
    let id: GetCallerIdentityCommandOutput;
    try {
      id = await callerIdentity(ctx);
    } catch (err) {
      const code = errorCode(err);
      if (CLOCK_CODES.has(code) || (clockFailed(ctx) && code === "SignatureDoesNotMatch")) {
        return fail(`${errorText(err)} (caused by the clock: see "clock")`, "fix the local clock (see the clock check), then run flexcopy doctor again");
      }
      return fail(errorText(err), credentialFix(code, c));
    }
    const detail = `account ${id.Account}, ${id.Arn}`;
    if (c.credentials === "assume-role" && c.accountId && id.Account !== c.accountId) {
      return warn(
        `${detail}, not the --account-id ${c.accountId}`,
        `the provider's role trusts the account you registered with JPX: use credentials of account ${c.accountId}, or correct --account-id`,
      );
    }
    return pass(detail);
  },
};

function credentialFix(code: string, c: FlexConfig): string {
  const where = c.profile ? `the profile "${c.profile}"` : "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile you use";
  const tls = tlsHint(code);
  if (tls) return tls;
  if (code === "CredentialsProviderError")
    return "no AWS credentials found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the keys of the IAM user from step 1-4), use --profile <name>, or run `aws configure`";
  if (code === "InvalidClientTokenId") return `AWS does not know this access key id: check ${where}; the key may be deleted or inactive (IAM → Users → Security credentials)`;
  if (code === "SignatureDoesNotMatch") return `the secret access key does not belong to the access key id: check ${where}; both keys come from the same CSV of step 1-4`;
  if (code === "ExpiredToken" || code === "ExpiredTokenException")
    return c.credentials === "env"
      ? "the exported temporary credentials have expired: drop --credentials env and let flexcopy assume the role (and refresh it) itself"
      : "your base credentials are temporary and have expired: renew them (e.g. aws sso login)";
  return `check your AWS credentials (${where}); \`aws sts get-caller-identity\` should succeed`;
}

export const clockCheck: Step<DoctorContext> = {
  name: "clock",
  needs: ["config"],
  run: async (ctx) => {
    await callerIdentity(ctx).catch(() => undefined); // any response carries the service's Date header
    const skewMs = ctx.probe.skewMs();
    if (skewMs === undefined) return skip("skipped: no response from the service to compare with");
    if (Math.abs(skewMs) > MAX_SKEW_MS) {
      return fail(
        `the local clock is ${describeSkew(skewMs)} the service (its Date header); AWS rejects signed requests that far off (RequestTimeTooSkewed)`,
        "synchronise the clock: Linux `sudo timedatectl set-ntp true` (or `sudo chronyc makestep`), macOS `sudo sntp -sS time.apple.com`, Windows `w32tm /resync`; in a container or VM fix the host's clock",
      );
    }
    return pass(`within ${Math.max(1, Math.round(Math.abs(skewMs) / 1000))} s of the service`);
  },
};

export const assumeRoleCheck: Step<DoctorContext> = {
  name: "assume role",
  needs: ["base credentials", "clock"],
  run: async (ctx) => {
    const c = cfg(ctx);
    if (c.credentials === "env") {
      const creds = new EnvCredentials(ctx.env);
      const exp = creds.identity().expiration;
      ctx.role = { s3: ctx.s3With(creds.provider), refresher: FIXED_CREDENTIALS };
      const until = exp && !Number.isNaN(exp.getTime()) ? `until ${exp.toISOString()}` : "for an unknown time";
      return warn(
        `--credentials env: using the exported temporary credentials ${until}; they cannot be refreshed`,
        "drop --credentials env: flexcopy then assumes the role itself and refreshes it before it expires",
      );
    }
    const roleArn = c.roleArn ?? "";
    const creds = new RoleCredentials({ sts: ctx.sts, roleArn, sessionName: c.sessionName, durationSeconds: c.duration, externalId: c.externalId });
    try {
      await creds.get();
    } catch (err) {
      return fail(`${errorText(err)} (${roleArn})`, await assumeFix(ctx, err, c));
    }
    ctx.role = {
      s3: ctx.s3With(creds.provider),
      refresher: {
        get currentKeyId() {
          return creds.currentKeyId;
        },
        refreshRejected: async (keyId) => {
          await creds.refresh("token-rejected", keyId);
          return true;
        },
      },
    };
    const granted = creds.grantedDurationSeconds;
    const chained = granted < c.duration ? " (role chaining: your base credentials are temporary, so AWS caps sessions at 1 h; flexcopy refreshes them automatically)" : "";
    return pass(`${roleArn}, sessions of ${formatSeconds(granted)}${chained}`);
  },
};

async function assumeFix(ctx: DoctorContext, err: unknown, c: FlexConfig): Promise<string> {
  if (!isAccessDenied(err)) return "check the role ARN (--role-arn or --account-id) and run `aws sts assume-role` with the same values to see the error";
  const who = await callerIdentity(ctx).then((id) => id.Arn ?? "your IAM user or role", () => "your IAM user or role");
  const externalId = c.externalId
    ? "the external id (--external-id) does not match: use exactly the one JPX gave you"
    : "if JPX gave you an external id, pass it with --external-id (or externalId in the config file)";
  return `${externalId}; attach the IAM policy of \`flexcopy policy --iam-policy\` to ${who} (steps 1-3, 1-4); and --account-id ${c.accountId} must be the account you registered with JPX (the role exists only after their setup-complete notice)`;
}

export const sourceCheck: Step<DoctorContext> = {
  name: "source bucket",
  needs: ["assume role"],
  run: async (ctx) => {
    const c = cfg(ctx);
    const listing = doctorListing(ctx.role!.s3, c.maxAttempts, ctx.role!.refresher);
    const prefixes: string[] = [];
    try {
      for await (const p of listPrefixes(listing, c.sourceBucket, "", "source")) {
        prefixes.push(p);
        if (prefixes.length >= 10_000) break;
      }
    } catch (err) {
      if (isAuthFailure(err)) return fail(`${errorText(err)}: the provider's role cannot list s3://${c.sourceBucket}`, `JPX may not have finished the setup for account ${c.accountId}: wait for their setup-complete notice, or ask JPX`);
      if (errorCode(err) === "NoSuchBucket") return fail(errorText(err), `--source-bucket should be ${DEFAULT_SOURCE_BUCKET}`);
      const region = regionFix(err, "source");
      if (region !== undefined) return fail(errorText(err), region);
      return fail(errorText(err), "run flexcopy doctor again; if it persists, check network access to S3 (proxy, VPC endpoint)");
    }
    ctx.sourcePrefixes = prefixes;
    return pass(`s3://${c.sourceBucket} shows ${summarizePrefixes(prefixes)} (listings may include data outside your contract)`);
  },
};

export const destinationCheck: Step<DoctorContext> = {
  name: "destination bucket",
  needs: ["base credentials", "clock"],
  run: async (ctx) => {
    const c = cfg(ctx);
    const bucket = c.destBucket!;
    let region: string | undefined;
    let note = "";
    try {
      const head = await ctx.baseS3.send(new HeadBucketCommand({ Bucket: bucket }));
      region = head.BucketRegion ?? (await bucketLocation(ctx.baseS3, bucket).catch(() => undefined));
    } catch (err) {
      region = errorHeader(err, "x-amz-bucket-region");
      const code = errorCode(err);
      if (code === "NotFound" || code === "NoSuchBucket") {
        return fail(`s3://${bucket} does not exist`, `create it in Tokyo (step 1-1): aws s3 mb s3://${bucket} --region ${REQUIRED_REGION}`);
      }
      // A user with only the manual's IAM policy may not read the bucket; S3 still names its region.
      note = ` (your own credentials may not read it: ${code}; only the provider's role needs access)`;
      if (region === undefined) {
        return warn(`${errorText(err)}: the region of s3://${bucket} could not be read with your own credentials`, `make sure it is in Asia Pacific (Tokyo) ${REQUIRED_REGION} (S3 console), or allow your IAM user s3:ListBucket on it`);
      }
    }
    if (region === undefined) {
      return warn(`s3://${bucket} exists; its region was not reported`, `make sure it is in Asia Pacific (Tokyo) ${REQUIRED_REGION} (S3 console)`);
    }
    if (region !== REQUIRED_REGION) {
      return fail(
        `s3://${bucket} is in ${region}, not ${REQUIRED_REGION}`,
        `the manual (step 1-1) requires Asia Pacific (Tokyo): create a bucket with \`aws s3 mb s3://<name> --region ${REQUIRED_REGION}\`, tell JPX its name, apply \`flexcopy policy --bucket-policy\` to it and use --dest-bucket <name>`,
      );
    }
    return pass(`s3://${bucket} exists in ${region}${note}`);
  },
};

async function bucketLocation(s3: S3Client, bucket: string): Promise<string> {
  const out = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
  return out.LocationConstraint || "us-east-1"; // an empty constraint means us-east-1
}

export const destinationAccessCheck: Step<DoctorContext> = {
  name: "destination access",
  needs: ["assume role", "destination bucket"],
  run: async (ctx) => {
    const bucket = cfg(ctx).destBucket!;
    try {
      await ctx.role!.s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
    } catch (err) {
      if (isAuthFailure(err)) return listRefused(ctx, err, bucket);
      return fail(errorText(err), "run flexcopy doctor again; if it persists, check the bucket policy (`flexcopy policy --bucket-policy`)");
    }
    return pass(`the provider's role can list s3://${bucket} (bucket policy in place)`);
  },
};

/** The role's listing was refused: why, from your bucket policy as far as it can be read; never "replace it". */
async function listRefused(ctx: DoctorContext, err: unknown, bucket: string): Promise<ReturnType<typeof fail>> {
  const head = `${errorText(err)}: the provider's role cannot list s3://${bucket}`;
  const then = "fetch then lists it with your own credentials";
  const read = await readBucketPolicy(ctx);
  if (read.state === "absent") return fail(`${head} (it has no bucket policy)`, APPLY_NEW(bucket));
  if (read.state === "refused") {
    const t = refusedText(read.error, bucket, requestEnv(cfg(ctx).endpointUrl, cfg(ctx).region));
    return fail(`${head}; ${t.detail.replace(/^[^:]*: /, "")}`, `${t.fix}; if the bucket has a policy of its own, do not replace it: ${MERGE}`);
  }
  if (read.state !== "read") return fail(`${head} (its bucket policy could not be evaluated here; ${then})`, `do not replace your policy: ${MERGE}`);
  const f = await factsOf(ctx, read, [{ prefix: "", key: "" }]);
  const r = probeAll(f, "ListObjectsV2");
  const g = r.refused[0];
  if (!g) return fail(`${head}, though doctor's reading of its bucket policy allows it (the real request differs: ${r.undecided.keys.join(", ") || "unknown why"}; ${then})`, "run flexcopy doctor --write-test from the machine that will run fetch");
  const why = g.index !== undefined ? `refused by its bucket policy's ${statementLabel(f, g.index)}` : "its bucket policy has no s3:ListBucket for the role";
  return fail(`${head} (${why}; ${then})`, refusalFix(f, "ListObjectsV2", g, {}, `do not replace your policy: ${MERGE}`, false));
}

/** Every check, in order. */
export const DOCTOR_STEPS: Step<DoctorContext>[] = [
  configCheck,
  credentialsCheck,
  clockCheck,
  assumeRoleCheck,
  sourceCheck,
  destinationCheck,
  destinationAccessCheck,
  encryptionCheck,
  ...POLICY_STEPS,
  writeTestCheck,
  multipartWriteTestCheck,
];
