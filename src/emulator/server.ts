// The HTTP server: one endpoint for S3 (path-style), STS (Query API) and /_emulator/ admin.
// A request is STS when its SigV4 credential scope names the "sts" service. Every handler is wrapped:
// errors become XML error documents, never a crash or a hang.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { handleAdmin } from "./admin.js";
import { authenticate, claimedKind, parseSig, type SigInfo } from "./auth.js";
import { S3Error, StsError, FAULT_STATUS } from "./errors.js";
import { ANONYMOUS, parseQuery, readBody, record, sendS3Error, stall, type Ctx } from "./http.js";
import { handleS3 } from "./s3/router.js";
import type { EmulatorState } from "./state.js";
import { tlsVersionOf } from "./tls.js";
import { handleSts, sendStsError, stsAuthError, stsParams } from "./sts/sts.js";

/** An HTTP server, or HTTPS with `tls` (the certificate and key of emulator/tls.ts). */
export function createEmulatorServer(st: EmulatorState, tls?: { certPem: string; keyPem: string }): Server {
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(st, req, res);
  };
  const server: Server = tls ? createHttpsServer({ keepAlive: true, cert: tls.certPem, key: tls.keyPem }, listener) : createServer({ keepAlive: true }, listener);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 120_000; // a body shorter than its Content-Length must not hang forever
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  return server;
}

function splitPath(ctx: Ctx): void {
  const p = ctx.rawPath;
  if (p === "/" || p === "") return;
  const slash = p.indexOf("/", 1);
  const bucketRaw = slash < 0 ? p.slice(1) : p.slice(1, slash);
  const keyRaw = slash < 0 ? "" : p.slice(slash + 1);
  try {
    ctx.bucket = decodeURIComponent(bucketRaw);
    if (keyRaw !== "") ctx.key = decodeURIComponent(keyRaw);
  } catch {
    throw new S3Error(400, "InvalidURI", "Couldn't parse the specified URI.");
  }
}

function isFormPost(req: IncomingMessage, rawPath: string): boolean {
  const ct = req.headers["content-type"];
  return req.method === "POST" && rawPath === "/" && typeof ct === "string" && ct.startsWith("application/x-www-form-urlencoded");
}

async function handle(st: EmulatorState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  const qi = url.indexOf("?");
  const rawPath = qi < 0 ? url : url.slice(0, qi);
  if (rawPath === "/_emulator" || rawPath.startsWith("/_emulator/")) return handleAdmin(st, req, res, rawPath);
  const ctx: Ctx = {
    st,
    req,
    res,
    method: req.method ?? "GET",
    rawPath,
    query: [],
    q: new Map(),
    body: Buffer.alloc(0),
    requestId: st.nextRequestId(),
    principal: ANONYMOUS,
    entry: {
      time: new Date().toISOString(),
      op: "Unknown",
      principal: "anonymous",
      status: 0,
      ...(req.headers.host === undefined ? {} : { host: req.headers.host }),
      ...(req.headers["user-agent"] === undefined ? {} : { userAgent: req.headers["user-agent"] }),
    },
    logged: false,
  };
  const tlsVersion = tlsVersionOf((req.socket as Partial<TLSSocket>).encrypted ? (req.socket as TLSSocket).getProtocol() : undefined);
  if (tlsVersion !== undefined) ctx.tlsVersion = tlsVersion;
  let sts = false;
  try {
    ctx.query = parseQuery(qi < 0 ? "" : url.slice(qi + 1));
    for (const [k, v] of ctx.query) if (!ctx.q.has(k)) ctx.q.set(k, v);
    ctx.body = await readBody(req);
    const sig = parseSig(req.headers, ctx.query);
    sts = sig ? sig.service === "sts" : isFormPost(req, rawPath);
    if (sig) {
      ctx.sig = sig;
      const claimed = claimedKind(st, sig.accessKeyId);
      if (claimed) ctx.claimed = claimed;
    }
    if (sts) await handleStsRequest(ctx, sig);
    else {
      splitPath(ctx);
      await handleS3(ctx);
    }
  } catch (e) {
    renderError(ctx, e, sts);
  }
}

async function handleStsRequest(ctx: Ctx, sig: SigInfo | undefined): Promise<void> {
  const p = stsParams(ctx);
  const action = p.get("Action") ?? "";
  ctx.entry.op = action || "STS";
  if (!sig) throw new StsError(403, "MissingAuthenticationToken", "Request is missing Authentication Token");
  try {
    ctx.principal = await authenticate(ctx.st, sig, ctx.method, ctx.rawPath, ctx.query, ctx.req.headers, ctx.body);
  } catch (e) {
    throw e instanceof S3Error ? stsAuthError(e) : e;
  }
  const rule = ctx.st.faults.takeFailRule(action);
  const fail = rule?.code;
  if (fail === "Stall") return stall(ctx, rule?.stallMs);
  if (fail !== undefined) {
    if (fail === "Reset" || fail === "ConnectionReset") {
      record(ctx, 0, "Reset");
      ctx.req.socket.destroy();
      return;
    }
    const [status, message] = FAULT_STATUS[fail] ?? [500, `Injected fault ${fail}`];
    throw new StsError(status, fail, message, status >= 500 ? "Receiver" : "Sender");
  }
  handleSts(ctx, action, p);
}

function renderError(ctx: Ctx, e: unknown, sts: boolean): void {
  try {
    if (ctx.res.headersSent || ctx.res.destroyed) {
      record(ctx, ctx.res.statusCode, "Aborted");
      if (!ctx.res.writableEnded) ctx.res.destroy();
      return;
    }
    if (e instanceof StsError) return sendStsError(ctx, e);
    if (sts && e instanceof S3Error) return sendStsError(ctx, new StsError(e.status, e.code, e.message));
    if (e instanceof S3Error) return sendS3Error(ctx, e);
    const msg = e instanceof Error ? e.message : String(e);
    if (sts) return sendStsError(ctx, new StsError(500, "InternalFailure", msg, "Receiver"));
    sendS3Error(ctx, new S3Error(500, "InternalError", `We encountered an internal error. Please try again. (${msg})`));
  } catch {
    ctx.res.destroy();
  }
}
