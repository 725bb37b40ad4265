import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { CopyObjectCommand, ListBucketsCommand, S3Client, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { getEndpointFromInstructions } from "@smithy/core/endpoints";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { OWNER_FULL_CONTROL, WRITE_COMMANDS } from "./acl.js";
import { LeanCopier, leanOp, sdkTarget } from "./lean-copy.js";
import { proxyAgents } from "./proxy.js";

export interface ClientSettings {
  region: string;
  endpointUrl?: string;
  stsEndpointUrl?: string;
  forcePathStyle: boolean;
  /** Upper bound of requests in flight; the socket pool is sized to it so no request waits for a socket. */
  concurrency: number;
  /**
   * The proxy for an endpoint URL (aws/proxy.ts `proxyFor`, with what the caller must do with it, such as
   * redacting its password), asked with the endpoint each client's SDK resolves (AWS_ENDPOINT_URL_S3, a
   * profile's endpoint_url, dual-stack and FIPS endpoints included); absent: direct connections.
   */
  proxyFor?: (url: string) => string | undefined;
  /** Product name and version for the User-Agent of every request, e.g. ["flexcopy", "0.1.0"]. */
  userAgent?: [string, string];
  /**
   * CA certificates (PEM) to trust instead of Node's default store (aws/ca-bundle.ts): for the endpoints, and for
   * an https:// proxy and the endpoints tunnelled through it (a TLS-intercepting proxy re-signs them).
   */
  ca?: string;
  /**
   * `--request-timeout` in ms: the longest a request that moves no data (listing, HEAD, STS, CreateMultipartUpload,
   * AbortMultipartUpload, …) may wait for its answer before it fails with TimeoutError (retried as any network
   * error). Copies are exempt (COPY_COMMANDS): they are bounded by the socket's silence only. Default 30 s.
   */
  requestTimeoutMs?: number;
}

/**
 * Longest a socket may stay silent: a server-side copy of a 4 GiB object can take minutes on S3, and S3 keeps a
 * CompleteMultipartUpload's connection alive with white space while it works ("Processing of a Complete Multipart
 * Upload request could take several minutes": S3 API Reference, CompleteMultipartUpload).
 */
export const SOCKET_IDLE_MS = 15 * 60_000;

/** The requests that may take long without a byte on the wire: a server-side copy, and the assembly of parts. */
export const COPY_COMMANDS = new Set(["CopyObjectCommand", "UploadPartCopyCommand", "CompleteMultipartUploadCommand"]);

/** The default of `--request-timeout` (config/schema.ts), for clients made without a config. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The HTTP handler of a client. With a proxy rule its agents are made on the first request, once `endpoint` (the
 * URL the client's SDK resolved) tells which proxy, if any, applies; both request paths share them.
 */
function handler(
  maxSockets: number,
  proxyFor?: (url: string) => string | undefined,
  endpoint?: () => Promise<string>,
  ca?: string,
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
): NodeHttpHandler {
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const tls = ca === undefined ? {} : { ca };
  const options = (proxy: string | undefined) => ({
    ...(proxy ? proxyAgents(proxy, { ...agentOptions, ...tls }) : { httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent({ ...agentOptions, ...tls }) }),
    connectionTimeout: 10_000,
    // @smithy/node-http-handler 4.x: `requestTimeout` bounds the wait for the answer and, with
    // throwOnRequestTimeout, fails the request (without it, it only logs a warning); `socketTimeout` bounds silence.
    // Copies pass requestTimeout 0 per request (withoutTimeLimit), so only the silence bounds them.
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: SOCKET_IDLE_MS,
  });
  if (!proxyFor || !endpoint) return new NodeHttpHandler(options(undefined));
  return new NodeHttpHandler(async () => options(proxyFor(await endpoint().catch(() => ""))));
}

type EndpointConfig = Parameters<typeof getEndpointFromInstructions>[2];

/**
 * The URL the SDK resolves for a request to the service itself (no bucket) with a client's endpoint settings: what
 * the proxy rule is asked about. A client of its own, without credentials or handler, reads the same environment
 * and profile (the real client does not exist yet when its handler is made).
 */
async function serviceUrl(probe: S3Client | STSClient, command: Parameters<typeof getEndpointFromInstructions>[1]): Promise<string> {
  try {
    const e = await getEndpointFromInstructions({}, command, { ...probe.config } as unknown as EndpointConfig);
    return e.url.href;
  } finally {
    probe.destroy();
  }
}

/**
 * S3 client for the copy engine. Retries are the engine's job (one classifier decides, and a
 * credential refresh must not count as an attempt), so the SDK makes exactly one attempt.
 */
export function makeS3Client(settings: ClientSettings, credentials: AwsCredentialIdentityProvider): S3Client {
  const where = { region: settings.region, endpoint: settings.endpointUrl, forcePathStyle: settings.forcePathStyle };
  const requestHandler = handler(
    Math.max(settings.concurrency + 8, 16),
    settings.proxyFor,
    () => serviceUrl(new S3Client(where), ListBucketsCommand),
    settings.ca,
    settings.requestTimeoutMs,
  );
  const client = new S3Client({
    ...where,
    credentials,
    maxAttempts: 1,
    requestHandler,
    // Checksums on CopyObject/UploadPartCopy are not needed (no payload), and S3-compatible stores reject them.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(settings.userAgent ? { customUserAgent: [settings.userAgent] } : {}),
  });
  requireOwnerAcl(client);
  leanCopies(client, requestHandler, credentials);
  return client;
}

/**
 * CopyObject and UploadPartCopy take the lean path (lean-copy.ts: same signer, same HTTP handler, a
 * quarter of the CPU); every other command, and a copy with fields that path does not know, take the SDK's.
 */
function leanCopies(client: S3Client, requestHandler: NodeHttpHandler, credentials: AwsCredentialIdentityProvider): void {
  const resolved = (client.config as { credentials?: unknown }).credentials;
  const provider = typeof resolved === "function" ? (resolved as AwsCredentialIdentityProvider) : credentials;
  const lean = new LeanCopier(sdkTarget(client), provider, requestHandler, client.config as { systemClockOffset?: number });
  const sdkSend = client.send.bind(client) as (command: unknown, options?: unknown) => Promise<unknown>;
  const send = async (command: unknown, options?: unknown): Promise<unknown> => {
    if ((command instanceof CopyObjectCommand || command instanceof UploadPartCopyCommand) && typeof options !== "function") {
      const input = command.input as unknown as Record<string, unknown>;
      const op = leanOp(command.constructor.name, input);
      const endpoint = op && (await lean.endpoint(op, input));
      if (op && endpoint) return lean.send(op, input, endpoint, (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal);
    }
    return sdkSend(command, withoutTimeLimit(command, options));
  };
  client.send = send as S3Client["send"];
}

/** A copy's send options: no time limit on its answer (COPY_COMMANDS); other commands keep the client's. */
function withoutTimeLimit(command: unknown, options: unknown): unknown {
  const name = (command as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? "";
  if (!COPY_COMMANDS.has(name) || typeof options === "function") return options;
  return { ...(options as object | undefined), requestTimeout: 0 };
}

/**
 * Last line of defence: no write leaves this client without `bucket-owner-full-control`, whatever
 * code path built the command.
 */
function requireOwnerAcl(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const acl = (args.input as { ACL?: string }).ACL;
      if (WRITE_COMMANDS.has(context.commandName ?? "") && acl !== OWNER_FULL_CONTROL) {
        throw new Error(`refusing ${context.commandName} without ACL ${OWNER_FULL_CONTROL}`);
      }
      return next(args);
    },
    { step: "initialize", name: "flexcopyRequireOwnerAcl" },
  );
}

/** STS client; the SDK's own retries are fine here (AssumeRole is idempotent). */
export function makeStsClient(settings: ClientSettings, credentials?: AwsCredentialIdentityProvider): STSClient {
  const where = { region: settings.region, endpoint: settings.stsEndpointUrl ?? settings.endpointUrl };
  return new STSClient({
    ...where,
    credentials,
    maxAttempts: 3,
    // As for S3: the proxy follows the endpoint the SDK resolves (AWS_ENDPOINT_URL_STS, a profile's endpoint_url, …).
    requestHandler: handler(4, settings.proxyFor, () => serviceUrl(new STSClient(where), AssumeRoleCommand), settings.ca, settings.requestTimeoutMs),
    ...(settings.userAgent ? { customUserAgent: [settings.userAgent] } : {}),
  });
}
