/**
 * Corporate proxies, as the AWS CLI, curl and rclone honour them: HTTPS_PROXY for https:// endpoints,
 * HTTP_PROXY for http:// ones, ALL_PROXY for both, NO_PROXY to exempt hosts (upper or lower case; the
 * rules of `proxy-from-env`, which axios uses). The AWS SDK for JavaScript v3 reads none of them by itself
 * (aws/aws-sdk-js-v3 documents configuring an agent), so each client gets a proxying agent when its endpoint
 * should go through one: CONNECT tunnels for https (`https-proxy-agent`), absolute-form requests for http
 * (`http-proxy-agent`). Node 20 has no built-in support (`NODE_USE_ENV_PROXY` came later).
 */
import type { Agent as HttpAgent, AgentOptions } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { HttpProxyAgent } from "http-proxy-agent";
import { HttpsProxyAgent } from "https-proxy-agent";
import { getProxyForUrl } from "proxy-from-env";

/**
 * The proxy for requests to `url` per the environment, or undefined to connect directly. Loopback hosts
 * (localhost, 127.0.0.0/8, ::1: a local emulator) are never proxied, as Go's net/http decides for rclone and
 * s5cmd ("requests to localhost are not proxied").
 */
export function proxyFor(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (host === "localhost" || host === "[::1]" || host === "::1" || /^127\./.test(host)) return undefined;
  if (noProxy(host, new URL(url).port)) return undefined;
  return getProxyForUrl(url) || undefined;
}

/**
 * NO_PROXY as curl, Python's urllib (the AWS CLI) and Go (rclone, s5cmd) read it: a name matches that host and
 * its subdomains ("amazonaws.com" covers "s3.ap-northeast-1.amazonaws.com"; a leading "." or "*." changes
 * nothing), an optional ":port" must match, "*" matches everything. `proxy-from-env` alone would match
 * "amazonaws.com" to that one host only, so a NO_PROXY written for the AWS CLI would not hold.
 */
function noProxy(host: string, port: string): boolean {
  const list = (process.env.NO_PROXY ?? process.env.no_proxy ?? "").toLowerCase();
  for (const raw of list.split(/[,\s]+/)) {
    if (!raw) continue;
    if (raw === "*") return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(raw)!;
    if (m[2] !== undefined && m[2] !== port) continue;
    const name = m[1]!.replace(/^\*?\./, "");
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy URL without its credentials, for messages. */
export function proxyLabel(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(unparsable proxy URL)";
  }
}

/** The password (or user) in a proxy URL: a secret to keep out of output. */
export function proxySecrets(proxy: string): string[] {
  try {
    const u = new URL(proxy);
    return [u.password, u.username].filter((s) => s.length > 0).map(decodeURIComponent);
  } catch {
    return [];
  }
}

/**
 * An https-proxy-agent whose tunnelled TLS connection trusts `ca` too: the library uses its options for the
 * connection to the proxy only, and the request's options (which the SDK's handler does not give a `ca`) for the
 * TLS connection to the endpoint through the tunnel. `connect` is agent-base's documented hook.
 */
class TrustingHttpsProxyAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: string,
    options: AgentOptions,
    private readonly ca: string,
  ) {
    super(proxy, { ...options, ca });
  }

  override connect(...[req, opts]: Parameters<HttpsProxyAgent<string>["connect"]>): ReturnType<HttpsProxyAgent<string>["connect"]> {
    return super.connect(req, opts.secureEndpoint ? { ...opts, ca: this.ca } : opts);
  }
}

/**
 * Agents that reach both schemes through `proxy`, with the pool options of a direct agent. A `ca` in `options`
 * (aws/ca-bundle.ts) verifies an https:// proxy and the endpoints tunnelled through it: a TLS-intercepting proxy
 * re-signs them with its own CA.
 */
export function proxyAgents(proxy: string, options: AgentOptions & { ca?: string }): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const { ca, ...pool } = options;
  const httpsAgent = ca === undefined ? new HttpsProxyAgent(proxy, pool) : new TrustingHttpsProxyAgent(proxy, pool, ca);
  return { httpAgent: new HttpProxyAgent(proxy, options), httpsAgent };
}
