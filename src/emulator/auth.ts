// SigV4 verification: re-sign the received request with @smithy/signature-v4 and the known secret, then
// compare. S3 signs the path as sent (no double encoding, no normalisation); STS double-encodes.
// x-amz-content-sha256 is trusted as sent (UNSIGNED-PAYLOAD, STREAMING-* / aws-chunked included).
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { S3Error } from "./errors.js";
import type { EmulatorState } from "./state.js";
import type { Principal } from "./types.js";

const hmacMemo = new Map<string, Uint8Array>();

/**
 * Node's native sha256 / hmac behind smithy's Hash interface (the pure-JS default is much slower).
 * HMACs with a string key and a single update are memoised: smithy recomputes hmac(secret, accessKeyId)
 * on every request to look up its signing-key cache.
 */
class NodeSha256 {
  private h: Hash | Hmac | undefined;
  private readonly strKey: string | undefined;
  private memoKey: string | undefined;
  private pending: string | Uint8Array | undefined;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    if (secret === undefined) this.h = createHash("sha256");
    else if (typeof secret === "string") this.strKey = secret;
    else if (ArrayBuffer.isView(secret)) this.h = createHmac("sha256", new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength));
    else this.h = createHmac("sha256", new Uint8Array(secret));
  }
  update(data: string | Uint8Array): void {
    if (this.h === undefined && this.pending === undefined && this.strKey !== undefined) {
      this.pending = data;
      this.memoKey = `${this.strKey}\0${typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1")}`;
      return;
    }
    this.materialize().update(data);
  }
  private materialize(): Hash | Hmac {
    if (this.h === undefined) {
      this.h = createHmac("sha256", this.strKey ?? "");
      if (this.pending !== undefined) this.h.update(this.pending);
      this.memoKey = undefined;
    }
    return this.h;
  }
  digest(): Promise<Uint8Array> {
    const key = this.memoKey;
    if (key !== undefined) {
      let v = hmacMemo.get(key);
      if (!v) {
        if (hmacMemo.size > 1000) hmacMemo.clear();
        v = this.materialize().digest();
        hmacMemo.set(key, v);
      }
      return Promise.resolve(v);
    }
    return Promise.resolve(this.materialize().digest());
  }
  reset(): void {}
}

export interface SigInfo {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  presignExpires?: number; // seconds, for query-string (presigned) auth
  token?: string;
}

export type QueryPairs = [string, string][];

const AUTH_RE = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-fA-F]+)\s*$/;

/** Build a SigInfo from "AKID/YYYYMMDD/REGION/SERVICE/aws4_request" (no object spreads: this is per request). */
function sigInfo(cred: string, signedHeaders: string, signature: string, amzDate: string): SigInfo | undefined {
  const parts = cred.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request") return undefined;
  return {
    accessKeyId: parts[0] as string,
    shortDate: parts[1] as string,
    region: parts[2] as string,
    service: parts[3] as string,
    signedHeaders: signedHeaders.split(";"),
    signature: signature.toLowerCase(),
    amzDate,
  };
}

const malformed = (msg: string): S3Error => new S3Error(400, "AuthorizationHeaderMalformed", msg);

/** Parse header or query-string SigV4 auth; undefined for an anonymous request. */
export function parseSig(headers: IncomingHttpHeaders, query: QueryPairs): SigInfo | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    if (!auth.startsWith("AWS4-HMAC-SHA256")) {
      throw new S3Error(400, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
    }
    const m = AUTH_RE.exec(auth);
    if (!m) throw malformed("The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.");
    const amzDate = headers["x-amz-date"];
    const sig = sigInfo(m[1] as string, m[2] as string, m[3] as string, typeof amzDate === "string" ? amzDate : "");
    if (!sig) throw malformed(`The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
    const tok = headers["x-amz-security-token"];
    if (typeof tok === "string") sig.token = tok;
    return sig;
  }
  let q: Record<string, string> | undefined;
  for (const [k, v] of query) {
    if (k.startsWith("X-Amz-")) (q ??= {})[k] = v;
  }
  if (!q || q["X-Amz-Algorithm"] === undefined) return undefined;
  if (q["X-Amz-Algorithm"] !== "AWS4-HMAC-SHA256") throw new S3Error(400, "InvalidRequest", "Only AWS4-HMAC-SHA256 is supported.");
  const sig = sigInfo(q["X-Amz-Credential"] ?? "", q["X-Amz-SignedHeaders"] ?? "", q["X-Amz-Signature"] ?? "", q["X-Amz-Date"] ?? "");
  if (!sig || !sig.signature || !sig.amzDate || !q["X-Amz-SignedHeaders"]) {
    throw new S3Error(400, "AuthorizationQueryParametersError", "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  sig.presignExpires = Number(q["X-Amz-Expires"] ?? "604800");
  if (q["X-Amz-Security-Token"] !== undefined) sig.token = q["X-Amz-Security-Token"];
  return sig;
}

export function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

const signers = new Map<string, SignatureV4>();

function signerFor(accessKeyId: string, secretAccessKey: string, sessionToken: string | undefined, region: string, service: string): SignatureV4 {
  const id = `${accessKeyId}\n${secretAccessKey}\n${sessionToken ?? ""}\n${region}\n${service}`;
  let s = signers.get(id);
  if (!s) {
    if (signers.size > 2000) signers.clear();
    const credentials = sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
    s = new SignatureV4({ credentials, region, service, sha256: NodeSha256, uriEscapePath: service !== "s3", applyChecksum: false });
    signers.set(id, s);
  }
  return s;
}

/** Percent-encode a decoded path the way SigV4 canonicalises it (RFC 3986 unreserved kept, '/' kept). */
function strictEncodePath(rawPath: string): string | undefined {
  try {
    return rawPath
      .split("/")
      .map((seg) => encodeURIComponent(decodeURIComponent(seg)).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
      .join("/");
  } catch {
    return undefined;
  }
}

const PRESIGN_PARAMS = new Set(["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"]);

async function computeSignature(sig: SigInfo, secret: string, method: string, path: string, query: QueryPairs, headers: IncomingHttpHeaders, body: Buffer): Promise<string> {
  const h: Record<string, string> = {};
  for (const name of sig.signedHeaders) {
    const v = headers[name];
    if (v !== undefined) h[name] = Array.isArray(v) ? v.join(",") : v;
  }
  const q: Record<string, string | string[]> = {};
  for (const [k, v] of query) {
    if (sig.presignExpires !== undefined && PRESIGN_PARAMS.has(k)) continue;
    const prev = q[k];
    q[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const signableHeaders = new Set(sig.signedHeaders);
  const signingDate = new Date(parseAmzDate(sig.amzDate));
  const opts = { signingDate, signableHeaders, signingRegion: sig.region, signingService: sig.service };
  if (sig.presignExpires !== undefined) {
    h["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
    const signer = signerFor(sig.accessKeyId, secret, sig.token, sig.region, sig.service);
    const req = new HttpRequest({ method, protocol: "http:", hostname: "127.0.0.1", path, query: q, headers: h });
    const out = await signer.presign(req, { ...opts, expiresIn: sig.presignExpires, unsignableHeaders: new Set(["x-amz-content-sha256"]), unhoistableHeaders: new Set(Object.keys(h)) });
    const s = out.query?.["X-Amz-Signature"];
    return typeof s === "string" ? s : "";
  }
  const signer = signerFor(sig.accessKeyId, secret, undefined, sig.region, sig.service);
  const req = new HttpRequest({ method, protocol: "http:", hostname: "127.0.0.1", path, query: q, headers: h, body: h["x-amz-content-sha256"] === undefined ? body : undefined });
  const out = await signer.sign(req, opts);
  const auth = out.headers.authorization ?? "";
  return auth.slice(auth.lastIndexOf("Signature=") + 10);
}

/** Whose key a request claims to use (for the request log). */
export function claimedKind(st: EmulatorState, accessKeyId: string): "base" | "role" | undefined {
  if (accessKeyId === st.cfg.baseAccessKeyId) return "base";
  return st.sessions.has(accessKeyId) ? "role" : undefined;
}

/** Authenticate a signed request; throws S3Error with the S3 code (the STS handler maps codes to STS's). */
export async function authenticate(st: EmulatorState, sig: SigInfo, method: string, rawPath: string, query: QueryPairs, headers: IncomingHttpHeaders, body: Buffer): Promise<Principal> {
  const cfg = st.cfg;
  let secret: string;
  let principal: Principal;
  const session = sig.accessKeyId === cfg.baseAccessKeyId ? undefined : st.sessions.get(sig.accessKeyId);
  if (sig.accessKeyId === cfg.baseAccessKeyId) {
    secret = cfg.baseSecretAccessKey;
    principal = { kind: "base", accountId: cfg.accountId, arn: cfg.baseArn };
  } else if (session) {
    secret = session.secretAccessKey;
    principal = { kind: "role", accountId: cfg.providerAccountId, arn: `arn:aws:sts::${cfg.providerAccountId}:assumed-role/${cfg.roleName}/${session.sessionName}`, session };
  } else {
    throw new S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", { AWSAccessKeyId: sig.accessKeyId });
  }
  const now = st.now();
  const t = parseAmzDate(sig.amzDate);
  if (Number.isNaN(t)) throw new S3Error(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  if (sig.presignExpires === undefined && Math.abs(t - now) > 15 * 60 * 1000) {
    throw new S3Error(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", {
      RequestTime: sig.amzDate,
      ServerTime: new Date(now).toISOString(),
      MaxAllowedSkewMilliseconds: "900000",
    });
  }
  if (session && sig.token !== session.sessionToken) {
    throw new S3Error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.", { "Token-0": sig.token ?? "" });
  }
  let computed = await computeSignature(sig, secret, method, rawPath, query, headers, body);
  if (computed !== sig.signature && sig.service === "s3") {
    const alt = strictEncodePath(rawPath);
    if (alt !== undefined && alt !== rawPath) computed = await computeSignature(sig, secret, method, alt, query, headers, body);
  }
  if (computed !== sig.signature) {
    throw new S3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", { AWSAccessKeyId: sig.accessKeyId });
  }
  if (sig.presignExpires !== undefined && t + sig.presignExpires * 1000 < now) {
    throw new S3Error(403, "AccessDenied", "Request has expired", { Expires: new Date(t + sig.presignExpires * 1000).toISOString(), ServerTime: new Date(now).toISOString() });
  }
  if (session && session.expiresAt <= now) {
    throw new S3Error(400, "ExpiredToken", "The provided token has expired.", { "Token-0": session.sessionToken });
  }
  return principal;
}
