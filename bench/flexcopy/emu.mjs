// Parent side of bench/flexcopy/server.mjs: fork the emulator process, wait for it, send it requests.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("./server.mjs", import.meta.url));

export async function startEmulatorProcess(options) {
  const child = fork(SERVER, [JSON.stringify(options)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // 1M + 1M virtual objects need more than the default old-space limit.
    execArgv: ["--max-old-space-size=8192"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  let nextId = 1;
  const pending = new Map();
  let onReady;
  const ready = new Promise((resolve) => (onReady = resolve));
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  child.on("message", (msg) => {
    if (msg?.type === "ready") return onReady(msg.info);
    const p = pending.get(msg?.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg);
    else p.reject(new Error(`emulator: ${msg.error}`));
  });
  exited.then((code) => {
    for (const p of pending.values()) p.reject(new Error(`emulator process exited (${code})`));
    pending.clear();
  });
  const info = await Promise.race([
    ready,
    exited.then((code) => Promise.reject(new Error(`emulator process exited with ${code} before it was ready (run "npm run build" first)`))),
  ]);
  const request = (type, body = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, type, ...body });
    });
  return {
    info,
    pid: child.pid,
    request,
    setFaults: (faults) => request("faults", { faults }),
    reset: () => request("reset"),
    verify: (prefixes) => request("verify", { prefixes }),
    stats: () => request("stats"),
    async stop() {
      try {
        await Promise.race([request("stop"), new Promise((r) => setTimeout(r, 5000))]);
      } catch {
        // already gone
      }
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
