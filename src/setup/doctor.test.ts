import { HttpResponse } from "@smithy/protocol-http";
import { describe, expect, it } from "vitest";
import { classifyError } from "../aws/classify.js";
import { RequestError } from "../engine/request.js";
import { configFileValues, looksLikeCredential } from "./init.js";
import { parsePolicy } from "../iam/document.js";
import { bucketPolicy } from "../iam/manual.js";
import { placeholderKey, refusalFix } from "./doctor-advice.js";
import { describeStatement, probeAll, statementLabel, syntheticKey } from "./doctor-prefixes.js";
import { decideFor, requestEnv, roleCaller, SAMPLE_PROBES, type PolicyFacts, type RawStatement } from "./doctor-request.js";
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

// ---- the bucket policy, decided offline (doctor-request.ts, doctor-prefixes.ts, doctor-advice.ts) ----

const ROLE = "arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_123456789012";
const OWNER = "123456789012";
const BUCKET = "flex-dest";

function facts(statements: RawStatement[], over: Partial<PolicyFacts> = {}): PolicyFacts {
  return {
    bucket: BUCKET,
    sourceBucket: "dataservice-flex-bucket",
    policy: parsePolicy({ Version: "2012-10-17", Statement: statements }),
    raw: statements,
    ownership: "BucketOwnerEnforced",
    caller: roleCaller(ROLE),
    ownerAccount: OWNER,
    env: requestEnv(undefined, "ap-northeast-1", new Date("2026-12-01T00:00:00Z")),
    probes: SAMPLE_PROBES,
    ...over,
  };
}
const manual = (): RawStatement[] => JSON.parse(JSON.stringify(bucketPolicy(ROLE, BUCKET).Statement)) as RawStatement[];
const ACL_HEADERS = { "x-amz-acl": "bucket-owner-full-control" };

describe("doctor's request context", () => {
  it("the scheme comes from the endpoint: AWS's and https:// are TLS, http:// is not", () => {
    expect(requestEnv(undefined, "ap-northeast-1").secure).toBe(true);
    expect(requestEnv(undefined, "ap-northeast-1").endpoint).toBe("https://s3.ap-northeast-1.amazonaws.com");
    expect(requestEnv("https://bucket.vpce-1a2b.s3.ap-northeast-1.vpce.amazonaws.com", "ap-northeast-1").secure).toBe(true);
    expect(requestEnv("http://127.0.0.1:9000", "ap-northeast-1").secure).toBe(false);
  });

  it("a TLS-only Deny refuses the role over http:// only, and the fix is HTTPS, not an exemption", () => {
    const tls = { Sid: "TLS", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const https = facts([...manual(), tls]);
    expect(decideFor(https, "CopyObject", SAMPLE_PROBES[0]!.key, ACL_HEADERS).allowed).toBe(true);
    const http = facts([...manual(), tls], { env: requestEnv("http://127.0.0.1:9000", "ap-northeast-1") });
    const r = probeAll(http, "CopyObject", ACL_HEADERS);
    expect(r.refused).toHaveLength(1);
    expect(r.refused[0]!.index).toBe(2);
    const fix = refusalFix(http, "CopyObject", r.refused[0]!, ACL_HEADERS, "merge", false);
    expect(fix).toMatch(/statement "TLS" .*refuses requests over plain HTTP.*use an https:\/\/ endpoint/);
    expect(fix).not.toMatch(/exempt|put-bucket-policy/);
  });

  it("s3:ResourceAccount is the bucket owner's real account; unknown, a test of it is left to the real request", () => {
    const onlyOurs = { Sid: "OnlyOurBuckets", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: "*", Condition: { StringNotEquals: { "s3:ResourceAccount": OWNER } } };
    expect(decideFor(facts([...manual(), onlyOurs]), "CopyObject", SAMPLE_PROBES[0]!.key, ACL_HEADERS).allowed).toBe(true);
    expect(decideFor(facts([...manual(), onlyOurs], { ownerAccount: "999999999999" }), "CopyObject", SAMPLE_PROBES[0]!.key, ACL_HEADERS).allowed).toBe(false);
    const unknown = facts([...manual(), onlyOurs], { ownerAccount: undefined });
    expect(probeAll(unknown, "CopyObject", ACL_HEADERS).undecided.keys).toEqual(["s3:resourceaccount"]);
  });

  it("a principal naming flexcopy's session ARN (its AssumeRole session name) allows the role; another session name does not", () => {
    const session = roleCaller(ROLE).arn;
    expect(session).toBe("arn:aws:sts::461810399597:assumed-role/JeuServiceRoleForS3Copy_123456789012/flexcopy");
    const statements = JSON.parse(JSON.stringify(bucketPolicy(session, BUCKET).Statement)) as RawStatement[];
    expect(decideFor(facts(statements), "CopyObject", SAMPLE_PROBES[0]!.key, ACL_HEADERS).allowed).toBe(true);
    expect(decideFor(facts(statements, { caller: roleCaller(ROLE, "nightly") }), "CopyObject", SAMPLE_PROBES[0]!.key, ACL_HEADERS).allowed).toBe(false);
  });

  it("the copy source is in the context: a Deny on copies from elsewhere does not hit the provider's bucket", () => {
    const onlyFlex = { Sid: "OnlyFromFlex", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { StringNotLike: { "s3:x-amz-copy-source": "dataservice-flex-bucket/*" } } };
    expect(probeAll(facts([...manual(), onlyFlex]), "CopyObject", ACL_HEADERS).refused).toEqual([]);
  });
});

describe("doctor's prefixes and advice", () => {
  const PROBES = [
    { prefix: "2020/", key: "2020/01/06/20200106_1_001.pcap.gz" },
    { prefix: "2021/", key: "2021/05/06/20210506_1_001.pcap.gz" },
    { prefix: "testdata/", key: "testdata/2021/05/27/20210527_1_001.pcap.gz" },
  ];

  it("a Deny on 2021/* refuses that prefix only, named by its statement; the fix is the role's exemption, which lets it through", () => {
    const deny = { Sid: "No2021", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/2021/*` };
    const f = facts([...manual(), deny], { probes: PROBES });
    const r = probeAll(f, "CopyObject", ACL_HEADERS);
    expect(r.allowed.map((p) => p.prefix)).toEqual(["2020/", "testdata/"]);
    expect(r.refused.map((g) => [g.index, g.probes.map((p) => p.prefix)])).toEqual([[2, ["2021/"]]]);
    expect(statementLabel(f, 2)).toBe(`statement "No2021" (Deny s3:PutObject on arn:aws:s3:::${BUCKET}/2021/* for *)`);
    const fix = refusalFix(f, "CopyObject", r.refused[0]!, ACL_HEADERS, "merge", true);
    expect(fix).toMatch(/ArnNotLike aws:PrincipalArn/);
    expect(fix).toMatch(/flexcopy policy --merge-current/);
    expect(fix).toMatch(/leave it out of what you fetch/);
    const statement = JSON.parse(/the statement becomes (\{.*?\}); /.exec(fix)![1]!) as RawStatement;
    const exempted = facts([...manual(), statement], { probes: PROBES });
    expect(probeAll(exempted, "CopyObject", ACL_HEADERS).refused).toEqual([]);
  });

  it("an organisation perimeter on aws:PrincipalOrgID refuses the role (outside your organisation); the exemption keeps it for everyone else", () => {
    const perimeter = { Sid: "OrgPerimeter", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`], Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } };
    const f = facts([...manual(), perimeter]);
    const list = probeAll(f, "ListObjectsV2", {}, [{ prefix: "", key: "" }]);
    expect(list.refused[0]!.index).toBe(2);
    const fix = refusalFix(f, "ListObjectsV2", list.refused[0]!, {}, "merge", false);
    const statement = JSON.parse(/the statement becomes (\{.*?\}); /.exec(fix)![1]!) as RawStatement;
    expect(statement.Condition).toEqual({ StringNotEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" }, ArnNotLike: { "aws:PrincipalArn": [ROLE] } });
    const exempted = facts([...manual(), statement]);
    expect(decideFor(exempted, "ListObjectsV2", "").allowed).toBe(true);
    // Another principal outside the organisation is still refused by the exempted statement.
    const stranger = { ...exempted, caller: roleCaller("arn:aws:iam::222233334444:role/Other") };
    expect(decideFor(stranger, "ListObjectsV2", "").deny?.sid).toBe("OrgPerimeter");
  });

  it("encryption required: AES256, a key the policy names, else a key ARN placeholder (the fix must parse as printed)", () => {
    const need = (cond: object) => facts([...manual(), { Sid: "Enc", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: cond }]);
    const fixFor = (f: PolicyFacts) => refusalFix(f, "CopyObject", probeAll(f, "CopyObject", ACL_HEADERS).refused[0]!, ACL_HEADERS, "merge", false);
    expect(fixFor(need({ StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" } }))).toMatch(/add --sse AES256 to flexcopy's commands/);
    const key = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    expect(fixFor(need({ StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": key } }))).toContain(`add --sse aws:kms --sse-kms-key-id ${key} to`);
    const any = fixFor(need({ StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" } }));
    expect(any).toContain(`add --sse aws:kms --sse-kms-key-id ${placeholderKey(facts(manual()))} to`);
    expect(any).toMatch(/the key id is a placeholder/);
  });

  it("a storage class required: a Deny on another class, or an Allow only with it, is met by the --storage-class doctor names", () => {
    const fixFor = (f: PolicyFacts, headers: Record<string, string> = ACL_HEADERS) => refusalFix(f, "CopyObject", probeAll(f, "CopyObject", headers).refused[0]!, headers, "merge", false);
    const deny = facts([...manual(), { Sid: "OnlyIR", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { StringNotEquals: { "s3:x-amz-storage-class": "GLACIER_IR" } } }]);
    const fix = fixFor(deny);
    expect(fix).toContain('statement "OnlyIR"');
    expect(fix).toContain("requires the storage class GLACIER_IR: add --storage-class GLACIER_IR to flexcopy's commands (or FLEXCOPY_STORAGE_CLASS=GLACIER_IR");
    // The flag as printed passes; without the header the key is absent and the StringNotEquals Deny hits.
    expect(probeAll(deny, "CopyObject", { ...ACL_HEADERS, "x-amz-storage-class": "GLACIER_IR" }).refused).toEqual([]);
    expect(probeAll(deny, "CopyObject", { ...ACL_HEADERS, "x-amz-storage-class": "STANDARD" }).refused).toHaveLength(1);
    // Allow-only: the manual's copy statement asks for the class too; no Deny, so no statement allows it without.
    const allowOnly = manual().map((st) => (JSON.stringify(st.Action).includes("s3:PutObject") && st.Condition ? { ...st, Condition: { StringEquals: { ...(st.Condition as { StringEquals: object }).StringEquals, "s3:x-amz-storage-class": "DEEP_ARCHIVE" } } } : st));
    const f2 = facts(allowOnly);
    expect(probeAll(f2, "CopyObject", ACL_HEADERS).refused[0]!.index).toBeUndefined();
    expect(fixFor(f2)).toMatch(/allows the provider's role to write there only with the storage class DEEP_ARCHIVE: add --storage-class DEEP_ARCHIVE .*must be restored/);
    // Both an encryption header and a class: both flags, runnable together.
    const both = facts([...manual(), { Sid: "Enc", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "AES256" } } }, { Sid: "Cls", Effect: "Deny", Principal: "*", Action: "s3:PutObject", Resource: `arn:aws:s3:::${BUCKET}/*`, Condition: { StringNotEquals: { "s3:x-amz-storage-class": "STANDARD_IA" } } }]);
    expect(fixFor(both)).toContain("add --sse AES256 --storage-class STANDARD_IA to flexcopy's commands");
  });

  it("keys of FLEX's naming for day folders; statements described with NotResource, NotPrincipal and conditions", () => {
    expect(syntheticKey("2021/05/31/")).toBe("2021/05/31/20210531_1_001.pcap.gz");
    expect(syntheticKey("testdata/2021/5/3/")).toBe("testdata/2021/5/3/20210503_1_001.pcap.gz");
    expect(syntheticKey("2019/")).toBe("2019/01/04/20190104_1_001.pcap.gz");
    const s = parsePolicy({ Statement: [{ Effect: "Deny", NotPrincipal: { AWS: "arn:aws:iam::123456789012:root" }, NotAction: "s3:GetObject", NotResource: ["a", "b"], Condition: { Bool: { "aws:SecureTransport": "false" } } }] }).statements[0]!;
    expect(describeStatement(s)).toBe("Deny every action but s3:GetObject on everything but [a, b] for everyone but arn:aws:iam::123456789012:root if Bool aws:SecureTransport false");
  });
});
