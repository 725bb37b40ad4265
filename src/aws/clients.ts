import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { CopyObjectCommand, S3Client, UploadPartCopyCommand } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { OWNER_FULL_CONTROL, WRITE_COMMANDS } from "./acl.js";
import { LeanCopier, leanOp } from "./lean-copy.js";
import { proxyAgents } from "./proxy.js";

export interface ClientSettings {
  region: string;
  endpointUrl?: string;
  stsEndpointUrl?: string;
  forcePathStyle: boolean;
  /** Upper bound of requests in flight; the socket pool is sized to it so no request waits for a socket. */
  concurrency: number;
  /** Proxies (aws/proxy.ts) for the S3 and the STS endpoints; absent: direct connections. */
  proxy?: { s3?: string; sts?: string };
  /**
   * CA certificates (PEM) to trust instead of Node's default store (aws/ca-bundle.ts): for the endpoints, and for
   * an https:// proxy and the endpoints tunnelled through it (a TLS-intercepting proxy re-signs them).
   */
  ca?: string;
}

/** Longest a socket may stay silent: a server-side copy of a 4 GiB object can take minutes on S3. */
const SOCKET_IDLE_MS = 15 * 60_000;

function handler(maxSockets: number, proxy?: string, ca?: string): NodeHttpHandler {
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const tls = ca === undefined ? {} : { ca };
  const agents = proxy ? proxyAgents(proxy, { ...agentOptions, ...tls }) : { httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent({ ...agentOptions, ...tls }) };
  return new NodeHttpHandler({
    ...agents,
    connectionTimeout: 10_000,
    requestTimeout: SOCKET_IDLE_MS,
  });
}

/**
 * S3 client for the copy engine. Retries are the engine's job (one classifier decides, and a
 * credential refresh must not count as an attempt), so the SDK makes exactly one attempt.
 */
export function makeS3Client(settings: ClientSettings, credentials: AwsCredentialIdentityProvider): S3Client {
  const requestHandler = handler(Math.max(settings.concurrency + 8, 16), settings.proxy?.s3, settings.ca);
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpointUrl,
    forcePathStyle: settings.forcePathStyle,
    credentials,
    maxAttempts: 1,
    requestHandler,
    // Checksums on CopyObject/UploadPartCopy are not needed (no payload), and S3-compatible stores reject them.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  requireOwnerAcl(client);
  leanCopies(client, settings, requestHandler, credentials);
  return client;
}

/**
 * CopyObject and UploadPartCopy take the lean path (lean-copy.ts: same signer, same HTTP handler, a
 * quarter of the CPU); every other command, and a copy with fields that path does not know, take the SDK's.
 */
function leanCopies(client: S3Client, settings: ClientSettings, requestHandler: NodeHttpHandler, credentials: AwsCredentialIdentityProvider): void {
  const resolved = (client.config as { credentials?: unknown }).credentials;
  const provider = typeof resolved === "function" ? (resolved as AwsCredentialIdentityProvider) : credentials;
  const lean = new LeanCopier(settings, provider, requestHandler, client.config as { systemClockOffset?: number });
  const sdkSend = client.send.bind(client) as (command: unknown, options?: unknown) => Promise<unknown>;
  const send = (command: unknown, options?: unknown): Promise<unknown> => {
    if ((command instanceof CopyObjectCommand || command instanceof UploadPartCopyCommand) && typeof options !== "function") {
      const input = command.input as unknown as Record<string, unknown>;
      const op = leanOp(command.constructor.name, input);
      if (op) return lean.send(op, input, (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal);
    }
    return sdkSend(command, options);
  };
  client.send = send as S3Client["send"];
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
  return new STSClient({
    region: settings.region,
    endpoint: settings.stsEndpointUrl ?? settings.endpointUrl,
    credentials,
    maxAttempts: 3,
    requestHandler: handler(4, settings.proxy?.sts, settings.ca),
  });
}
