import { afterEach, describe, expect, it } from "vitest";
import { proxyFor, proxyLabel, proxySecrets } from "./proxy.js";

const KEYS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
function env(values: Record<string, string>): void {
  for (const k of KEYS) delete process.env[k];
  Object.assign(process.env, values);
}

describe("proxyFor (the environment's proxy for an endpoint)", () => {
  it("HTTPS_PROXY for https endpoints, HTTP_PROXY for http ones, either case", () => {
    env({ HTTPS_PROXY: "http://proxy.corp:8080", http_proxy: "http://plain.corp:3128" });
    expect(proxyFor("https://s3.ap-northeast-1.amazonaws.com")).toBe("http://proxy.corp:8080");
    expect(proxyFor("http://minio.lab:9000")).toBe("http://plain.corp:3128");
  });

  it("NO_PROXY exempts a host and its subdomains, as curl and the AWS CLI read it; a port must match", () => {
    env({ HTTPS_PROXY: "http://proxy.corp:8080", no_proxy: "amazonaws.com" });
    expect(proxyFor("https://s3.ap-northeast-1.amazonaws.com")).toBeUndefined();
    env({ HTTPS_PROXY: "http://proxy.corp:8080", NO_PROXY: "*.example.org, s3.lab:9000" });
    expect(proxyFor("https://a.example.org")).toBeUndefined();
    expect(proxyFor("https://s3.lab:9000")).toBeUndefined();
    expect(proxyFor("https://s3.lab:9001")).toBe("http://proxy.corp:8080");
    expect(proxyFor("https://notexample.org")).toBe("http://proxy.corp:8080");
    env({ HTTPS_PROXY: "http://proxy.corp:8080", NO_PROXY: "*" });
    expect(proxyFor("https://s3.ap-northeast-1.amazonaws.com")).toBeUndefined();
  });

  it("NO_PROXY exempts hosts by suffix; nothing set means direct", () => {
    env({ HTTPS_PROXY: "http://proxy.corp:8080", NO_PROXY: ".amazonaws.com,internal.example" });
    expect(proxyFor("https://s3.ap-northeast-1.amazonaws.com")).toBeUndefined();
    expect(proxyFor("https://flex-dest.s3.ap-northeast-1.amazonaws.com")).toBeUndefined();
    expect(proxyFor("https://s3.internal.example")).toBeUndefined();
    expect(proxyFor("https://s3.example.org")).toBe("http://proxy.corp:8080");
    env({});
    expect(proxyFor("https://s3.ap-northeast-1.amazonaws.com")).toBeUndefined();
  });

  it("never proxies loopback (a local emulator), whatever is set", () => {
    env({ HTTP_PROXY: "http://proxy.corp:8080", HTTPS_PROXY: "http://proxy.corp:8080", ALL_PROXY: "http://proxy.corp:8080" });
    for (const u of ["http://127.0.0.1:4566", "http://localhost:4566", "http://[::1]:4566", "http://127.1.2.3:9"]) expect(proxyFor(u), u).toBeUndefined();
  });

  it("labels a proxy without its credentials and names them as secrets", () => {
    expect(proxyLabel("http://alice:s3cr%40t@proxy.corp:8080")).toBe("http://proxy.corp:8080");
    expect(proxySecrets("http://alice:s3cr%40t@proxy.corp:8080")).toEqual(["s3cr@t", "alice"]);
    expect(proxySecrets("http://proxy.corp:8080")).toEqual([]);
  });
});
