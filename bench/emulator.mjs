#!/usr/bin/env node
// Emulator throughput benchmark: ListObjectsV2 + CopyObject mix through the AWS SDK v3 (keep-alive,
// maxSockets 64, 64 workers) against `startEmulator` with zero latency, median of N runs, peak RSS.
// The emulator runs in a child process by default (fair on a small machine); --in-process shares one.
//
//   npm run build && node bench/emulator.mjs [--duration 10] [--runs 3] [--concurrency 64]
//        [--list-every 10] [--seed demo] [--in-process] [--log-limit N] [--cpu-prof] [--json]
import os from "node:os";
import { parseArgs } from "node:util";
import { median, roleClient, runLoad, sourceKeys } from "./lib/load.mjs";
import { startServerInProcess, startServerProcess } from "./lib/server-process.mjs";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values: a } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "64" },
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
  console.log("usage: node bench/emulator.mjs [--duration s] [--runs n] [--concurrency n] [--list-every n] [--seed demo|year:YYYY] [--in-process] [--log-limit n] [--cpu-prof] [--json]");
  process.exit(0);
}
const durationMs = Number(a.duration) * 1000;
const runs = Number(a.runs);
const concurrency = Number(a.concurrency);
const listEvery = Number(a["list-every"]);
const options = { port: 0, seed: a.seed, faults: { latencyMs: 0 } };
if (a["log-limit"] !== undefined) options.requestLogLimit = Number(a["log-limit"]);

const execArgv = a["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", "bench/profiles"] : [];
const server = a["in-process"] ? await startServerInProcess(options) : await startServerProcess(options, { execArgv });
const { info } = server;
const s3 = await roleClient(info, { maxSockets: concurrency });
const keys = await sourceKeys(s3, info.sourceBucket, a["copy-prefix"]);
const load = { sourceBucket: info.sourceBucket, destBucket: info.destBuckets[0], keys, listPrefix: a["list-prefix"], concurrency, listEvery };

if (Number(a.warmup) > 0) await runLoad(s3, { ...load, durationMs: Number(a.warmup) * 1000, tag: "warmup" });
const results = [];
const cpu0 = process.cpuUsage();
for (let r = 1; r <= runs; r++) {
  const before = await server.stats();
  const res = await runLoad(s3, { ...load, durationMs, tag: `run${r}` });
  const after = await server.stats();
  res.serverCpuPct = ((after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs) / res.elapsedMs) * 100;
  results.push(res);
  if (!a.json) process.stderr.write(`run ${r}: ${res.rps.toFixed(0)} req/s (${res.requests} requests, ${res.errors} errors)\n`);
}
const clientCpu = process.cpuUsage(cpu0);
const final = await server.stop();
s3.destroy();

const summary = {
  mode: a["in-process"] ? "in-process" : "server in a child process",
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? "?",
  durationS: durationMs / 1000,
  concurrency,
  mix: `1 ListObjectsV2 per ${listEvery} CopyObject`,
  seed: a.seed,
  medianRps: median(results.map((r) => r.rps)),
  serverPeakRssMiB: final.maxRss / 2 ** 20,
  clientPeakRssMiB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
  clientCpuPct: ((clientCpu.user + clientCpu.system) / 1000 / results.reduce((s, r) => s + r.elapsedMs, 0)) * 100,
  runs: results,
};

if (a.json) {
  console.log(JSON.stringify(summary));
} else {
  const f0 = (n) => n.toFixed(0);
  const f1 = (n) => n.toFixed(1);
  console.log(`\n### flexcopy emulator benchmark\n`);
  console.log(`${summary.mode}; ${summary.cpus} × ${summary.cpuModel}; Node ${summary.node}; ${concurrency} workers, keep-alive (maxSockets ${concurrency}); ${summary.mix}; seed ${summary.seed}; latency 0; ${summary.durationS} s per run\n`);
  console.log("| run | requests | req/s | ListObjectsV2 | CopyObject | errors | p50 ms | p99 ms | server CPU |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  results.forEach((r, i) => console.log(`| ${i + 1} | ${r.requests} | ${f0(r.rps)} | ${r.lists} | ${r.copies} | ${r.errors} | ${f1(r.p50)} | ${f1(r.p99)} | ${f0(r.serverCpuPct)}% |`));
  console.log(`\n| median req/s | server peak RSS | client peak RSS | client CPU |`);
  console.log("| ---: | ---: | ---: | ---: |");
  console.log(`| **${f0(summary.medianRps)}** | ${f0(summary.serverPeakRssMiB)} MiB | ${f0(summary.clientPeakRssMiB)} MiB | ${f0(summary.clientCpuPct)}% |`);
  const errs = results.flatMap((r) => Object.entries(r.errorCodes));
  if (errs.length) console.log(`\nerrors: ${errs.map(([k, v]) => `${k}×${v}`).join(", ")}`);
}
