// A minimal SigV4 client (node:http keep-alive + @smithy/signature-v4 with node:crypto), to measure what
// the emulator itself can serve when the AWS SDK's per-request CPU cost is taken out of the picture.
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

class NodeSha256 {
  constructor(secret) {
    this.h = secret ? createHmac("sha256", secret) : createHash("sha256");
  }
  update(d) {
    this.h.update(typeof d === "string" ? Buffer.from(d, "utf8") : d);
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

const enc = (k) => encodeURIComponent(k).replace(/%2F/g, "/");

/** `credentials`: { accessKeyId, secretAccessKey, sessionToken }. */
export function rawSender(info, credentials, { maxSockets = 64 } = {}) {
  const url = new URL(info.endpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const signer = new SignatureV4({ service: "s3", region: info.region, credentials, sha256: NodeSha256, uriEscapePath: false });
  const host = `${url.hostname}:${url.port}`;

  async function send(method, path, query, extra) {
    const req = new HttpRequest({
      method,
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path,
      query,
      headers: { host, "x-amz-content-sha256": EMPTY_SHA256, ...extra },
    });
    const signed = await signer.sign(req);
    const qs = new URLSearchParams(query).toString().replace(/\+/g, "%20");
    return new Promise((resolve, reject) => {
      const r = http.request({ agent, host: url.hostname, port: url.port, method, path: qs ? `${path}?${qs}` : path, headers: signed.headers }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200 || body.includes("<Error>")) {
            const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? `HTTP${res.statusCode}`;
            reject(Object.assign(new Error(code), { name: code }));
          } else resolve(body);
        });
        res.on("error", reject);
      });
      r.on("error", reject);
      r.end();
    });
  }

  return {
    list: (bucket, prefix) => send("GET", `/${bucket}`, { "list-type": "2", prefix, delimiter: "/" }, {}),
    copy: (srcBucket, srcKey, bucket, key) =>
      send("PUT", `/${bucket}/${enc(key)}`, {}, { "x-amz-copy-source": `/${srcBucket}/${enc(srcKey)}`, "x-amz-acl": "bucket-owner-full-control" }),
    destroy: () => agent.destroy(),
  };
}
