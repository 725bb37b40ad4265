// Shared helpers for the emulator tests: real AWS SDK v3 clients pointed at the emulator.
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import type { Emulator } from "../../src/emulator/index.js";

/** AssumeRole into the provider role (scripts/emulator-env.mjs): `assume(em, input?, caller?)`. */
export { assumeRole as assume } from "../../scripts/emulator-env.mjs";

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export function baseCreds(em: Emulator): Creds {
  return { accessKeyId: em.accessKeyId, secretAccessKey: em.secretAccessKey };
}

export function s3(em: Emulator, credentials: Creds, extra: Partial<S3ClientConfig> = {}): S3Client {
  const c: Creds = { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey };
  if (credentials.sessionToken !== undefined) c.sessionToken = credentials.sessionToken;
  return new S3Client({ endpoint: em.endpoint, forcePathStyle: true, region: em.region, credentials: c, maxAttempts: 1, ...extra });
}

export function sts(em: Emulator, credentials: Creds = baseCreds(em)): STSClient {
  return new STSClient({ endpoint: em.endpoint, region: em.region, credentials, maxAttempts: 1 });
}

/** Run `fn`, expect it to throw an SDK error; return name, HTTP status and message. */
export async function failure(fn: () => Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string; err: Record<string, unknown> }> {
  try {
    await fn();
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message, err: e as Record<string, unknown> };
  }
  throw new Error("expected the call to fail, it succeeded");
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
