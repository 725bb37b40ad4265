import { describe, it, expect } from "vitest";
import { InvalidObjectState, NoSuchBucket, NoSuchKey, NoSuchUpload, S3ServiceException } from "@aws-sdk/client-s3";
import { ExpiredTokenException, IDPCommunicationErrorException, RegionDisabledException, STSServiceException } from "@aws-sdk/client-sts";
import { backoffMs, classifyError, type ErrorAction, isAccessDenied, isAuthFailure } from "./classify.js";

const s3 = (name: string, status: number, fault: "client" | "server" = status >= 500 ? "server" : "client") =>
  new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status } });
const sts = (name: string, status: number) => new STSServiceException({ name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status } });
const errno = (code: string) => Object.assign(new Error("boom"), { code });

describe("classifyError: action and code", () => {
  const table: [string, unknown, ErrorAction, string, number?][] = [
    ["SlowDown 503", s3("SlowDown", 503), "retry", "SlowDown", 503],
    ["ServiceUnavailable", s3("ServiceUnavailable", 503), "retry", "ServiceUnavailable", 503],
    ["InternalError 500", s3("InternalError", 500), "retry", "InternalError", 500],
    ["InternalError in a 200 body", s3("InternalError", 200), "retry", "InternalError", 200],
    ["SlowDown in a 200 body", s3("SlowDown", 200), "retry", "SlowDown", 200],
    ["unknown code in a 200 body", s3("WeirdThing", 200), "retry", "WeirdThing", 200],
    ["RequestTimeout (a 400)", s3("RequestTimeout", 400), "retry", "RequestTimeout", 400],
    ["Throttling", sts("Throttling", 400), "retry", "Throttling"],
    ["ThrottlingException", s3("ThrottlingException", 400), "retry", "ThrottlingException"],
    ["TooManyRequestsException", s3("TooManyRequestsException", 429), "retry", "TooManyRequestsException"],
    ["bare 429", s3("UnknownError", 429), "retry", "HTTP 429", 429],
    ["bare 502", s3("UnknownError", 502), "retry", "HTTP 502", 502],
    ["bare 504", s3("UnknownError", 504), "retry", "HTTP 504", 504],
    ["unknown code 5xx", s3("Mystery", 507), "retry", "Mystery", 507],
    ["numeric name 503", s3("503", 503), "retry", "HTTP 503", 503],
    ["IDP communication", new IDPCommunicationErrorException({ $metadata: { httpStatusCode: 400 }, message: "x" }), "retry", "IDPCommunicationErrorException"],
    ["ECONNRESET (socket hang up)", errno("ECONNRESET"), "retry", "ECONNRESET"],
    ["EPIPE", errno("EPIPE"), "retry", "EPIPE"],
    ["ETIMEDOUT", errno("ETIMEDOUT"), "retry", "ETIMEDOUT"],
    ["ECONNREFUSED", errno("ECONNREFUSED"), "retry", "ECONNREFUSED"],
    ["EAI_AGAIN", errno("EAI_AGAIN"), "retry", "EAI_AGAIN"],
    ["smithy TimeoutError", Object.assign(new Error("t"), { name: "TimeoutError" }), "retry", "TimeoutError"],
    ["ExpiredToken", s3("ExpiredToken", 400), "refresh", "ExpiredToken", 400],
    ["ExpiredTokenException", new ExpiredTokenException({ $metadata: { httpStatusCode: 400 }, message: "x" }), "refresh", "ExpiredTokenException"],
    ["InvalidToken", s3("InvalidToken", 400), "refresh", "InvalidToken"],
    ["HEAD 400 without body (an expired token on HeadObject)", s3("400", 400), "refresh", "HTTP 400", 400],
    ["TokenRefreshRequired", s3("TokenRefreshRequired", 400), "refresh", "TokenRefreshRequired"],
    ["AccessDenied", s3("AccessDenied", 403), "fatal", "AccessDenied", 403],
    ["HEAD 403 without body", s3("Forbidden", 403), "fatal", "AccessDenied", 403],
    ["bare 403", s3("UnknownError", 403), "fatal", "AccessDenied", 403],
    ["NoSuchKey class", new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: "x" }), "fatal", "NoSuchKey", 404],
    ["NoSuchBucket class", new NoSuchBucket({ $metadata: { httpStatusCode: 404 }, message: "x" }), "fatal", "NoSuchBucket", 404],
    ["NoSuchUpload class", new NoSuchUpload({ $metadata: { httpStatusCode: 404 }, message: "x" }), "fatal", "NoSuchUpload", 404],
    ["InvalidObjectState class", new InvalidObjectState({ $metadata: { httpStatusCode: 403 }, message: "x" }), "fatal", "InvalidObjectState", 403],
    ["HEAD 404 without body", s3("NotFound", 404), "fatal", "NotFound", 404],
    ["PreconditionFailed", s3("PreconditionFailed", 412), "fatal", "PreconditionFailed", 412],
    ["RequestTimeTooSkewed", s3("RequestTimeTooSkewed", 403), "fatal", "RequestTimeTooSkewed"],
    ["RequestExpired", sts("RequestExpired", 400), "fatal", "RequestExpired"],
    ["InvalidAccessKeyId", s3("InvalidAccessKeyId", 403), "fatal", "InvalidAccessKeyId"],
    ["SignatureDoesNotMatch", s3("SignatureDoesNotMatch", 403), "fatal", "SignatureDoesNotMatch"],
    ["InvalidRequest", s3("InvalidRequest", 400), "fatal", "InvalidRequest"],
    ["InvalidRequest in a 200 body", s3("InvalidRequest", 200), "fatal", "InvalidRequest"],
    ["EntityTooLarge", s3("EntityTooLarge", 400), "fatal", "EntityTooLarge"],
    ["NotImplemented 501", s3("NotImplemented", 501), "fatal", "NotImplemented", 501],
    ["bare 501", s3("UnknownError", 501), "fatal", "HTTP 501", 501],
    ["unknown 4xx", s3("SomethingNew", 409), "fatal", "SomethingNew", 409],
    ["RegionDisabled", new RegionDisabledException({ $metadata: { httpStatusCode: 403 }, message: "x" }), "fatal", "RegionDisabledException"],
    ["AbortError (user interrupt)", Object.assign(new Error("aborted"), { name: "AbortError" }), "fatal", "AbortError"],
    ["ENOTFOUND", errno("ENOTFOUND"), "fatal", "ENOTFOUND"],
    ["CredentialsProviderError", Object.assign(new Error("x"), { name: "CredentialsProviderError" }), "fatal", "CredentialsProviderError"],
    ["plain Error", new Error("whatever"), "fatal", "UnknownError"],
    ["a string", "oops", "fatal", "UnknownError"],
    ["undefined", undefined, "fatal", "UnknownError"],
  ];

  it.each(table)("%s", (_label, err, action, code, status) => {
    const c = classifyError(err);
    expect(c.action).toBe(action);
    expect(c.code).toBe(code);
    if (status !== undefined) expect(c.status).toBe(status);
  });

  it("prefers the Code in the body over the name", () => {
    const e = Object.assign(s3("S3ServiceException", 503), { Code: "SlowDown" });
    expect(classifyError(e)).toMatchObject({ action: "retry", code: "SlowDown" });
  });

  it("ignores the message text", () => {
    const e = Object.assign(new Error("SlowDown: ExpiredToken, socket hang up, 503"), {});
    expect(classifyError(e)).toEqual({ action: "fatal", code: "UnknownError" });
  });
});

describe("classifyError: hints", () => {
  it.each(["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "DEPTH_ZERO_SELF_SIGNED_CERT"])(
    "an untrusted TLS certificate (%s) is fatal, and the hint names --ca-bundle",
    (code) => {
      const c = classifyError(errno(code));
      expect(c).toMatchObject({ action: "fatal", code });
      expect(c.hint).toMatch(/--ca-bundle FILE \(or AWS_CA_BUNDLE, or ca_bundle in your AWS profile\)/);
    },
  );
  it("an expired certificate or one for another host is fatal with its own hint", () => {
    expect(classifyError(errno("CERT_HAS_EXPIRED"))).toMatchObject({ action: "fatal", hint: expect.stringMatching(/expired or not yet valid/) });
    expect(classifyError(errno("ERR_TLS_CERT_ALTNAME_INVALID"))).toMatchObject({ action: "fatal", hint: expect.stringMatching(/does not name its host/) });
  });
  it("AccessDenied on the source blames the contract period", () => {
    expect(classifyError(s3("AccessDenied", 403), { side: "source" }).hint).toMatch(/outside your contracted data period/);
  });
  it("AccessDenied on the destination blames the bucket policy", () => {
    const hint = classifyError(s3("AccessDenied", 403), { side: "dest" }).hint;
    expect(hint).toMatch(/bucket-owner-full-control/);
    expect(hint).toMatch(/flexcopy policy/);
  });
  it("AccessDenied on STS is about AssumeRole", () => {
    expect(classifyError(sts("AccessDenied", 403), { side: "sts" }).hint).toMatch(/sts:AssumeRole/);
  });
  it("an expired token on STS is the base credentials: fatal, not refresh", () => {
    expect(classifyError(new ExpiredTokenException({ $metadata: {}, message: "x" }), { side: "sts" })).toMatchObject({
      action: "fatal",
      hint: expect.stringMatching(/your own AWS credentials have expired/),
    });
  });
  it.each([
    ["NoSuchBucket", "dest", /--dest-bucket/],
    ["NoSuchBucket", "source", /--source-bucket/],
    ["InvalidObjectState", undefined, /Glacier/],
    ["PreconditionFailed", undefined, /changed during the copy/],
    ["RequestTimeTooSkewed", undefined, /clock/],
    ["PermanentRedirect", undefined, /ap-northeast-1/],
  ] as const)("%s (%s)", (name, side, re) => {
    expect(classifyError(s3(name, 400), side ? { side } : {}).hint).toMatch(re);
  });
  it("retryable errors have no hint", () => {
    expect(classifyError(s3("SlowDown", 503)).hint).toBeUndefined();
  });
});

describe("classifyError: a bucket in another region names the bucket and the setting", () => {
  // S3's 301: <Code>PermanentRedirect</Code> … <Endpoint>…</Endpoint><Bucket>…</Bucket>, header x-amz-bucket-region.
  const redirect = (bucket: string, region: string) =>
    Object.assign(s3("PermanentRedirect", 301), { Bucket: bucket, Endpoint: `s3.${region}.amazonaws.com`, $response: { statusCode: 301, headers: { "x-amz-bucket-region": region } } });
  it("the source bucket: set --region to its region", () => {
    const c = classifyError(redirect("dataservice-flex-bucket", "ap-northeast-1"), { side: "source" });
    expect(c.action).toBe("fatal");
    expect(c.hint).toMatch(/^the provider's bucket dataservice-flex-bucket is in ap-northeast-1, not the region flexcopy signs for: set --region \(or FLEXCOPY_REGION, .*\) to ap-northeast-1$/);
    expect(c.hint).not.toMatch(/create/);
  });
  it("your bucket elsewhere: the manual wants Tokyo", () => {
    const c = classifyError(redirect("my-flex-bucket", "us-west-2"), { side: "dest" });
    expect(c.hint).toMatch(/^your bucket my-flex-bucket is in us-west-2, .*FLEXCOPY_REGION.*ap-northeast-1 \(Tokyo\)/);
  });
  it("your bucket in Tokyo, flexcopy signing for another region: set --region, nothing about creating a bucket", () => {
    const c = classifyError(redirect("my-flex-bucket", "ap-northeast-1"), { side: "dest" });
    expect(c.hint).toMatch(/^your bucket my-flex-bucket is in ap-northeast-1, not the region flexcopy signs for: set --region \(or FLEXCOPY_REGION, .*\) to ap-northeast-1$/);
    expect(c.hint).not.toMatch(/requires|create/);
  });
  it("AuthorizationHeaderMalformed names the expected Region; no body at all still names the setting", () => {
    const c = classifyError(Object.assign(s3("AuthorizationHeaderMalformed", 400), { Region: "ap-northeast-1" }), { side: "source" });
    expect(c.hint).toMatch(/is in ap-northeast-1.*set --region/);
    expect(classifyError(s3("PermanentRedirect", 301)).hint).toMatch(/the bucket is in another region.*--region \(or FLEXCOPY_REGION/);
  });
});

describe("classifyError: Retry-After", () => {
  const withHeader = (value: string, name = "SlowDown") =>
    Object.assign(s3(name, 503), { $response: { statusCode: 503, headers: { "Retry-After": value } } });
  it("reads seconds", () => {
    expect(classifyError(withHeader("3")).retryAfterMs).toBe(3000);
  });
  it("caps at two minutes", () => {
    expect(classifyError(withHeader("3600")).retryAfterMs).toBe(120_000);
  });
  it("ignores garbage and is absent without the header", () => {
    expect(classifyError(withHeader("soon")).retryAfterMs).toBeUndefined();
    expect(classifyError(s3("SlowDown", 503))).not.toHaveProperty("retryAfterMs");
  });
  it("reads an HTTP date", () => {
    const ms = classifyError(withHeader(new Date(Date.now() + 10_000).toUTCString())).retryAfterMs ?? 0;
    expect(ms).toBeGreaterThan(8_000);
    expect(ms).toBeLessThanOrEqual(10_000);
  });
});

describe("backoffMs", () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [8, 12_800],
    [9, 20_000],
    [30, 20_000],
  ])("attempt %d has a ceiling of %d ms", (attempt, ceiling) => {
    expect(backoffMs(attempt, () => 0.999999)).toBe(Math.floor(0.999999 * ceiling));
    expect(backoffMs(attempt, () => 0)).toBe(0);
    expect(backoffMs(attempt, () => 0.5)).toBe(ceiling / 2);
  });
  it("is jittered with Math.random by default and stays in range", () => {
    for (let i = 0; i < 200; i++) {
      const ms = backoffMs(5);
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(1600);
    }
  });
});

describe("isAccessDenied / isAuthFailure: the one rule", () => {
  const s3err = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  it.each<[string, unknown, boolean, boolean]>([
    ["S3 AccessDenied", s3err("AccessDenied", 403), true, true],
    ["STS AccessDeniedException", s3err("AccessDeniedException", 403), true, true],
    ["a HEAD 403 (no body, no code)", s3err("403", 403), true, true],
    ["a 403 with another code (RequestTimeTooSkewed) is no denial, but an auth failure", s3err("RequestTimeTooSkewed", 403), false, true],
    ["Forbidden", s3err("Forbidden", 403), true, true],
    ["InvalidObjectState is a 403 about storage, not permission", s3err("InvalidObjectState", 403), false, false],
    ["an expired token is refused credentials, not a denial", s3err("ExpiredToken", 400), false, true],
    ["InvalidAccessKeyId", s3err("InvalidAccessKeyId", 403), false, true],
    ["NoSuchKey", s3err("NoSuchKey", 404), false, false],
    ["SlowDown", s3err("SlowDown", 503), false, false],
    ["an engine RequestError carries its verdict", { classified: { action: "fatal", code: "AccessDenied", status: 403 } }, true, true],
    ["a RequestError of a throttle", { classified: { action: "retry", code: "SlowDown", status: 503 } }, false, false],
  ])("%s", (_name, err, denied, auth) => {
    expect([isAccessDenied(err), isAuthFailure(err)]).toEqual([denied, auth]);
  });
});
