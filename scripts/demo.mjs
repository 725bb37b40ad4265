#!/usr/bin/env node
// npm run demo: start the emulator with the demo seed, fetch 2021/05 with live progress, then ls and spec.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { flexcopyEnv } from "./emulator-env.mjs";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin/flexcopy");
const { startEmulator } = await import(path.join(root, "dist/emulator/index.js"));

// A modelled copy rate and latency so the progress bar has something to show.
const emu = await startEmulator({ seed: "demo", faults: { latencyMs: 40, copyRateBytesPerSec: 50e6 } });
const home = mkdtempSync(path.join(tmpdir(), "flexcopy-demo-"));
const env = { ...process.env, ...flexcopyEnv(emu, home) };

function run(args) {
  console.log(`\n$ flexcopy ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ")}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: "inherit", cwd: home });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

console.log(`emulator at ${emu.endpoint} (account ${emu.accountId}, destination bucket ${emu.destBuckets[0]})`);
let failed = 0;
try {
  for (const args of [
    ["fetch", "2021/05"],
    ["ls", "2021/05"],
    ["ls", "2021/05/31", "--dest", "-r"],
    ["spec", "--list"],
    ["spec", "Standard", "version 17.4", "Japanese"],
    ["fetch", "2021/05"],
  ]) {
    if ((await run(args)) !== 0) failed += 1;
  }
} finally {
  await emu.stop();
}
process.exitCode = failed ? 1 : 0;
