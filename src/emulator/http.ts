// Per-request context, body reading (incl. aws-chunked), and response helpers that also write the log entry.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { QueryPairs, SigInfo } from "./auth.js";
import { S3Error } from "./errors.js";
import type { EmulatorState } from "./state.js";
import type { Principal, RequestLogEntry } from "./types.js";
import { hostId, s3ErrorXml } from "./xml.js";

export interface Ctx {
  st: EmulatorState;
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  rawPath: string;
  query: QueryPairs;
  q: Map<string, string>;
  bucket?: string;
  key?: string;
  body: Buffer;
  requestId: string;
  principal: Principal;
  sig?: SigInfo;
  entry: RequestLogEntry;
  logged: boolean;
  claimed?: "base" | "role"; // whose access key the request carries (logged even when authentication fails)
  /** s3:TlsVersion ("1.2", "1.3") when the request came over TLS (`--tls`); undefined over plain HTTP. */
  tlsVersion?: string;
  /** The request is carried out, then the connection drops before the response (failNext "ResetAfter"). */
  dropResponse?: boolean;
}

export const ANONYMOUS: Principal = { kind: "anonymous", accountId: "", arn: "" };
const EMPTY = Buffer.alloc(0);
/** Bodies are buffered; the emulator keeps real bytes only for small uploads. */
export const MAX_BODY = 512 * 1024 * 1024;

export function parseQuery(qs: string): QueryPairs {
  const out: QueryPairs = [];
  if (!qs) return out;
  for (const part of qs.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? "" : part.slice(eq + 1);
    out.push([decode(k), decode(v)]);
  }
  return out;
}

function decode(s: string): string {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error(400, "InvalidURI", "Couldn't parse the specified URI.");
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  const cl = req.headers["content-length"];
  if ((cl === undefined || cl === "0") && req.headers["transfer-encoding"] === undefined) {
    req.resume();
    return Promise.resolve(EMPTY);
  }
  if (cl !== undefined && Number(cl) > MAX_BODY) {
    return Promise.reject(new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", { MaxSizeAllowed: String(MAX_BODY) }, { connection: "close" }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      if (n > MAX_BODY) reject(new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"));
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

/** Decode an aws-chunked body (`hex-size[;chunk-signature=..]\r\n data \r\n ... 0\r\n trailers \r\n`). */
export function decodeAwsChunked(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let p = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", p);
    if (eol < 0) throw new S3Error(400, "IncompleteBody", "The request body terminated unexpectedly");
    const size = parseInt(body.toString("latin1", p, eol).split(";")[0] ?? "", 16);
    if (!Number.isFinite(size)) throw new S3Error(400, "InvalidChunkSizeError", "Only the last chunk is allowed to have a size less than 8192 bytes");
    p = eol + 2;
    if (size === 0) break;
    out.push(body.subarray(p, p + size));
    p += size + 2;
  }
  return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
}

export function isAwsChunked(ctx: Ctx): boolean {
  const ce = ctx.req.headers["content-encoding"];
  const sha = ctx.req.headers["x-amz-content-sha256"];
  return (typeof ce === "string" && ce.includes("aws-chunked")) || (typeof sha === "string" && sha.startsWith("STREAMING-"));
}

/** The payload of a PutObject / UploadPart request. */
export function payload(ctx: Ctx): Buffer {
  return isAwsChunked(ctx) ? decodeAwsChunked(ctx.body) : ctx.body;
}

export function header(ctx: Ctx, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

export function commonHeaders(ctx: Ctx): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = { "x-amz-request-id": ctx.requestId, "x-amz-id-2": hostId(ctx.requestId), server: "AmazonS3" };
  const off = ctx.st.faults.clockOffsetMs;
  if (off !== 0) h.date = new Date(Date.now() + off).toUTCString();
  return h;
}

export function record(ctx: Ctx, status: number, code?: string): void {
  if (ctx.logged) return;
  ctx.logged = true;
  const e = ctx.entry;
  e.status = status;
  e.principal = ctx.principal.kind === "anonymous" ? (ctx.claimed ?? "anonymous") : ctx.principal.kind;
  if (code !== undefined) e.code = code;
  ctx.st.log.push(e);
}

export function send(ctx: Ctx, status: number, body: string | Buffer | undefined, headers: OutgoingHttpHeaders = {}, code?: string): void {
  if (ctx.dropResponse) ctx.entry.responseLost = true;
  record(ctx, status, code);
  if (ctx.dropResponse) {
    ctx.req.socket.destroy();
    return;
  }
  if (ctx.res.headersSent || ctx.res.destroyed) return;
  const buf = body === undefined ? EMPTY : typeof body === "string" ? Buffer.from(body) : body;
  const h = commonHeaders(ctx);
  for (const k in headers) h[k] = headers[k];
  if (buf.length > 0 && h["content-type"] === undefined) h["content-type"] = "application/xml";
  if (h["content-length"] === undefined) h["content-length"] = buf.length;
  ctx.res.writeHead(status, h);
  ctx.res.end(ctx.method === "HEAD" ? undefined : buf);
}

export function sendXml(ctx: Ctx, xml: string, headers: OutgoingHttpHeaders = {}): void {
  send(ctx, 200, xml, headers); // content-type defaults to application/xml
}

export function sendS3Error(ctx: Ctx, e: S3Error): void {
  const extra = { ...e.extra };
  if (ctx.key !== undefined && e.code === "NoSuchKey") extra.Key = ctx.key;
  send(ctx, e.status, s3ErrorXml(e.code, e.message, ctx.requestId, extra), { "content-type": "application/xml", ...e.headers }, e.code);
}

/** Stream generated chunks with back-pressure. */
export async function sendStream(ctx: Ctx, status: number, headers: OutgoingHttpHeaders, chunks: Iterable<Buffer>): Promise<void> {
  record(ctx, status);
  const res = ctx.res;
  const h = commonHeaders(ctx);
  for (const k in headers) h[k] = headers[k];
  res.writeHead(status, h);
  if (ctx.method === "HEAD") {
    res.end();
    return;
  }
  for (const c of chunks) {
    if (res.destroyed) return;
    if (!res.write(c)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

/** Default hold of failNext "Stall": longer than any client waits, so the client's own timeout decides. */
export const DEFAULT_STALL_MS = 30 * 60_000;

/**
 * failNext "Stall": the request is read and never answered, as a connection stalled in a network (a dead NAT
 * entry, a proxy that stopped forwarding) looks to the client; after `stallMs` the connection drops. Logged with
 * status 0 and code "Stall" when it drops (or when the client gives up first).
 */
export function stall(ctx: Ctx, stallMs = DEFAULT_STALL_MS): void {
  const socket = ctx.req.socket;
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    record(ctx, 0, "Stall");
    socket.destroy();
  };
  const timer = setTimeout(end, stallMs);
  timer.unref();
  socket.once("close", end);
}
