// Types of emulator-env.mjs for the TypeScript tests.
import type { AssumeRoleCommandInput } from "@aws-sdk/client-sts";

/** What a client needs to know of an emulator: an `Emulator`, or the JSON line `flexcopy emulator` prints. */
export interface EmulatorEndpoint {
  endpoint: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  roleArn: string;
  destBuckets: string[];
  /** With `tls` (startEmulator) the CA; `caBundle` is its file in the startup line of `flexcopy emulator --tls`. */
  tls?: { caPem: string; caFile: string };
  caBundle?: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

export function flexcopyEnv(emu: EmulatorEndpoint, home: string): Record<string, string>;

export function assumeRole(
  emu: Pick<EmulatorEndpoint, "endpoint" | "region" | "accessKeyId" | "secretAccessKey" | "roleArn">,
  input?: Partial<AssumeRoleCommandInput>,
  caller?: Credentials,
): Promise<RoleCredentials>;
