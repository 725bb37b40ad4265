import { HttpResponse } from "@smithy/protocol-http";
import { describe, expect, it } from "vitest";
import { classifyError } from "../aws/classify.js";
import { RequestError } from "../engine/request.js";
import { configFileValues, looksLikeCredential } from "./init.js";
import { DateProbe, describeSkew, errorHeader, errorText, fail, pass, runChecks, summarizePrefixes, type Step } from "./doctor.js";

describe("summarizePrefixes", () => {
  it.each([
    [["2010/", "2011/", "2012/", "2013/", "ConnectionSpec/", "testdata/"], "2010–2013, ConnectionSpec, testdata"],
    [["2021/", "2019/", "2020/", "2023/"], "2019–2021, 2023"],
    [["2021/"], "2021"],
    [["testdata/"], "testdata"],
    [[], "nothing"],
  ])("%j → %s", (prefixes, text) => {
    expect(summarizePrefixes(prefixes)).toBe(text);
  });
});

describe("runChecks", () => {
  const step = (name: string, needs: string[], ok: boolean): Step<null> => ({
    name,
    needs,
    run: async () => (ok ? pass(`${name} fine`) : fail(`${name} broken`, `fix ${name}`)),
  });

  it("skips checks whose prerequisite failed, and runs the others", async () => {
    const seen: string[] = [];
    const checks = await runChecks([step("a", [], true), step("b", ["a"], false), step("c", ["b"], true), step("d", ["a"], true)], null, (c) => seen.push(c.name));
    expect(seen).toEqual(["a", "b", "c", "d"]);
    expect(checks.map((c) => c.status)).toEqual(["pass", "fail", "skip", "pass"]);
    expect(checks[2]!.detail).toBe("skipped: needs b");
    expect(checks[1]).toEqual({ name: "b", ok: false, status: "fail", detail: "b broken", fix: "fix b" });
  });

  it("a check that throws is a failure, not a crash", async () => {
    const boom: Step<null> = { name: "x", needs: [], run: async () => Promise.reject(Object.assign(new Error("nope"), { name: "AccessDenied" })) };
    const [c] = await runChecks([boom], null);
    expect(c!.status).toBe("fail");
    expect(c!.detail).toContain("AccessDenied: nope");
  });
});

describe("clock", () => {
  it("measures the skew from a raw response's Date header", () => {
    const local = Date.parse("2025-05-01T00:00:00Z");
    const probe = new DateProbe(() => local);
    probe.record(new HttpResponse({ statusCode: 403, headers: { date: "Thu, 01 May 2025 00:20:00 GMT" } }));
    expect(probe.skewMs()).toBe(20 * 60_000);
    expect(describeSkew(probe.skewMs()!)).toBe("20 min behind");
    expect(describeSkew(-3000)).toBe("3 s ahead of");
  });

  it("ignores responses without a Date header", () => {
    const probe = new DateProbe();
    probe.record(new HttpResponse({ statusCode: 200, headers: {} }));
    probe.record({ not: "a response" });
    expect(probe.skewMs()).toBeUndefined();
  });
});

describe("errors", () => {
  it("errorText: code and first line; errorHeader: case-insensitive", () => {
    const err = Object.assign(new Error("Access Denied\nmore"), { name: "AccessDenied", $response: { headers: { "X-Amz-Bucket-Region": "us-east-1" } } });
    expect(errorText(err)).toBe("AccessDenied: Access Denied");
    expect(errorHeader(err, "x-amz-bucket-region")).toBe("us-east-1");
    expect(errorText({ name: "UnknownError", $metadata: { httpStatusCode: 301 } })).toBe("HTTP 301");
  });

  it("names errors as aws/classify.ts does: a body-less 403 is AccessDenied, a RequestError gives its verdict and its cause's message", () => {
    expect(errorText(Object.assign(new Error("UnknownError"), { name: "Forbidden", $metadata: { httpStatusCode: 403 } }))).toBe("AccessDenied");
    expect(errorText({ name: "UnknownError", $metadata: { httpStatusCode: 404 } })).toBe("NotFound");
    const cause = Object.assign(new Error("Access Denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
    const wrapped = new RequestError("ListObjectsV2", classifyError(cause), cause);
    expect(errorText(wrapped)).toBe("AccessDenied: Access Denied");
    expect(errorText(new Error("configuration missing"))).toBe("Error: configuration missing");
  });
});

describe("init values", () => {
  it("keeps only non-default values, typed, with sizes as typed", () => {
    const v = configFileValues({ accountId: "123456789012", destBucket: "s3://my-bucket/", region: "ap-northeast-1", concurrency: "32", partSize: "256MiB" });
    expect(v).toEqual({ accountId: "123456789012", destBucket: "my-bucket", concurrency: 32, partSize: "256MiB" });
  });

  it("rejects an invalid value naming its flag", () => {
    expect(() => configFileValues({ accountId: "1234" })).toThrow(/--account-id must be 12 digits/);
  });

  it("refuses anything that looks like a credential", () => {
    expect(looksLikeCredential("AKIAIOSFODNN7EXAMPLE", [])).toBe(true);
    expect(looksLikeCredential("my-flex-bucket", ["wJalrXUtnFEMI"])).toBe(false);
    expect(looksLikeCredential("x-wJalrXUtnFEMI-x", ["wJalrXUtnFEMI"])).toBe(true);
    expect(() => configFileValues({ externalId: "ASIAIOSFODNN7EXAMPLE" })).toThrow(/--external-id looks like an AWS credential/);
  });
});
