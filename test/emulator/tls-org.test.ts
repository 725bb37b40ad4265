// Enterprise policies against the emulator through the real AWS SDK: HTTPS (`tls`: aws:SecureTransport,
// s3:TlsVersion), an organisation (`orgId`: aws:PrincipalOrgID, aws:ResourceOrgID), and Block Public Access.
import { Agent } from "node:https";
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.js";
import { bucketPolicy } from "../../src/iam/manual.js";
import { BUCKET_ARNS, ORG, ORG_PERIMETER, TLS_ONLY } from "../support/policies.js";
import { assume, baseCreds, failure, s3, type Creds } from "./helpers.js";

const DEST = "flex-dest";
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

/** Clients that trust the emulator's CA (over TLS) or plain ones (over HTTP). */
function handler(em: Emulator): { requestHandler: NodeHttpHandler } | Record<string, never> {
  return em.tls ? { requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: em.tls.caPem }) }) } : {};
}
const client = (em: Emulator, c: Creds): S3Client => s3(em, c, handler(em));

/** AssumeRole (scripts/emulator-env.mjs trusts a TLS emulator's CA). */
const roleCreds = (em: Emulator): Promise<Creds> => assume(em);

/** The manual's policy plus `extra` statements (with ${bucket} filled in per bucket by the emulator). */
function withStatements(...extra: object[]): EmulatorOptions["bucketPolicy"] {
  const doc = bucketPolicy("${roleArn}", "${bucket}");
  return { ...doc, Statement: [...doc.Statement, ...extra] };
}

const list = (c: S3Client) => c.send(new ListObjectsV2Command({ Bucket: DEST }));

describe("emulator --tls", () => {
  it("serves HTTPS with a certificate of its own CA, written to a file; a client without the CA refuses it", async () => {
    emu = await startEmulator({ tls: true });
    expect(emu.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(readFileSync(emu.tls!.caFile, "utf8")).toBe(emu.tls!.caPem);
    const ok = await new STSClient({ endpoint: emu.endpoint, region: emu.region, credentials: baseCreds(emu), maxAttempts: 1, ...handler(emu) }).send(new GetCallerIdentityCommand({}));
    expect(ok.Account).toBe(emu.accountId);
    const f = await failure(() => list(s3(emu!, baseCreds(emu!))));
    expect((f.err as { code?: string }).code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    const caFile = emu.tls!.caFile;
    await emu.stop();
    emu = undefined;
    expect(existsSync(caFile)).toBe(false);
  });

  it("a TLS-only bucket policy (Deny when aws:SecureTransport is false) refuses over HTTP and allows over HTTPS", async () => {
    const opts = { bucketPolicy: withStatements(TLS_ONLY) };
    emu = await startEmulator(opts);
    expect((await failure(() => list(client(emu!, baseCreds(emu!))))).name).toBe("AccessDenied");
    const plainRole = await roleCreds(emu);
    expect((await failure(() => list(client(emu!, plainRole)))).name).toBe("AccessDenied");
    await emu.stop();
    emu = await startEmulator({ ...opts, tls: true });
    expect((await list(client(emu, baseCreds(emu)))).$metadata.httpStatusCode).toBe(200);
    expect((await list(client(emu, await roleCreds(emu)))).$metadata.httpStatusCode).toBe(200);
  });

  it("requests carry s3:TlsVersion (the negotiated protocol, 1.3 here): a Deny below 1.4 applies, one below 1.2 does not", async () => {
    const below = (v: string) => ({ Sid: `Below${v}`, Effect: "Deny", Principal: "*", Action: "s3:ListBucket", Resource: BUCKET_ARNS, Condition: { NumericLessThan: { "s3:TlsVersion": v } } });
    emu = await startEmulator({ tls: true, bucketPolicy: withStatements(below("1.2")) });
    expect((await list(client(emu, baseCreds(emu)))).$metadata.httpStatusCode).toBe(200);
    await emu.stop();
    emu = await startEmulator({ tls: true, bucketPolicy: withStatements(below("1.4")) });
    expect((await failure(() => list(client(emu!, baseCreds(emu!))))).name).toBe("AccessDenied");
    const entry = emu.requestLog().find((e) => e.op === "ListObjectsV2" && e.status === 403);
    expect(entry?.denyReason).toMatch(/Below1\.4|explicit Deny/i);
  });
});

describe("emulator orgId (aws:PrincipalOrgID, aws:ResourceOrgID)", () => {
  it("an organisation perimeter refuses the provider's role (outside it) and allows the customer's own user", async () => {
    emu = await startEmulator({ orgId: ORG, bucketPolicy: withStatements(ORG_PERIMETER) });
    expect(emu.orgId).toBe(ORG);
    expect((await list(client(emu, baseCreds(emu)))).$metadata.httpStatusCode).toBe(200);
    const role = client(emu, await roleCreds(emu));
    expect((await failure(() => list(role))).name).toBe("AccessDenied");
  });

  it("without an organisation the key is absent: the same perimeter refuses the customer too (IfExists is true on an absent key)", async () => {
    emu = await startEmulator({ bucketPolicy: withStatements(ORG_PERIMETER) });
    expect(emu.orgId).toBeUndefined();
    expect((await failure(() => list(client(emu!, baseCreds(emu!))))).name).toBe("AccessDenied");
  });

  it("aws:ResourceOrgID is the bucket owner's organisation, absent when the owner is in none", async () => {
    const resourcePerimeter = { Sid: "OnlyOrgResources", Effect: "Deny", Principal: "*", Action: "s3:ListBucket", Resource: BUCKET_ARNS, Condition: { StringNotEquals: { "aws:ResourceOrgID": ORG } } };
    emu = await startEmulator({ orgId: ORG, bucketPolicy: withStatements(resourcePerimeter) });
    expect((await list(client(emu, baseCreds(emu)))).$metadata.httpStatusCode).toBe(200);
    expect((await list(client(emu, await roleCreds(emu)))).$metadata.httpStatusCode).toBe(200); // the bucket's org, not the caller's
    await emu.stop();
    emu = await startEmulator({ bucketPolicy: withStatements(resourcePerimeter) });
    expect((await failure(() => list(client(emu!, baseCreds(emu!))))).name).toBe("AccessDenied");
  });

  it("refuses an id that is not an organization id", async () => {
    await expect(startEmulator({ orgId: "org-1" })).rejects.toThrow(/orgId must look like o-/);
  });
});

describe("Block Public Access (on by default, as on new buckets since April 2023)", () => {
  const put = (c: S3Client, policy: object) => c.send(new PutBucketPolicyCommand({ Bucket: DEST, Policy: JSON.stringify(policy) }));
  const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });
  const publicRead = { Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `arn:aws:s3:::${DEST}/*` };

  it("refuses a public policy with S3's 403 AccessDenied and its BlockPublicPolicy message; keeps the old policy", async () => {
    emu = await startEmulator();
    const owner = client(emu, baseCreds(emu));
    for (const p of [doc(publicRead), doc({ ...publicRead, Principal: { AWS: "*" } }), doc({ ...publicRead, Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } } })]) {
      const f = await failure(() => put(owner, p));
      expect(f.status).toBe(403);
      expect(f.name).toBe("AccessDenied");
      expect(f.message).toBe(
        `User: arn:aws:iam::${emu.accountId}:user/flex-user is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${DEST}" because public policies are blocked by the BlockPublicPolicy block public access setting.`,
      );
    }
    // the manual's policy still applies: the role can list
    expect((await list(client(emu, await roleCreds(emu)))).$metadata.httpStatusCode).toBe(200);
  });

  it.each([
    ["a Deny to everyone (TLS-only)", doc({ ...TLS_ONLY, Resource: [`arn:aws:s3:::${DEST}`, `arn:aws:s3:::${DEST}/*`] })],
    ["an Allow to * limited to one VPC endpoint", doc({ ...publicRead, Condition: { StringEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } } })],
    ["an Allow to * limited to the organisation", doc({ ...publicRead, Condition: { StringEquals: { "aws:PrincipalOrgID": ORG } } })],
    ["an Allow to * limited to an address range", doc({ ...publicRead, Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } })],
    ["an Allow to a named account", doc({ ...publicRead, Principal: { AWS: "arn:aws:iam::461810399597:root" } })],
  ])("accepts %s", async (_what, policy) => {
    emu = await startEmulator();
    const r = await put(client(emu, baseCreds(emu)), policy);
    expect(r.$metadata.httpStatusCode).toBe(204);
  });

  it("GetPublicAccessBlock shows all four on; with them off (Put, Delete, or blockPublicAccess: false) a public policy is accepted", async () => {
    emu = await startEmulator();
    const owner = client(emu, baseCreds(emu));
    const got = await owner.send(new GetPublicAccessBlockCommand({ Bucket: DEST }));
    expect(got.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    await owner.send(new PutPublicAccessBlockCommand({ Bucket: DEST, PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: false } }));
    expect((await owner.send(new GetPublicAccessBlockCommand({ Bucket: DEST }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: false,
    });
    expect((await put(owner, doc(publicRead))).$metadata.httpStatusCode).toBe(204);
    await owner.send(new DeletePublicAccessBlockCommand({ Bucket: DEST }));
    expect((await failure(() => owner.send(new GetPublicAccessBlockCommand({ Bucket: DEST })))).name).toBe("NoSuchPublicAccessBlockConfiguration");
    // the provider's role may not change your Block Public Access
    const role = client(emu, await roleCreds(emu));
    expect((await failure(() => role.send(new PutPublicAccessBlockCommand({ Bucket: DEST, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } })))).name).toBe("AccessDenied");
    await emu.stop();
    emu = await startEmulator({ blockPublicAccess: false });
    expect((await put(client(emu, baseCreds(emu)), doc(publicRead))).$metadata.httpStatusCode).toBe(204);
  });

  it("BlockPublicAcls: a write or PutObjectAcl with a public canned ACL is refused; with the block off it is accepted", async () => {
    emu = await startEmulator();
    const owner = client(emu, baseCreds(emu));
    const putWith = (c: S3Client, ACL: "public-read" | "authenticated-read" | "private") => c.send(new PutObjectCommand({ Bucket: DEST, Key: `acl-${ACL}`, Body: "x", ACL }));
    for (const acl of ["public-read", "authenticated-read"] as const) {
      const f = await failure(() => putWith(owner, acl));
      expect([f.status, f.name]).toEqual([403, "AccessDenied"]);
    }
    expect((await putWith(owner, "private")).$metadata.httpStatusCode).toBe(200);
    expect((await failure(() => owner.send(new PutObjectAclCommand({ Bucket: DEST, Key: "acl-private", ACL: "public-read" })))).name).toBe("AccessDenied");
    expect(emu.objects(DEST).map((o) => o.key)).toEqual(["acl-private"]);
    await owner.send(new PutPublicAccessBlockCommand({ Bucket: DEST, PublicAccessBlockConfiguration: { BlockPublicPolicy: true } }));
    expect((await putWith(owner, "public-read")).$metadata.httpStatusCode).toBe(200);
  });

  it("a public initial policy is refused at start, as S3 would refuse it", async () => {
    await expect(startEmulator({ bucketPolicy: doc({ ...publicRead, Resource: "arn:aws:s3:::${bucket}/*" }) })).rejects.toThrow(/because public policies are blocked by the BlockPublicPolicy/);
  });
});
