import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assume, failure, sts } from "./helpers.js";

describe("emulator STS", () => {
  let em: Emulator;
  beforeAll(async () => {
    em = await startEmulator({ seed: "none" });
  });
  afterAll(() => em.stop());

  it("GetCallerIdentity for the base user", async () => {
    const out = await sts(em).send(new GetCallerIdentityCommand({}));
    expect(out.Account).toBe("123456789012");
    expect(out.Arn).toBe("arn:aws:iam::123456789012:user/flex-user");
    expect(out.UserId).toMatch(/^AIDA/);
  });

  it("AssumeRole returns temporary credentials and the session's identity", async () => {
    expect(em.roleArn).toBe("arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_123456789012");
    const before = Date.now();
    const out = await sts(em).send(new AssumeRoleCommand({ RoleArn: em.roleArn, RoleSessionName: "s3copy", DurationSeconds: 43200 }));
    const c = out.Credentials;
    expect(c?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c?.SecretAccessKey?.length).toBeGreaterThan(20);
    expect(c?.SessionToken?.length).toBeGreaterThan(100);
    const exp = c?.Expiration?.getTime() ?? 0;
    expect(exp).toBeGreaterThan(before + 43200_000 - 5000);
    expect(exp).toBeLessThan(before + 43200_000 + 5000);
    expect(out.AssumedRoleUser?.Arn).toBe("arn:aws:sts::461810399597:assumed-role/JeuServiceRoleForS3Copy_123456789012/s3copy");
    const who = await sts(em, { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" }).send(
      new GetCallerIdentityCommand({}),
    );
    expect(who.Account).toBe("461810399597");
    expect(who.Arn).toBe("arn:aws:sts::461810399597:assumed-role/JeuServiceRoleForS3Copy_123456789012/s3copy");
    expect(who.UserId).toMatch(/^AROA.*:s3copy$/);
  });

  it("refuses other roles with AccessDenied", async () => {
    const f = await failure(() => assume(em, { RoleArn: "arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_999999999999" }));
    expect(f.name).toBe("AccessDenied");
    expect(f.status).toBe(403);
    expect(f.message).toContain("is not authorized to perform: sts:AssumeRole");
  });

  it("enforces MaxSessionDuration and the minimum duration", async () => {
    const f = await failure(() => assume(em, { DurationSeconds: 43201 }));
    expect(f.name).toBe("ValidationError");
    expect(f.status).toBe(400);
    expect(f.message).toBe("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    const g = await failure(() => assume(em, { DurationSeconds: 100 }));
    expect(g.name).toBe("ValidationError");
  });

  it("limits role chaining to one hour", async () => {
    const role = await assume(em);
    const f = await failure(() => assume(em, { DurationSeconds: 3601 }, role));
    expect(f.name).toBe("ValidationError");
    expect(f.message).toBe("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    const chained = await assume(em, { DurationSeconds: 3600 }, role);
    expect(chained.accessKeyId).toMatch(/^ASIA/);
  });

  it("rejects an unknown key and a wrong secret", async () => {
    const f = await failure(() => sts(em, { accessKeyId: "AKIANOSUCHKEY0000000", secretAccessKey: "x" }).send(new GetCallerIdentityCommand({})));
    expect(f.name).toBe("InvalidClientTokenId");
    expect(f.status).toBe(403);
    const g = await failure(() => sts(em, { accessKeyId: em.accessKeyId, secretAccessKey: "wrong" }).send(new GetCallerIdentityCommand({})));
    expect(g.name).toBe("SignatureDoesNotMatch");
    expect(g.status).toBe(403);
  });
});

describe("emulator STS options", () => {
  it("enforces ExternalId and honours maxSessionDuration / tokenTtlSeconds", async () => {
    const em = await startEmulator({ seed: "none", externalId: "ext-123", maxSessionDuration: 7200, tokenTtlSeconds: 30 });
    try {
      expect((await failure(() => assume(em))).name).toBe("AccessDenied");
      expect((await failure(() => assume(em, { ExternalId: "wrong" }))).name).toBe("AccessDenied");
      const f = await failure(() => assume(em, { ExternalId: "ext-123", DurationSeconds: 7201 }));
      expect(f.message).toContain("MaxSessionDuration");
      const before = Date.now();
      const c = await assume(em, { ExternalId: "ext-123", DurationSeconds: 7200 });
      const exp = c.expiration?.getTime() ?? 0;
      expect(exp).toBeGreaterThan(before + 25_000);
      expect(exp).toBeLessThan(before + 35_000);
    } finally {
      await em.stop();
    }
  });
});
