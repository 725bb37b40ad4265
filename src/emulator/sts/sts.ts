// STS Query API: AssumeRole and GetCallerIdentity with STS's XML responses and error shape.
import { randomBytes, randomUUID } from "node:crypto";
import { S3Error, StsError } from "../errors.js";
import { commonHeaders, record, type Ctx } from "../http.js";
import { randomId } from "../state.js";
import { STS_NS, type Session } from "../types.js";
import { esc, stsErrorXml } from "../xml.js";
import { ROLE_ID, USER_ID } from "./ids.js";

const SESSION_NAME_RE = /^[\w+=,.@-]*$/;

/** Parameters from the query string and the form-encoded body. */
export function stsParams(ctx: Ctx): Map<string, string> {
  const p = new Map(ctx.q);
  const body = ctx.body.toString("utf8");
  if (body) {
    for (const [k, v] of new URLSearchParams(body)) p.set(k, v);
  }
  return p;
}

export function sendSts(ctx: Ctx, status: number, xml: string, code?: string): void {
  record(ctx, status, code);
  if (ctx.res.headersSent || ctx.res.destroyed) return;
  const buf = Buffer.from(xml);
  const h = { ...commonHeaders(ctx), "x-amzn-requestid": ctx.requestId, "content-type": "text/xml", "content-length": buf.length };
  delete h.server;
  ctx.res.writeHead(status, h);
  ctx.res.end(buf);
}

export function sendStsError(ctx: Ctx, e: StsError): void {
  sendSts(ctx, e.status, stsErrorXml(e.type, e.code, e.message, ctx.requestId), e.code);
}

/** Map an authentication failure (S3 codes) to what STS answers. */
export function stsAuthError(e: S3Error): StsError {
  switch (e.code) {
    case "InvalidAccessKeyId":
    case "InvalidToken":
      return new StsError(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
    case "ExpiredToken":
      return new StsError(400, "ExpiredToken", "The security token included in the request is expired");
    case "RequestTimeTooSkewed":
      return new StsError(403, "SignatureDoesNotMatch", `Signature expired: ${e.extra.RequestTime ?? ""} is now earlier than the allowed 15 minute window (server time ${e.extra.ServerTime ?? ""})`);
    case "SignatureDoesNotMatch":
      return new StsError(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
    default:
      return new StsError(e.status, e.code, e.message);
  }
}

function respond(ctx: Ctx, action: string, result: string): void {
  sendSts(
    ctx,
    200,
    `<${action}Response xmlns="${STS_NS}"><${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function handleSts(ctx: Ctx, action: string, p: Map<string, string>): void {
  if (action === "GetCallerIdentity") return getCallerIdentity(ctx);
  if (action === "AssumeRole") return assumeRole(ctx, p);
  if (!action) throw new StsError(400, "MissingAction", "Missing Action");
  throw new StsError(400, "InvalidAction", `Could not find operation ${action} for version ${p.get("Version") ?? "2011-06-15"}`);
}

function getCallerIdentity(ctx: Ctx): void {
  const pr = ctx.principal;
  const userId = pr.kind === "role" ? `${ROLE_ID}:${pr.session?.sessionName ?? ""}` : USER_ID;
  respond(ctx, "GetCallerIdentity", `<Arn>${esc(pr.arn)}</Arn><UserId>${esc(userId)}</UserId><Account>${pr.accountId}</Account>`);
}

const validation = (msg: string): StsError => new StsError(400, "ValidationError", msg);

function assumeRole(ctx: Ctx, p: Map<string, string>): void {
  const { cfg } = ctx.st;
  const caller = ctx.principal;
  const roleArn = p.get("RoleArn");
  const sessionName = p.get("RoleSessionName");
  if (roleArn === undefined) throw validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  if (sessionName === undefined) throw validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null");
  if (sessionName.length < 2 || sessionName.length > 64) {
    throw validation(`1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64`);
  }
  if (!SESSION_NAME_RE.test(sessionName)) {
    throw validation(`1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  }
  const denied = new StsError(403, "AccessDenied", `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  if (roleArn !== cfg.roleArn) throw denied;
  if (cfg.externalId !== undefined && p.get("ExternalId") !== cfg.externalId) throw denied;
  const rawDuration = p.get("DurationSeconds");
  const duration = rawDuration === undefined ? 3600 : Number(rawDuration);
  if (!Number.isInteger(duration)) throw validation(`1 validation error detected: Value '${rawDuration ?? ""}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer`);
  if (duration < 900) {
    throw validation(`1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
  }
  const chained = caller.kind === "role";
  if (chained && duration > 3600) throw validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  if (duration > cfg.maxSessionDuration) throw validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  const now = ctx.st.now();
  const ttl = cfg.tokenTtlSeconds ?? duration;
  const s: Session = {
    accessKeyId: `ASIA${randomId(16)}`,
    secretAccessKey: randomBytes(30).toString("base64"),
    sessionToken: `FwoGZXIvYXdzEFLEX${randomBytes(96).toString("base64")}`,
    expiresAt: now + ttl * 1000,
    sessionName,
    chained,
  };
  ctx.st.sessions.set(s.accessKeyId, s);
  const assumedArn = `arn:aws:sts::${cfg.providerAccountId}:assumed-role/${cfg.roleName}/${sessionName}`;
  respond(
    ctx,
    "AssumeRole",
    `<AssumedRoleUser><AssumedRoleId>${ROLE_ID}:${esc(sessionName)}</AssumedRoleId><Arn>${esc(assumedArn)}</Arn></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${s.accessKeyId}</AccessKeyId><SecretAccessKey>${esc(s.secretAccessKey)}</SecretAccessKey>` +
      `<SessionToken>${esc(s.sessionToken)}</SessionToken><Expiration>${iso(s.expiresAt)}</Expiration></Credentials>`,
  );
}
