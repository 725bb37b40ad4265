// Shared by the tests that drive other programs (aws, rclone) against the emulator.
import { spawn } from "node:child_process";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { Emulator } from "../../src/emulator/index.js";

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion and collects its output. */
export function runProcess(cmd: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The manual's step 1-5: the base user assumes the provider role; returns its temporary credentials. */
export async function assumeRole(emu: Emulator, sessionName: string, durationSeconds?: number) {
  const sts = new STSClient({ region: "ap-northeast-1", endpoint: emu.endpoint, credentials: { accessKeyId: emu.accessKeyId, secretAccessKey: emu.secretAccessKey } });
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: emu.roleArn, RoleSessionName: sessionName, DurationSeconds: durationSeconds }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("AssumeRole returned no credentials");
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  } finally {
    sts.destroy();
  }
}
