// Benchmark emulator process for `npm run bench` (bench/run.mjs). Runs startEmulator() from dist/ in its
// own process so the tools under test never share an event loop with it. Started with fork(); options
// arrive as JSON in argv[2]. Talks over IPC: every request {id, type, ...} gets one reply {id, ok, ...}.
//
//   generate  {bucket, prefixes: ["2023/01/04/", …], perPrefix, size}   declare virtual objects in key order
//   mirror    {prefixes}                         copy the source's objects under prefixes into the dest as
//                                                 the bucket owner (same key and size => same ETag: "all exist")
//   faults    {faults}                           setFaults (latencyMs, copyRateBytesPerSec, timeScale)
//   reset     {}                                  empty the destination bucket(s) and the request log
//   verify    {prefixes}                         completeness of the destination + ACL of every write (log)
//   log       {}                                  request counts of the log (by op, errors, ACL of writes)
//   clearLog  {}
//   stats     {}                                  CPU time and peak RSS of this process
//   stop      {}
import { startEmulator } from "../../dist/emulator/index.js";

const options = JSON.parse(process.argv[2] ?? "{}");
const emu = await startEmulator(options);
const REQUIRED_ACL = "bucket-owner-full-control";
/** Operations that create an object (or an upload that becomes one): each must carry the ACL. */
const WRITES = new Set(["CopyObject", "PutObject", "CreateMultipartUpload"]);

function stats() {
  const ru = process.resourceUsage();
  return { cpuMs: (ru.userCPUTime + ru.systemCPUTime) / 1000, maxRss: ru.maxRSS * 1024, rss: process.memoryUsage().rss };
}

const pad = (n, w) => String(n).padStart(w, "0");

function generate({ bucket, prefixes, perPrefix, size }) {
  let n = 0;
  for (const p of prefixes) {
    // "2023/01/04/" -> 2023/01/04/20230104_1_000001.pcap.gz … (zero-padded: inserted in key order)
    const stem = p.replace(/\//g, "").slice(-8);
    for (let i = 1; i <= perPrefix; i++) {
      emu.putObject(bucket, `${p}${stem}_1_${pad(i, 6)}.pcap.gz`, size, { contentType: "application/gzip" });
      n++;
    }
  }
  return { count: n };
}

function under(prefixes) {
  return (key) => prefixes.some((p) => key.startsWith(p));
}

function mirror({ prefixes }) {
  const inScope = under(prefixes);
  const dest = emu.destBuckets[0];
  let n = 0;
  for (const o of emu.objects(emu.sourceBucket)) {
    if (!inScope(o.key)) continue;
    emu.putObject(dest, o.key, o.size, { contentType: o.contentType });
    n++;
  }
  return { count: n };
}

function reset() {
  for (const b of emu.destBuckets) for (const o of emu.objects(b)) emu.deleteObject(b, o.key);
  emu.clearLog();
  return {};
}

/**
 * Is the work done? Every source object under `prefixes` is in the destination with the same size and
 * grants the destination's owner FULL_CONTROL, nothing else appeared, and every successful write in the
 * request log carried x-amz-acl: bucket-owner-full-control. Also counts requests by operation.
 */
function verify({ prefixes }) {
  const inScope = under(prefixes);
  const dest = emu.destBuckets[0];
  const src = new Map();
  let srcBytes = 0;
  for (const o of emu.objects(emu.sourceBucket)) {
    if (!inScope(o.key)) continue;
    src.set(o.key, o.size);
    srcBytes += o.size;
  }
  let present = 0;
  let wrongSize = 0;
  let noGrant = 0;
  let extra = 0;
  for (const o of emu.objects(dest)) {
    const size = src.get(o.key);
    if (size === undefined) {
      extra++;
      continue;
    }
    present++;
    if (o.size !== size) wrongSize++;
    if (o.owner !== emu.accountId && !o.grants.some((g) => g.grantee === emu.accountId && g.permission === "FULL_CONTROL")) noGrant++;
  }
  const log = logStats();
  const missing = src.size - present;
  const complete = missing === 0 && wrongSize === 0 && noGrant === 0 && log.writesWithoutAcl === 0;
  return { complete, expected: src.size, srcBytes, present, missing, wrongSize, noGrant, extra, ...log };
}

/** Requests in the log by operation, errors, and writes with / without the ACL. */
function logStats() {
  const ops = {};
  const errors = {};
  let requests = 0;
  let writes = 0;
  let writesWithoutAcl = 0;
  for (const e of emu.requestLog()) {
    requests++;
    ops[e.op] = (ops[e.op] ?? 0) + 1;
    if (e.status >= 300) {
      const k = `${e.op} ${e.status}${e.code ? ` ${e.code}` : ""}`;
      errors[k] = (errors[k] ?? 0) + 1;
    }
    if (WRITES.has(e.op) && e.status < 300) {
      writes++;
      if (e.acl !== REQUIRED_ACL) writesWithoutAcl++;
    }
  }
  return { requests, writes, writesWithoutAcl, ops, errors, inflightMax: emu.inflight().max };
}

const handlers = {
  generate,
  mirror,
  reset,
  verify,
  log: () => logStats(),
  clearLog: () => (emu.clearLog(), {}),
  faults: ({ faults }) => (emu.setFaults(faults), {}),
  stats: () => stats(),
};

process.on("message", async (msg) => {
  if (!msg || typeof msg !== "object") return;
  if (msg.type === "stop") {
    await emu.stop();
    process.send?.({ id: msg.id, ok: true, ...stats() }, () => process.exit(0));
    return;
  }
  try {
    const h = handlers[msg.type];
    if (!h) throw new Error(`unknown request ${msg.type}`);
    process.send?.({ id: msg.id, ok: true, ...h(msg) });
  } catch (err) {
    process.send?.({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
process.on("disconnect", () => process.exit(0));
process.send?.({
  type: "ready",
  info: {
    endpoint: emu.endpoint,
    region: emu.region,
    accessKeyId: emu.accessKeyId,
    secretAccessKey: emu.secretAccessKey,
    accountId: emu.accountId,
    roleArn: emu.roleArn,
    sourceBucket: emu.sourceBucket,
    destBuckets: emu.destBuckets,
  },
});
