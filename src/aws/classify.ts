/**
 * The one error classifier: every failure is retried, answered with a credential refresh, or fatal.
 * Decided from the error's code (S3/STS error code, SDK error name, Node errno) and HTTP status,
 * never from message text.
 */

export type ErrorAction = "retry" | "refresh" | "fatal";

export interface Classified {
  action: ErrorAction;
  /** S3/STS error code, SDK error name or Node errno; "HTTP <status>" or "UnknownError" when there is none. */
  code: string;
  status?: number;
  /** From a Retry-After header, when the server sent one with a retryable error. */
  retryAfterMs?: number;
  hint?: string;
}

export type Side = "source" | "dest" | "sts";

const THROTTLING = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "BandwidthLimitExceeded",
  "PriorRequestNotComplete",
  "ProvisionedThroughputExceededException",
]);
const TRANSIENT = new Set([
  "InternalError",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "OperationAborted",
  "IDPCommunicationError",
  "IDPCommunicationErrorException",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);
const FATAL = new Set([
  "InvalidRequest",
  "InvalidArgument",
  "InvalidRange",
  "InvalidPart",
  "InvalidPartOrder",
  "NoSuchUpload",
  "MalformedXML",
  "MethodNotAllowed",
  "InvalidBucketName",
  "KeyTooLongError",
  "MetadataTooLarge",
  "AccountProblem",
  "AllAccessDisabled",
  "ValidationError",
  "MalformedPolicyDocument",
  "MalformedPolicyDocumentException",
  "PackedPolicyTooLarge",
  "PackedPolicyTooLargeException",
  "RegionDisabledException",
  "ENOTFOUND",
]);
const TOKEN = new Set(["ExpiredToken", "ExpiredTokenException", "InvalidToken", "TokenRefreshRequired"]);
const RETRY_STATUS = new Set([429]);

/**
 * Node's codes for a TLS certificate it could not verify (OpenSSL's X509_V_ERR_* names): the endpoint, or a
 * TLS-intercepting proxy in between, is signed by a CA this machine does not trust. Fatal: a retry cannot help.
 */
const UNTRUSTED_CERT = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_REJECTED",
]);
const CA_HINT =
  "the endpoint's TLS certificate is not signed by a CA this computer trusts (a corporate TLS-intercepting proxy, a private endpoint, `flexcopy emulator --tls`): pass that CA's certificate with --ca-bundle FILE (or AWS_CA_BUNDLE, or ca_bundle in your AWS profile)";
const CERT_DATE_HINT = "the endpoint's TLS certificate is expired or not yet valid: check this computer's clock, and --endpoint-url";

const CLOCK_HINT = "this computer's clock is off by more than 15 minutes: sync it (NTP) and re-run";
const REGION_HINT = "the bucket is not in ap-northeast-1 (Tokyo), where the provider's data lives: the manual requires a destination bucket in Tokyo — create one there (`flexcopy doctor` shows the region)";

const HINTS: Record<string, string> = {
  NoSuchKey: "the object was removed or renamed at the source after it was listed: re-run to plan again",
  NotFound: "the object was removed or renamed after it was listed: re-run to plan again",
  InvalidObjectState:
    "the object is archived (S3 Glacier Flexible Retrieval / Deep Archive, or an Intelligent-Tiering archive tier) and cannot be copied until it is restored: ask the provider, or leave it (flexcopy skips objects whose listing shows GLACIER or DEEP_ARCHIVE)",
  PreconditionFailed: "the source object changed during the copy: re-run to copy the new version",
  RequestTimeTooSkewed: CLOCK_HINT,
  RequestExpired: CLOCK_HINT,
  InvalidAccessKeyId: "AWS does not know this access key id: check your credentials and --profile (and --endpoint-url, if set)",
  InvalidClientTokenId: "AWS does not know this access key id: check your credentials and --profile (and --sts-endpoint-url, if set)",
  SignatureDoesNotMatch: "the secret access key does not match the access key id: check your credentials and --profile",
  EntityTooLarge: "objects over 5 GiB must be copied in parts: keep --multipart-threshold at 5 GiB or below",
  NotImplemented: "the S3 endpoint does not support this request: check --endpoint-url",
  IllegalLocationConstraintException: REGION_HINT,
  CredentialsProviderError:
    "no AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, use --profile, or run `aws configure` (see `flexcopy doctor`)",
  AbortError: "the operation was interrupted",
  ENOTFOUND: "the endpoint's host name does not resolve: check --endpoint-url and your network (behind a proxy: HTTPS_PROXY, and NO_PROXY must not name it)",
  CERT_HAS_EXPIRED: CERT_DATE_HINT,
  CERT_NOT_YET_VALID: CERT_DATE_HINT,
  ERR_TLS_CERT_ALTNAME_INVALID: "the endpoint's TLS certificate does not name its host: check --endpoint-url (and --ca-bundle, if a proxy re-signs certificates)",
  ProxyAuthenticationRequired:
    "your proxy refused the request (407 Proxy Authentication Required): check the user and password in HTTPS_PROXY / HTTP_PROXY (http://user:password@proxy:port, URL-encoded)",
};

const ACCESS_DENIED_HINTS: Record<Side | "unknown", string> = {
  source:
    "the object is probably outside your contracted data period (listings show data you may not be entitled to download)",
  dest: "the destination bucket policy does not grant the provider role PutObject with bucket-owner-full-control — paste the policy from `flexcopy policy`, or the provider has not finished setup yet; if your policy also requires an encryption header, add --sse AES256 (or aws:kms); `flexcopy doctor` tells which",
  sts: "your IAM user or role needs sts:AssumeRole on the provider role (`flexcopy policy --iam-policy`), the account id must be the one you registered with JPX, and the external id must match",
  unknown: "either the object is outside your contracted data period or your bucket policy does not let the provider role write: run `flexcopy doctor`",
};

const NO_SUCH_BUCKET_HINTS: Record<Side | "unknown", string> = {
  source: "the source bucket does not exist: check --source-bucket (normally dataservice-flex-bucket)",
  dest: "the destination bucket does not exist: check --dest-bucket and --region",
  sts: "check --dest-bucket and --source-bucket",
  unknown: "check --dest-bucket and --source-bucket",
};

/** A request signed for another region than the bucket's (S3 API Reference, "Error responses"). */
const REGION_CODES = new Set(["PermanentRedirect", "AuthorizationHeaderMalformed"]);
const REGION_SETTING = "--region (or FLEXCOPY_REGION, or \"region\" in the config file)";

/**
 * Which bucket is elsewhere and which setting to change. S3's 301 PermanentRedirect names the bucket in its
 * body (`Bucket`, `Endpoint`) and its region in the `x-amz-bucket-region` header; AuthorizationHeaderMalformed
 * names the expected `Region` (S3 API Reference, "Error responses"; GetBucketLocation / HeadBucket).
 */
function regionHint(e: ErrorLike, side: Side | "unknown"): string {
  const r = e as Record<string, unknown>;
  const headers = e.$response?.headers ?? {};
  const header = Object.entries(headers).find(([k]) => k.toLowerCase() === "x-amz-bucket-region")?.[1];
  const endpoint = typeof r.Endpoint === "string" ? /^s3[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(r.Endpoint)?.[1] : undefined;
  const region = [header, r.Region, endpoint].find((v): v is string => typeof v === "string" && v !== "");
  const bucket = typeof r.Bucket === "string" && r.Bucket !== "" ? r.Bucket : undefined;
  const where = region ? `is in ${region}` : "is in another region";
  if (side === "source") {
    return `the provider's bucket${bucket ? ` ${bucket}` : ""} ${where}, not the region flexcopy signs for: set ${REGION_SETTING} to ${region ?? "ap-northeast-1"}`;
  }
  // Your bucket is in Tokyo after all (the region S3 names is ap-northeast-1): only the setting is wrong, so the hint
  // says to set it, not that the manual requires a Tokyo bucket.
  if (side === "dest" && region === "ap-northeast-1") {
    return `your bucket${bucket ? ` ${bucket}` : ""} ${where}, not the region flexcopy signs for: set ${REGION_SETTING} to ap-northeast-1`;
  }
  if (side === "dest") {
    return `your bucket${bucket ? ` ${bucket}` : ""} ${where}, not the region flexcopy signs for (${REGION_SETTING}): the manual requires a destination bucket in ap-northeast-1 (Tokyo), where the provider's data lives; if it is there, set --region ap-northeast-1`;
  }
  return `the bucket${bucket ? ` ${bucket}` : ""} ${where}, not the region flexcopy signs for: check ${REGION_SETTING}; the provider's bucket and yours must both be in ap-northeast-1 (Tokyo)`;
}

const GENERIC_NAMES = new Set(["Error", "UnknownError", "Unknown", "ServiceException", "S3ServiceException", "STSServiceException"]);

interface ErrorLike {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown; headers?: Record<string, unknown> };
  statusCode?: unknown;
}

function errorCode(e: ErrorLike, status: number | undefined): string {
  if (typeof e.Code === "string" && e.Code !== "") return e.Code;
  if (typeof e.name === "string" && e.name !== "" && !GENERIC_NAMES.has(e.name) && !/^\d+$/.test(e.name)) return e.name;
  if (typeof e.code === "string" && e.code !== "") return e.code;
  if (status === 403) return "AccessDenied";
  if (status === 404) return "NotFound";
  if (status === 407) return "ProxyAuthenticationRequired";
  return status !== undefined ? `HTTP ${status}` : "UnknownError";
}

function statusOf(e: ErrorLike): number | undefined {
  for (const v of [e.$metadata?.httpStatusCode, e.$response?.statusCode, e.statusCode]) {
    if (typeof v === "number" && Number.isInteger(v)) return v;
  }
  return undefined;
}

/** Retry-After in seconds or as an HTTP date, capped at two minutes. */
function retryAfterOf(e: ErrorLike, now = Date.now()): number | undefined {
  const headers = e.$response?.headers;
  if (!headers) return undefined;
  const entry = Object.entries(headers).find(([k]) => k.toLowerCase() === "retry-after");
  const value = typeof entry?.[1] === "string" ? entry[1].trim() : undefined;
  if (!value) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return undefined;
  return Math.min(ms, 120_000);
}

/** Classifies any thrown value. `side` says whose resource the request touched, for hints. */
export function classifyError(err: unknown, ctx: { side?: Side } = {}): Classified {
  const e: ErrorLike = typeof err === "object" && err !== null ? (err as ErrorLike) : {};
  const status = statusOf(e);
  const code = errorCode(e, status);
  const side = ctx.side ?? "unknown";
  const base = status === undefined ? { code } : { code, status };

  const retry = (): Classified => {
    const retryAfterMs = retryAfterOf(e);
    return retryAfterMs === undefined ? { action: "retry", ...base } : { action: "retry", ...base, retryAfterMs };
  };
  const fatal = (hint?: string): Classified => (hint === undefined ? { action: "fatal", ...base } : { action: "fatal", ...base, hint });

  if (code === "AbortError") return fatal(HINTS.AbortError);
  if (TOKEN.has(code)) {
    // An expired token on STS is the caller's own (base) credentials: a refresh of the role cannot help.
    if (side === "sts") return fatal("your own AWS credentials have expired: renew them (e.g. `aws sso login`) and re-run");
    return { action: "refresh", ...base };
  }
  // A bare 400 with no error code is what a HEAD request gets for an expired or invalid session token:
  // responses to HEAD carry no body, so S3's <Code>ExpiredToken</Code> never arrives (S3 API reference, "Error
  // responses"; HeadObject: "a HEAD request has the same options as a GET ... but without the body"). Refreshing
  // is harmless for any other 400: the requester refreshes a request at most a few times, then fails it.
  if (code === "HTTP 400" && side !== "sts") return { action: "refresh", ...base };
  if (THROTTLING.has(code) || TRANSIENT.has(code)) return retry();
  if (code === "AccessDenied" || code === "AccessDeniedException" || code === "Forbidden") {
    return { action: "fatal", ...base, code: "AccessDenied", hint: ACCESS_DENIED_HINTS[side] };
  }
  if (code === "NoSuchBucket") return fatal(NO_SUCH_BUCKET_HINTS[side]);
  if (UNTRUSTED_CERT.has(code)) return fatal(CA_HINT);
  if (REGION_CODES.has(code)) return fatal(regionHint(e, side));
  if (Object.hasOwn(HINTS, code)) return fatal(HINTS[code]);
  if (FATAL.has(code)) return fatal();
  if (status !== undefined && (RETRY_STATUS.has(status) || (status >= 500 && status !== 501))) return retry();
  // A 200 response whose body is an error (CopyObject, UploadPartCopy, CompleteMultipartUpload) is transient.
  if (status === 200) return retry();
  return fatal();
}

/** The hint for a TLS certificate error code (an untrusted CA, an expired certificate, another host's), if it is one. */
export function tlsHint(code: string): string | undefined {
  if (UNTRUSTED_CERT.has(code)) return CA_HINT;
  return code.startsWith("CERT_") || code === "ERR_TLS_CERT_ALTNAME_INVALID" ? HINTS[code] : undefined;
}

/** Codes that mean the credentials themselves were refused (wrong, unsigned, expired): exit 3 like a denial. */
const CREDENTIAL_REFUSED = new Set(["InvalidAccessKeyId", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "InvalidToken"]);

/** The verdict of an error: a RequestError (engine) carries it as `classified`; anything else is classified here. */
function verdictOf(err: unknown): Classified {
  const c = (err as { classified?: Classified } | undefined)?.classified;
  return c && typeof c.code === "string" ? c : classifyError(err);
}

/**
 * The one "is this a denial" rule: AccessDenied (S3), AccessDeniedException (STS), Forbidden, or a
 * 403 without a code (a HEAD response has no body) — classifyError names all of them AccessDenied.
 * A 403 with another code (InvalidObjectState for an archived object, RequestTimeTooSkewed,
 * SignatureDoesNotMatch, …) is not a denial of permission.
 */
/** Push-back (SlowDown and kin): the endpoint answered, asking for fewer requests; it is not gone. */
export function isThrottling(code: string): boolean {
  return THROTTLING.has(code);
}

/** What `isCongestion` needs of a failed request's classification. */
export interface Outcome {
  code: string;
  status?: number;
}

/**
 * Besides throttling, what `--concurrency auto` also reads as "too much at once" (engine/concurrency.ts): an
 * overloaded service, timeouts and dropped connections. Internal errors, denials and missing keys are not.
 */
const OVERLOAD = new Set([
  "ServiceUnavailable",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ETIMEDOUT",
  "ECONNRESET",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The congestion signals `--concurrency auto` cuts on: throttling, overload, and any 503 or 429. */
export function isCongestion(o: Outcome): boolean {
  return THROTTLING.has(o.code) || OVERLOAD.has(o.code) || o.status === 503 || o.status === 429;
}

export function isAccessDenied(err: unknown): boolean {
  return verdictOf(err).code === "AccessDenied";
}

/**
 * Authentication or authorization failed (exit 3): a denial, refused credentials, or any other 403
 * but InvalidObjectState (which is about an archived object, not about who is asking).
 */
export function isAuthFailure(err: unknown): boolean {
  const c = verdictOf(err);
  return isAccessDenied(err) || CREDENTIAL_REFUSED.has(c.code) || (c.status === 403 && c.code !== "InvalidObjectState");
}

/**
 * The AWS SDKs' standard retry mode's bases (@smithy/core util-retry constants: DEFAULT_RETRY_DELAY_BASE 100 ms,
 * THROTTLING_RETRY_DELAY_BASE 500 ms, MAXIMUM_RETRY_DELAY 20 s): a throttled request waits five times longer, so
 * against a rate limit its retry does not land in the same full second (measured: bench case 5 with --rates).
 */
export const RETRY_DELAY_BASE_MS = 100;
export const THROTTLING_RETRY_DELAY_BASE_MS = 500;

/** Exponential backoff with full jitter: random in [0, min(20 s, base * 2^(attempt-1))). */
export function backoffMs(attempt: number, rnd: () => number = Math.random, base = RETRY_DELAY_BASE_MS): number {
  const ceiling = Math.min(20_000, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(rnd() * ceiling);
}
