// Parent side of lib/server.mjs: fork it, wait for "ready", query stats, stop it.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("./server.mjs", import.meta.url));

export async function startServerProcess(options, { execArgv = [] } = {}) {
  const child = fork(SERVER, [JSON.stringify(options)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  const waiters = new Map();
  child.on("message", (msg) => {
    const w = waiters.get(msg?.type);
    if (w) {
      waiters.delete(msg.type);
      w(msg);
    }
  });
  const next = (type) => new Promise((resolve) => waiters.set(type, resolve));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const ready = await Promise.race([next("ready"), exited.then((code) => Promise.reject(new Error(`emulator process exited with ${code} before it was ready (did you run "npm run build"?)`)))]);
  return {
    info: ready.info,
    pid: child.pid,
    async stats() {
      const reply = next("stats");
      child.send({ type: "stats" });
      return (await reply).stats;
    },
    async stop() {
      const reply = next("stopped");
      child.send({ type: "stop" });
      const { stats } = await reply;
      await exited;
      return stats;
    },
  };
}

/** The same interface, but the emulator runs inside this process (client and server share a CPU). */
export async function startServerInProcess(options) {
  const { startEmulator } = await import("../../dist/emulator/index.js");
  const emu = await startEmulator(options);
  const stats = () => {
    const ru = process.resourceUsage();
    return { rss: process.memoryUsage().rss, maxRss: ru.maxRSS * 1024, cpuUserMs: ru.userCPUTime / 1000, cpuSystemMs: ru.systemCPUTime / 1000, objects: emu.destBuckets.reduce((n, b) => n + emu.objects(b).length, 0) };
  };
  return {
    info: { endpoint: emu.endpoint, region: emu.region, accessKeyId: emu.accessKeyId, secretAccessKey: emu.secretAccessKey, roleArn: emu.roleArn, sourceBucket: emu.sourceBucket, destBuckets: emu.destBuckets },
    pid: process.pid,
    stats: async () => stats(),
    async stop() {
      await emu.stop();
      return stats();
    },
  };
}
