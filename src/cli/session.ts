import type { S3Client } from "@aws-sdk/client-s3";
import type { STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { classifyError } from "../aws/classify.js";
import { CaBundleError, resolveCaBundle, type CaBundle } from "../aws/ca-bundle.js";
import { makeS3Client, makeStsClient, type ClientSettings } from "../aws/clients.js";
import { proxyFor, proxySecrets } from "../aws/proxy.js";
import { baseCredentials, EnvCredentials, RoleCredentials } from "../aws/credentials.js";
import { concurrencyCeiling, defaultRoleArn, type FlexConfig } from "../config/schema.js";
import { AdaptiveConcurrency, type Settled } from "../engine/concurrency.js";
import type { Emit } from "../engine/events.js";
import type { Listing } from "../engine/listing.js";
import { RequestError, Requester, type CredentialRefresher } from "../engine/request.js";
import { AuthError, UsageError } from "./errors.js";
import { registerSecret } from "./redact.js";
import { s3Store } from "../engine/storage.js";
import { VERSION } from "./version.js";

export interface Session {
  config: FlexConfig;
  s3: S3Client;
  sts: STSClient;
  roleArn?: string;
  refresher: CredentialRefresher;
  refreshCount(): number;
  /** `start`: where `--concurrency auto` starts (a previous run's settled state), unless --concurrency-start says. */
  requester(emit: Emit, signal?: AbortSignal, start?: Settled): Requester;
  /** The bucket owner's (base) credentials, to list and abort uploads the role may not; absent with `--credentials env`. */
  owner?(emit: Emit, signal?: AbortSignal): Listing & { s3: S3Client };
}

export function clientSettings(config: FlexConfig, env: Record<string, string | undefined> = process.env): ClientSettings {
  const ca = caBundleOf(config, env);
  return {
    region: config.region,
    endpointUrl: config.endpointUrl,
    stsEndpointUrl: config.stsEndpointUrl,
    forcePathStyle: config.forcePathStyle,
    concurrency: concurrencyCeiling(config),
    proxyFor: registeredProxyFor,
    userAgent: ["flexcopy", VERSION],
    ...(ca ? { ca: ca.pem } : {}),
    ...(config.requestTimeout !== undefined ? { requestTimeoutMs: config.requestTimeout * 1000 } : {}),
  };
}

/** The CA bundle to trust (--ca-bundle > AWS_CA_BUNDLE > the profile's ca_bundle); a bad file is a usage error. */
export function caBundleOf(config: Pick<FlexConfig, "caBundle" | "profile">, env: Record<string, string | undefined> = process.env): CaBundle | undefined {
  try {
    return resolveCaBundle({ setting: config.caBundle, profile: config.profile, env });
  } catch (err) {
    if (err instanceof CaBundleError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * The proxy the environment names for an endpoint (HTTPS_PROXY, NO_PROXY, …; aws/proxy.ts), asked by each client
 * with the endpoint its SDK resolved. A password in a proxy URL is registered as a secret, so no output shows it.
 */
function registeredProxyFor(url: string): string | undefined {
  const p = proxyFor(url);
  for (const secret of p ? proxySecrets(p) : []) registerSecret(secret);
  return p;
}

/** Wraps a credential provider so whatever secret it yields is redacted from all output. */
export function registering(p: AwsCredentialIdentityProvider & { memoized?: boolean }): AwsCredentialIdentityProvider {
  const wrapped = async (o?: Parameters<AwsCredentialIdentityProvider>[0]) => {
    const id = await p(o);
    registerSecret(id.secretAccessKey);
    registerSecret(id.sessionToken);
    return id;
  };
  // Keep the mark that tells the SDK not to cache: our role provider caches and refreshes itself.
  return p.memoized ? Object.assign(wrapped, { memoized: true }) : wrapped;
}

export function roleArnOf(config: FlexConfig): string {
  if (config.roleArn) return config.roleArn;
  if (config.accountId) return defaultRoleArn(config.accountId);
  throw new UsageError("--account-id is required (your 12-digit AWS account id; or set FLEXCOPY_ACCOUNT_ID, or accountId in flexcopy.config.json)");
}

/**
 * Clients and credentials for a run: base credentials from the standard chain, then the provider's
 * role (refreshed before expiry and when S3 rejects a token), or `--credentials env`.
 * Fails with AuthError (exit 3) if the first credentials cannot be obtained.
 */
export async function openSession(config: FlexConfig, emit: Emit, env: Record<string, string | undefined> = process.env): Promise<Session> {
  const settings = clientSettings(config);
  const base = registering(baseCredentials(config.profile));
  const sts = makeStsClient(settings, base);
  const notice = (message: string) => emit({ kind: "notice", message });

  if (config.credentials === "env") {
    const creds = new EnvCredentials(env, notice);
    try {
      const id = creds.identity();
      registerSecret(id.secretAccessKey);
      registerSecret(id.sessionToken);
    } catch (err) {
      throw new AuthError((err as Error).message);
    }
    creds.warnIfExpiring();
    const s3 = makeS3Client(settings, creds.provider);
    const refresher: CredentialRefresher = { currentKeyId: undefined, refreshRejected: async () => false };
    return { config, s3, sts, refresher, refreshCount: () => 0, requester: (e, signal, start) => requester(config, refresher, e, signal, start) };
  }

  const roleArn = roleArnOf(config);
  const creds = new RoleCredentials({
    sts,
    roleArn,
    sessionName: config.sessionName,
    durationSeconds: config.duration,
    externalId: config.externalId,
    onNotice: notice,
    onRefresh: (i) => emit({ kind: "refreshed", reason: i.reason, expiration: i.expiration.toISOString(), durationSeconds: i.durationSeconds }),
  });
  try {
    const id = await creds.get();
    registerSecret(id.secretAccessKey);
    registerSecret(id.sessionToken);
  } catch (err) {
    const c = classifyError(err, { side: "sts" });
    // STS unreachable or failing (refused connection, timeout, DNS, 5xx, throttling) says nothing about the
    // credentials: exit 1 as any request that failed for good, not 3 ("fix your credentials" to a CI script).
    if (c.action === "retry" || c.code === "ENOTFOUND") {
      const where = settings.stsEndpointUrl ?? settings.endpointUrl ?? "the AWS STS endpoint";
      throw new RequestError("AssumeRole", { ...c, hint: `a network or service error, not your credentials: STS (${where}) could not be reached or did not answer; check the network, proxy and --endpoint-url, then run again` }, err);
    }
    throw new AuthError(`cannot assume ${roleArn}: ${c.code}${messageOf(err)}`, c.hint ?? "run `flexcopy doctor` to check your setup");
  }
  const s3 = makeS3Client(settings, registering(creds.provider));
  const refresher: CredentialRefresher = {
    get currentKeyId() {
      return creds.currentKeyId;
    },
    refreshRejected: async (keyId) => {
      await creds.refresh("token-rejected", keyId);
      return true;
    },
  };
  const ownerS3 = makeS3Client(settings, base);
  const ownerStore = s3Store(ownerS3);
  const fixed: CredentialRefresher = { currentKeyId: undefined, refreshRejected: async () => false };
  return {
    config,
    s3,
    sts,
    roleArn,
    refresher,
    refreshCount: () => creds.refreshCount,
    requester: (e, signal, start) => requester(config, refresher, e, signal, start),
    owner: (e, signal) => ({ s3: ownerS3, store: ownerStore, requester: ownerRequester(config, fixed, e, signal) }),
  };
}

function requester(config: FlexConfig, credentials: CredentialRefresher, emit: Emit, signal?: AbortSignal, start?: Settled): Requester {
  // --concurrency-start N: from N in slow start; else where the last run settled (its W_max too); else low
  const from = config.concurrencyStart !== undefined ? { initial: config.concurrencyStart } : start ? { initial: start.limit, ceiling: start.ceiling } : {};
  const adaptive =
    config.concurrency === "auto" ? new AdaptiveConcurrency({ max: config.maxConcurrency, ...from }, (c) => emit({ kind: "concurrency", ...c })) : undefined;
  return new Requester({ concurrency: concurrencyCeiling(config), adaptive, maxAttempts: config.maxAttempts, credentials, emit, signal, ...giveUp(config) });
}

/**
 * Requests in flight at once with the bucket owner's credentials under `--concurrency auto`: a policy read,
 * the odd abort, an orphan sweep's listing. They are few, so they get a fixed lane and no controller of
 * their own (a second controller would report its own `concurrency` events beside the copies').
 */
export const OWNER_CONCURRENCY = 16;

function ownerRequester(config: FlexConfig, credentials: CredentialRefresher, emit: Emit, signal?: AbortSignal): Requester {
  const concurrency = config.concurrency === "auto" ? OWNER_CONCURRENCY : config.concurrency;
  return new Requester({ concurrency, maxAttempts: config.maxAttempts, credentials, emit, signal, ...giveUp(config) });
}

/** `--give-up-after` for a Requester (engine/request.ts EndpointGone). */
export function giveUp(config: Pick<FlexConfig, "giveUpAfter">): { giveUpAfterMs?: number } {
  return config.giveUpAfter !== undefined ? { giveUpAfterMs: config.giveUpAfter * 1000 } : {};
}

function messageOf(err: unknown): string {
  const m = (err as { message?: unknown }).message;
  return typeof m === "string" && m && m !== "UnknownError" ? ` (${m.split("\n")[0]})` : "";
}
