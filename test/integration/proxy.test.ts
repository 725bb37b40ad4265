// Behind a corporate proxy (HTTP_PROXY / HTTPS_PROXY, NO_PROXY), as the AWS CLI honours them: the real CLI
// reaches the emulator only through a forward proxy in this test. The endpoint's host name does not resolve
// (`flex-emulator.invalid`, RFC 2606), so a request that bypassed the proxy could not arrive at all; the proxy
// forwards to the emulator on 127.0.0.1 and requires Proxy-Authorization, whose password must never be printed.
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { cliEnv, emulator, runCli, summaryOf } from "./harness.js";

const SECRET = "pr0xy-s3cret";
let emu: Emulator | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  proxy = undefined;
});

interface Seen {
  hosts: string[];
  refused: number;
}

/** A forward proxy for absolute-form http requests: checks the credentials, forwards to 127.0.0.1. */
async function forwardProxy(): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { hosts: [], refused: 0 };
  const expected = `Basic ${Buffer.from(`flex:${SECRET}`).toString("base64")}`;
  proxy = createServer((req: IncomingMessage, res) => {
    if (req.headers["proxy-authorization"] !== expected) {
      seen.refused += 1;
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="corp"' }).end();
      return;
    }
    const target = new URL(req.url ?? "");
    seen.hosts.push(target.host);
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const up = request({ host: "127.0.0.1", port: Number(target.port), method: req.method, path: `${target.pathname}${target.search}`, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy!.listen(0, "127.0.0.1", r));
  const port = (proxy.address() as AddressInfo).port;
  return { url: `http://flex:${SECRET}@127.0.0.1:${port}`, seen };
}

function throughProxy(e: Emulator, proxyUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const port = new URL(e.endpoint).port;
  return cliEnv(e, { FLEXCOPY_ENDPOINT_URL: `http://flex-emulator.invalid:${port}`, HTTP_PROXY: proxyUrl, ...extra });
}

describe("behind a proxy (HTTP_PROXY / HTTPS_PROXY, NO_PROXY)", () => {
  it("fetch goes through the proxy for STS and S3, with its credentials, and never prints them", async () => {
    emu = await emulator();
    const p = await forwardProxy();
    const r = await runCli(["fetch", "2021/05/31", "--json", "--debug"], { env: throughProxy(emu, p.url) });
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r).copied).toBeGreaterThan(0);
    expect(p.seen.refused).toBe(0);
    expect(new Set(p.seen.hosts)).toEqual(new Set([`flex-emulator.invalid:${new URL(emu.endpoint).port}`]));
    // AssumeRole, listings and every copy came through it
    const ops = new Set(emu.requestLog().map((l) => l.op));
    for (const op of ["AssumeRole", "ListObjectsV2", "CopyObject"]) expect(ops.has(op), op).toBe(true);
    expect(p.seen.hosts.length).toBeGreaterThanOrEqual(emu.requestLog().length);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("NO_PROXY naming the endpoint's domain bypasses the proxy: the unresolvable host then fails in one line", async () => {
    emu = await emulator();
    const p = await forwardProxy();
    const r = await runCli(["ls", "2021"], { env: throughProxy(emu, p.url, { NO_PROXY: "example.org,invalid", FLEXCOPY_MAX_ATTEMPTS: "1" }) });
    expect(r.code).not.toBe(0);
    expect(p.seen.hosts).toEqual([]);
    expect(r.stderr).toMatch(/ENOTFOUND|getaddrinfo|flex-emulator\.invalid/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("doctor names the proxy (without its password) and its checks pass through it", async () => {
    emu = await emulator();
    const p = await forwardProxy();
    const r = await runCli(["doctor"], { env: throughProxy(emu, p.url) });
    expect(r.stdout).toMatch(/✓ config: .*through the proxy http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/✓ assume role/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(p.seen.hosts.length).toBeGreaterThan(0);
  });

  it("a local emulator (loopback) is reached directly even with a proxy set", async () => {
    emu = await emulator();
    const p = await forwardProxy();
    const r = await runCli(["fetch", "2021/05/31", "--json"], { env: cliEnv(emu, { HTTP_PROXY: p.url, HTTPS_PROXY: p.url }) });
    expect(r.code, r.stderr).toBe(0);
    expect(p.seen.hosts).toEqual([]);
  });

  it("a proxy that refuses the credentials gives one clear line, not a stack trace", async () => {
    emu = await emulator();
    const p = await forwardProxy();
    const wrong = p.url.replace(SECRET, "wrong-password");
    const r = await runCli(["ls", "2021"], { env: throughProxy(emu, wrong, { FLEXCOPY_MAX_ATTEMPTS: "1" }) });
    expect(r.code).not.toBe(0);
    expect(p.seen.refused).toBeGreaterThan(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).not.toContain("wrong-password");
    expect(r.stderr).toMatch(/ProxyAuthenticationRequired/);
    expect(r.stderr).toMatch(/check the user and password in HTTPS_PROXY \/ HTTP_PROXY/);
    expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(3);
  });
});
