#!/usr/bin/env node
// Emulator throughput benchmark: ListObjectsV2 + CopyObject mix through the AWS SDK v3 (keep-alive,
// maxSockets 64, 64 workers, role credentials) against `startEmulator` with zero latency; median of N
// runs, server CPU per request, peak RSS. The emulator runs in a child process by default (fairer on a
// small machine); --in-process puts client and server in one process. --clients N spreads the workers
// over N client processes (the SDK's own CPU cost is often the limit, not the server); --driver raw
// replaces the SDK by a minimal SigV4 client to show what the server alone can serve.
//
//   npm run build && node bench/emulator.mjs [--duration 10] [--runs 3] [--concurrency 64]
//        [--clients 1] [--driver sdk|raw] [--list-every 10] [--seed demo] [--in-process] [--log-limit N] [--cpu-prof] [--json]
import { fork } from "node:child_process";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { makeSender, median, mergeResults, runLoad } from "./lib/load.mjs";
import { startServerInProcess, startServerProcess } from "./lib/server-process.mjs";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values: a } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "64" },
    clients: { type: "string", default: "1" },
    driver: { type: "string", default: "sdk" },
    "list-every": { type: "string", default: "10" },
    seed: { type: "string", default: "demo" },
    "list-prefix": { type: "string", default: "2021/05/" },
    "copy-prefix": { type: "string", default: "2021/05/31/" },
    "log-limit": { type: "string" },
    "in-process": { type: "boolean", default: false },
    "cpu-prof": { type: "boolean", default: false },
    warmup: { type: "string", default: "2" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (a.help) {
  console.log(
    "usage: node bench/emulator.mjs [--duration s] [--runs n] [--concurrency n] [--clients n] [--driver sdk|raw]\n" +
      "         [--list-every n] [--seed demo|year:YYYY] [--in-process] [--log-limit n] [--cpu-prof] [--warmup s] [--json]",
  );
  process.exit(0);
}
const loadBefore = os.loadavg();
const durationMs = Number(a.duration) * 1000;
const runs = Number(a.runs);
const concurrency = Number(a.concurrency);
const clients = Math.max(1, Number(a.clients));
const listEvery = Number(a["list-every"]);
const options = { port: 0, seed: a.seed, faults: { latencyMs: 0 } };
if (a["log-limit"] !== undefined) options.requestLogLimit = Number(a["log-limit"]);

const profDir = join(os.tmpdir(), "flexcopy-bench-profiles");
const execArgv = a["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", profDir] : [];
const server = a["in-process"] ? await startServerInProcess(options) : await startServerProcess(options, { execArgv });
const { info } = server;
const load = { sourceBucket: info.sourceBucket, destBucket: info.destBuckets[0], listPrefix: a["list-prefix"], listEvery };

/** A load driver: runs in this process (clients = 1) or in N forked client processes. */
async function makeDriver() {
  if (clients === 1) {
    const { sender, keys } = await makeSender(a.driver, info, { maxSockets: concurrency, copyPrefix: a["copy-prefix"] });
    return {
      async run(ms, tag) {
        const cpu0 = process.cpuUsage();
        const res = await runLoad(sender, { ...load, keys, concurrency, durationMs: ms, tag });
        const cpu = process.cpuUsage(cpu0);
        return { ...res, clientCpuMs: (cpu.user + cpu.system) / 1000 };
      },
      clientPeakRss: async () => process.resourceUsage().maxRSS * 1024,
      close: async () => sender.destroy(),
    };
  }
  const file = fileURLToPath(new URL("./lib/client.mjs", import.meta.url));
  const per = Math.max(1, Math.floor(concurrency / clients));
  const procs = Array.from({ length: clients }, () => fork(file, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  const ask = (p, msg, type) =>
    new Promise((resolve) => {
      const on = (m) => {
        if (m?.type === type) {
          p.off("message", on);
          resolve(m);
        }
      };
      p.on("message", on);
      p.send(msg);
    });
  await Promise.all(procs.map((p) => ask(p, { type: "init", driver: a.driver, info, copyPrefix: a["copy-prefix"], load: { ...load, concurrency: per } }, "ready")));
  let peak = 0;
  return {
    async run(ms, tag) {
      const parts = (await Promise.all(procs.map((p, i) => ask(p, { type: "run", durationMs: ms, tag: `${tag}c${i}` }, "result")))).map((m) => m.result);
      peak = Math.max(peak, ...parts.map((p) => p.maxRss));
      return { ...mergeResults(parts), clientCpuMs: parts.reduce((s, p) => s + p.cpuMs, 0) };
    },
    clientPeakRss: async () => peak,
    close: async () => {
      for (const p of procs) p.send({ type: "exit" });
    },
  };
}

const driver = await makeDriver();
if (Number(a.warmup) > 0) await driver.run(Number(a.warmup) * 1000, "warmup");
const results = [];
for (let r = 1; r <= runs; r++) {
  const before = await server.stats();
  const res = await driver.run(durationMs, `run${r}`);
  const after = await server.stats();
  const serverCpuMs = after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs;
  res.serverCpuPct = (serverCpuMs / res.elapsedMs) * 100;
  res.serverCpuMsPerReq = serverCpuMs / Math.max(1, res.requests);
  if (a["in-process"]) res.clientCpuMs = 0; // one process: its whole CPU time is counted as the server's
  res.clientCpuPct = (res.clientCpuMs / res.elapsedMs) * 100;
  res.clientCpuMsPerReq = res.clientCpuMs / Math.max(1, res.requests);
  delete res.lat;
  results.push(res);
  if (!a.json) process.stderr.write(`run ${r}: ${res.rps.toFixed(0)} req/s (${res.requests} requests, ${res.errors} errors)\n`);
}
const clientPeakRss = await driver.clientPeakRss();
await driver.close();
const final = await server.stop();
if (a["cpu-prof"] && !a.json) process.stderr.write(`server CPU profile written to ${profDir}/\n`);

const summary = {
  mode: `${a.driver === "raw" ? "minimal SigV4 client" : "AWS SDK v3"}; ${a["in-process"] ? "client and server in one process" : `server in a child process, ${clients} client process${clients > 1 ? "es" : ""}`}`,
  driver: a.driver,
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? "?",
  durationS: durationMs / 1000,
  concurrency,
  clients,
  mix: `1 ListObjectsV2 per ${listEvery} CopyObject`,
  seed: a.seed,
  medianRps: median(results.map((r) => r.rps)),
  medianServerCpuMsPerReq: median(results.map((r) => r.serverCpuMsPerReq)),
  medianClientCpuMsPerReq: median(results.map((r) => r.clientCpuMsPerReq)),
  serverPeakRssMiB: final.maxRss / 2 ** 20,
  clientPeakRssMiB: clientPeakRss / 2 ** 20,
  loadBefore: loadBefore.map((l) => l.toFixed(2)).join(" "),
  loadAfter: os.loadavg().map((l) => l.toFixed(2)).join(" "),
  runs: results,
};

// What the CPU cost per request allows: the server alone on one core, and client + server on all cores.
summary.serverCoreCapacityRps = 1000 / summary.medianServerCpuMsPerReq;
summary.machineCapacityRps = (summary.cpus * 1000) / (summary.medianServerCpuMsPerReq + summary.medianClientCpuMsPerReq);

if (a.json) {
  console.log(JSON.stringify(summary));
} else {
  const f0 = (n) => n.toFixed(0);
  const f1 = (n) => n.toFixed(1);
  const f2 = (n) => n.toFixed(2);
  console.log(`\n### flexcopy emulator benchmark\n`);
  console.log(
    `${summary.mode}; ${summary.cpus} × ${summary.cpuModel}; Node ${summary.node}; ${concurrency} workers, keep-alive; ` +
      `${summary.mix}; seed ${summary.seed}; latency 0; ${summary.durationS} s per run after a ${a.warmup} s warm-up\n`,
  );
  console.log("| run | requests | req/s | ListObjectsV2 | CopyObject | errors | p50 ms | p99 ms | server CPU | client CPU |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  results.forEach((r, i) =>
    console.log(`| ${i + 1} | ${r.requests} | ${f0(r.rps)} | ${r.lists} | ${r.copies} | ${r.errors} | ${f1(r.p50)} | ${f1(r.p99)} | ${f0(r.serverCpuPct)}% | ${f0(r.clientCpuPct)}% |`),
  );
  console.log(`\n| median req/s | server CPU ms/req | client CPU ms/req | server capacity per core | client + server capacity on ${summary.cpus} cores | server peak RSS | client peak RSS |`);
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  console.log(
    `| **${f0(summary.medianRps)}** | ${f2(summary.medianServerCpuMsPerReq)} | ${f2(summary.medianClientCpuMsPerReq)} | ${f0(summary.serverCoreCapacityRps)} req/s | ${f0(summary.machineCapacityRps)} req/s | ${f0(summary.serverPeakRssMiB)} MiB | ${f0(summary.clientPeakRssMiB)} MiB |`,
  );
  console.log("\n(capacities = CPU time per request turned into requests/s: what an otherwise idle machine allows)");
  const errs = results.flatMap((r) => Object.entries(r.errorCodes));
  if (errs.length) console.log(`\nerrors: ${errs.map(([k, v]) => `${k}×${v}`).join(", ")}`);
  console.log(`\nload average before / after: ${summary.loadBefore} / ${summary.loadAfter} (other busy processes skew the figures)`);
}
