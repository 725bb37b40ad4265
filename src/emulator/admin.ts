// Admin endpoints under /_emulator/ (JSON, no auth). No S3 bucket name can start with "_".
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "./http.js";
import type { EmulatorState } from "./state.js";
import { toInfo } from "./store.js";
import type { Faults } from "./types.js";

function json(res: ServerResponse, status: number, body: unknown): void {
  const buf = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": buf.length });
  res.end(buf);
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req);
  if (buf.length === 0) return {};
  return JSON.parse(buf.toString("utf8")) as unknown;
}

/**
 *   GET    /_emulator/                      info (endpoint-independent facts: accounts, role ARN, buckets)
 *   GET    /_emulator/log                   request log (oldest first)      DELETE /_emulator/log  clear it
 *   GET    /_emulator/objects/<bucket>      objects with owner, grants, copySource, contentType, metadata
 *   POST   /_emulator/objects/<bucket>      declare a virtual object: {"key", "size", "contentType"?, "metadata"?}
 *   DELETE /_emulator/objects/<bucket>/<key>
 *   GET    /_emulator/faults                current faults       POST /_emulator/faults  partial Faults (JSON)
 *   POST   /_emulator/expire-tokens         expire every issued session token now
 *   GET    /_emulator/inflight              write requests in flight now and the most at once ({current, max}; reset with the log)
 */
export async function handleAdmin(st: EmulatorState, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
  const path = rawPath.replace(/^\/_emulator\/?/, "");
  const m = req.method ?? "GET";
  try {
    if (path === "" && m === "GET") {
      const c = st.cfg;
      return json(res, 200, {
        region: c.region,
        accountId: c.accountId,
        providerAccountId: c.providerAccountId,
        roleArn: c.roleArn,
        sourceBucket: c.sourceBucket,
        destBuckets: c.destBuckets,
        accessKeyId: c.baseAccessKeyId,
      });
    }
    if (path === "log") {
      if (m === "GET") return json(res, 200, st.log.entries());
      if (m === "DELETE") {
        await readBody(req);
        st.log.clear();
        st.writes.reset();
        return json(res, 204, undefined);
      }
    }
    if (path === "faults") {
      if (m === "GET") return json(res, 200, st.faults.current);
      if (m === "POST" || m === "PUT") {
        const body = await jsonBody(req);
        if (!body || typeof body !== "object" || Array.isArray(body)) return json(res, 400, { error: "expected a JSON object (partial Faults)" });
        st.faults.set(body as Partial<Faults>);
        return json(res, 200, st.faults.current);
      }
    }
    if (path === "inflight" && m === "GET") return json(res, 200, { current: st.writes.current, max: st.writes.max });
    if (path === "expire-tokens" && m === "POST") {
      await readBody(req);
      return json(res, 200, { expired: st.expireAllTokens() });
    }
    if (path.startsWith("objects/")) {
      const rest = path.slice(8);
      const slash = rest.indexOf("/");
      const bucketName = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
      const b = st.buckets.get(bucketName);
      if (!b) {
        req.resume();
        return json(res, 404, { error: `no such bucket: ${bucketName}` });
      }
      if (m === "GET" && slash < 0) return json(res, 200, [...b.all()].map(toInfo));
      if (m === "POST" && slash < 0) {
        const o = (await jsonBody(req)) as { key?: unknown; size?: unknown; contentType?: unknown; metadata?: unknown; storageClass?: unknown };
        if (typeof o.key !== "string" || typeof o.size !== "number") return json(res, 400, { error: 'expected {"key": string, "size": number}' });
        const opts: { contentType?: string; metadata?: Record<string, string>; storageClass?: string } = {};
        if (typeof o.storageClass === "string") opts.storageClass = o.storageClass;
        if (typeof o.contentType === "string") opts.contentType = o.contentType;
        if (o.metadata && typeof o.metadata === "object") opts.metadata = o.metadata as Record<string, string>;
        st.putVirtual(bucketName, o.key, o.size, opts);
        return json(res, 201, toInfo(b.get(o.key) as NonNullable<ReturnType<typeof b.get>>));
      }
      if (m === "DELETE" && slash >= 0) {
        await readBody(req);
        b.delete(decodeURIComponent(rest.slice(slash + 1)));
        return json(res, 204, undefined);
      }
    }
    req.resume();
    json(res, 404, { error: `unknown admin endpoint ${m} /_emulator/${path}` });
  } catch (e) {
    req.resume();
    if (!res.headersSent) json(res, 400, { error: e instanceof Error ? e.message : String(e) });
  }
}
