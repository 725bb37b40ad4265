// Server-side throughput guard: replay pre-signed ListObjectsV2 + CopyObject requests over keep-alive
// sockets (a cheap raw HTTP client, so the measurement is the emulator's cost, not the SDK's).
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assume } from "./helpers.js";

const SRC = "dataservice-flex-bucket";

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

describe("emulator throughput", () => {
  let em: Emulator;
  beforeAll(async () => {
    em = await startEmulator({ seed: "year:2023" });
  });
  afterAll(() => em.stop());

  it("serves a ListObjectsV2 + CopyObject mix on a year-sized bucket fast (guards against O(n) per request)", async () => {
    const c = await assume(em);
    const u = new URL(em.endpoint);
    const signer = new SignatureV4({ credentials: c, region: em.region, service: "s3", sha256: Sha256, uriEscapePath: false });
    const perDay = new Map<string, string>();
    for (const o of em.objects(SRC)) {
      const day = o.key.slice(0, 11);
      if (/^2023\/0[1-3]\/\d\d\/$/.test(day) && o.size <= 5 * 1024 ** 3 && !perDay.has(day)) perDay.set(day, o.key);
    }
    const reqs: RawRequest[] = [];
    for (const [day, key] of perDay) {
      const headers = { host: u.host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
      const list = new HttpRequest({ method: "GET", hostname: u.hostname, path: `/${SRC}`, query: { "list-type": "2", prefix: day, "max-keys": "100" }, headers });
      const copyHeaders = { ...headers, "x-amz-copy-source": `${SRC}/${key}`, "x-amz-acl": "bucket-owner-full-control", "content-length": "0" };
      const copy = new HttpRequest({ method: "PUT", hostname: u.hostname, path: `/flex-dest/${key}`, query: { "x-id": "CopyObject" }, headers: copyHeaders });
      for (const r of [list, copy, copy, copy]) {
        const s = await signer.sign(r);
        const qs = new URLSearchParams(s.query as Record<string, string>).toString();
        reqs.push({ method: s.method, path: `${s.path}?${qs}`, headers: s.headers });
      }
    }
    expect(reqs.length).toBeGreaterThan(100);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const one = (r: RawRequest): Promise<number> =>
      new Promise((resolve, reject) => {
        const q = request({ host: u.hostname, port: u.port, method: r.method, path: r.path, headers: r.headers, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        q.on("error", reject);
        q.end();
      });
    const N = 4000;
    let i = 0;
    let bad = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (i < N) if ((await one(reqs[i++ % reqs.length] as RawRequest)) !== 200) bad++;
      }),
    );
    const rate = N / ((performance.now() - t0) / 1000);
    agent.destroy();
    console.log(`emulator throughput: ${rate.toFixed(0)} req/s (ListObjectsV2 + CopyObject, client in-process)`);
    expect(bad).toBe(0);
    expect(rate).toBeGreaterThan(500); // ~1,500 in-process on the 2-core box under load; ~3,000 with the client in another process
  });
});
