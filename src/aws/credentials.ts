import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

export const CHAINED_ROLE_MAX_SECONDS = 3600;

export type RefreshReason = "initial" | "expiring" | "token-rejected";

export interface RefreshInfo {
  reason: RefreshReason;
  expiration: Date;
  /** Seconds actually granted by STS. */
  durationSeconds: number;
}

export interface RoleCredentialOptions {
  sts: STSClient;
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  externalId?: string;
  now?: () => number;
  onRefresh?: (info: RefreshInfo) => void;
  onNotice?: (message: string) => void;
}

/** The SDK skips its own caching for a provider marked memoized: every request asks us, and we cache. */
type MemoizedProvider = AwsCredentialIdentityProvider & { memoized?: boolean };

/** Base credentials from the standard AWS chain: env, SSO, profiles, credential_process, container, IMDS. */
export function baseCredentials(profile?: string): AwsCredentialIdentityProvider {
  return fromNodeProviderChain(profile ? { profile } : {});
}

/**
 * How long before expiry a token is replaced: a tenth of its lifetime, between 1 s and 5 min,
 * so 12 h tokens are renewed 5 minutes early and 20 s test tokens 2 s early.
 */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(300_000, Math.max(1_000, lifetimeMs / 10));
}

function isValidationError(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === "ValidationError";
}

/**
 * Temporary credentials of the provider's role, refreshed before they expire and on demand when
 * S3 rejects a token. Refreshes are single-flight: any number of waiting workers cause one STS call.
 */
export class RoleCredentials {
  private current?: { identity: AwsCredentialIdentity; issuedAt: number };
  private inflight?: Promise<AwsCredentialIdentity>;
  private duration: number;
  private readonly now: () => number;
  refreshCount = 0;

  constructor(private readonly opts: RoleCredentialOptions) {
    this.duration = opts.durationSeconds;
    this.now = opts.now ?? Date.now;
  }

  /** Seconds STS granted on the last AssumeRole (3600 after a role-chaining fallback). */
  get grantedDurationSeconds(): number {
    return this.duration;
  }

  readonly provider: MemoizedProvider = Object.assign(async () => this.get(), { memoized: true });

  async get(): Promise<AwsCredentialIdentity> {
    const cur = this.current;
    if (!cur) return this.refresh("initial");
    const exp = cur.identity.expiration?.getTime() ?? Infinity;
    if (this.now() >= exp - refreshMarginMs(exp - cur.issuedAt)) return this.refresh("expiring");
    return cur.identity;
  }

  /**
   * Replace the credentials. With `rejectedKeyId`, the refresh happens only if that key is still the
   * current one: when 64 requests fail with ExpiredToken at once, the first refreshes, the rest reuse it.
   */
  async refresh(reason: RefreshReason, rejectedKeyId?: string): Promise<AwsCredentialIdentity> {
    if (this.inflight) return this.inflight;
    if (rejectedKeyId && this.current && this.current.identity.accessKeyId !== rejectedKeyId) {
      return this.current.identity;
    }
    this.inflight = this.assume(reason).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Access key of the credentials in use (not secret), to tag requests for `refresh(…, rejectedKeyId)`. */
  get currentKeyId(): string | undefined {
    return this.current?.identity.accessKeyId;
  }

  private async assume(reason: RefreshReason): Promise<AwsCredentialIdentity> {
    const issuedAt = this.now();
    const out = await this.assumeWithFallback();
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("AssumeRole returned no credentials");
    const identity: AwsCredentialIdentity = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
    this.current = { identity, issuedAt };
    this.refreshCount += 1;
    const expiration = c.Expiration ?? new Date(issuedAt + this.duration * 1000);
    this.opts.onRefresh?.({ reason, expiration, durationSeconds: this.duration });
    return identity;
  }

  private async assumeWithFallback() {
    try {
      return await this.send(this.duration);
    } catch (err) {
      // Role chaining (base credentials are themselves temporary) caps sessions at 1 hour.
      if (!isValidationError(err) || this.duration <= CHAINED_ROLE_MAX_SECONDS) throw err;
      this.opts.onNotice?.(
        `AssumeRole refused ${this.duration} s (role chaining or the role's maximum session); using ${CHAINED_ROLE_MAX_SECONDS} s sessions, refreshed automatically`,
      );
      this.duration = CHAINED_ROLE_MAX_SECONDS;
      return this.send(this.duration);
    }
  }

  private send(durationSeconds: number) {
    return this.opts.sts.send(
      new AssumeRoleCommand({
        RoleArn: this.opts.roleArn,
        RoleSessionName: this.opts.sessionName,
        DurationSeconds: durationSeconds,
        ExternalId: this.opts.externalId,
      }),
    );
  }
}

/**
 * `--credentials env`: already-exported temporary credentials (the manual's way). They cannot be
 * refreshed, so the caller is warned before they expire.
 */
export class EnvCredentials {
  readonly refreshCount = 0;
  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly onNotice?: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  identity(): AwsCredentialIdentity {
    const accessKeyId = this.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = this.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error("--credentials env needs AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in the environment");
    }
    const expText = this.env.AWS_CREDENTIAL_EXPIRATION ?? this.env.AWS_SESSION_EXPIRATION;
    const expiration = expText ? new Date(expText) : undefined;
    return { accessKeyId, secretAccessKey, sessionToken: this.env.AWS_SESSION_TOKEN, expiration };
  }

  /** Warns once when the exported credentials are within 10 minutes of expiring (if their expiry is known). */
  warnIfExpiring(): void {
    const exp = this.identity().expiration;
    if (!exp || Number.isNaN(exp.getTime())) return;
    const left = exp.getTime() - this.now();
    if (left < 600_000) {
      this.onNotice?.(
        left <= 0
          ? "the exported credentials have expired: run `aws sts assume-role` again, or drop --credentials env to let flexcopy refresh them"
          : `the exported credentials expire in ${Math.round(left / 60_000)} min and cannot be refreshed; drop --credentials env to let flexcopy refresh them`,
      );
    }
  }

  readonly provider: MemoizedProvider = Object.assign(async () => this.identity(), { memoized: true });
}
