// Runs the cases of bench/flexcopy/cases.mjs: for each tool, N runs of the same copy against a fresh
// destination, verified after each run (every object present, every write with the ACL).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { startEmulatorProcess } from "./emu.mjs";
import { measure } from "./proc.mjs";
import { commandFor } from "./tools.mjs";

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The last `bytes` of a file (NDJSON summary lines are at the end; the file may be 100+ MB). */
function tail(file, bytes = 256 * 1024) {
  const size = statSync(file).size;
  const fd = openSync(file, "r");
  try {
    const n = Math.min(size, bytes);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    return buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function ndjsonEvents(text) {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

/** Bytes of the resume journal(s) flexcopy left in its state directory. */
function journalBytes(stateDir) {
  if (!existsSync(stateDir)) return 0;
  return readdirSync(stateDir)
    .filter((f) => f.includes(".journal"))
    .reduce((s, f) => s + statSync(join(stateDir, f)).size, 0);
}

const s3Requests = (v) => v.requests - (v.ops.AssumeRole ?? 0);

/** Why a run did not do the work, in one line. */
function failureReason(r, v, stderr) {
  const parts = [];
  if (r.stoppedAt !== undefined) parts.push("stopped at its first error");
  else if (r.signal) parts.push(`killed by ${r.signal}`);
  else if (r.code !== 0) parts.push(`exit ${r.code}`);
  if (v.missing && r.stoppedAt === undefined) parts.push(`${v.missing} of ${v.expected} objects missing`);
  if (v.wrongSize) parts.push(`${v.wrongSize} with the wrong size`);
  if (v.writesWithoutAcl) parts.push(`${v.writesWithoutAcl} writes without x-amz-acl ${"bucket-owner-full-control"}`);
  if (v.noGrant) parts.push(`${v.noGrant} objects not granting the bucket owner FULL_CONTROL`);
  const errs = Object.entries(v.errors).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${n}× ${k}`);
  if (errs.length) parts.push(`emulator answered ${errs.join(", ")}`);
  if (Object.keys(v.errors).some((k) => k.startsWith("HeadObject 403"))) {
    parts.push("(HeadObject on the destination bucket: the role may list and write there, not read)");
  }
  if (!v.missing && r.code !== 0 && r.stoppedAt === undefined) parts.push("(all objects did arrive, with the ACL)");
  const line = r.stoppedAt ?? stderr.split("\n").find((l) => /error|denied|forbidden|fail/i.test(l));
  return { summary: parts.join("; "), stderr: line ? line.trim().slice(0, 300) : "" };
}

/** One copy run of `tool`. Returns the measurements and the verification. */
async function copyRun(ctx, emu, c, tool, i, variant) {
  const home = join(ctx.tmp, `home-${c.id}-${tool}-${i}`);
  const job = { info: emu.info, creds: ctx.creds, selectors: c.selectors, prefix: c.prefix, home, extraArgs: variant?.extraArgs };
  const cmd = commandFor(tool, ctx.tools[tool], job);
  // A second run against the same bucket: where the variant before it settled (cases.mjs AUTO_VARIANTS)
  const carried = variant?.warm ? ctx.settled?.get(c.title) : undefined;
  if (carried) {
    mkdirSync(join(home, "state"), { recursive: true });
    for (const [f, text] of carried) writeFileSync(join(home, "state", f), text);
  }
  await emu.reset();
  const s0 = await emu.stats();
  const stdoutFile = join(ctx.tmp, `out-${c.id}-${tool}-${i}.txt`);
  const timeoutMs = Math.max(ctx.timeoutMs, (c.timeoutMin ?? 0) * 60_000);
  const r = await measure(cmd.cmd, cmd.args, { env: cmd.env, cwd: home, stdoutFile, timeoutMs, failOn: cmd.failOn });
  const s1 = await emu.stats();
  const v = await emu.verify([c.prefix]);
  const ok = r.code === 0 && v.complete && r.stoppedAt === undefined;
  const summary = tool === "flexcopy" ? ndjsonEvents(tail(stdoutFile)).find((e) => e.kind === "summary")?.summary : undefined;
  const res = {
    tool: variant?.label ?? tool,
    summary,
    inflightMax: v.inflightMax,
    ok,
    wallMs: r.wallMs,
    peakRss: r.peakRss,
    cpuMs: r.cpuMs,
    emuCpuMs: s1.cpuMs - s0.cpuMs,
    requests: s3Requests(v),
    objects: v.expected,
    bytes: v.srcBytes,
    ops: v.ops,
    errors: v.errors,
    journalBytes: c.journal && tool === "flexcopy" ? journalBytes(join(home, "state")) : undefined,
  };
  if (!ok) res.failure = failureReason(r, v, r.stderr);
  if (variant?.keepSettled && existsSync(join(home, "state"))) {
    const files = readdirSync(join(home, "state")).filter((f) => f.endsWith(".concurrency.json"));
    ctx.settled ??= new Map();
    ctx.settled.set(c.title, files.map((f) => [f, readFileSync(join(home, "state", f), "utf8")]));
  }
  if (variant?.warm && !carried) Object.assign(res, { ok: false, failure: { summary: "no settled value from the run before it", stderr: "" } });
  rmSync(stdoutFile, { force: true });
  rmSync(home, { recursive: true, force: true });
  return res;
}

function log(msg) {
  process.stderr.write(`${msg}\n`);
}

const fmtS = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Cases 1 and 2: every available tool copies the same prefix, `runs` times each. */
export async function runCopyCase(ctx, c) {
  log(`\n== ${c.title}`);
  const emu = await startEmulatorProcess({ seed: c.seed, requestLogLimit: 2_000_000, faults: c.faults, ...(c.emulator ?? {}) });
  const out = { case: c, tools: [] };
  try {
    ctx.creds = await assumeRole(emu.info, { RoleSessionName: "bench", DurationSeconds: 43200 });
    const entries = c.variants ?? ctx.toolOrder.map((tool) => ({ tool }));
    for (const variant of entries) {
      const tool = variant.tool;
      const t = ctx.tools[tool];
      if (!ctx.selected.has(tool)) continue;
      if (t.missing) {
        out.tools.push({ tool, skipped: t.missing });
        continue;
      }
      if (c.skipAfterFailure?.includes(tool) && ctx.failedBefore.has(tool) && !ctx.full) {
        out.tools.push({ tool, skipped: `not run: failed in case ${ctx.failedBefore.get(tool)} for the same reason (--full runs it anyway)` });
        continue;
      }
      const runs = ctx.runs ?? c.runsFor?.[tool] ?? c.runs;
      const results = [];
      for (let i = 0; i < runs; i++) {
        const res = await copyRun(ctx, emu, c, tool, i, variant.label ? variant : undefined);
        results.push(res);
        log(`  ${(variant.label ?? tool).padEnd(8)} run ${i + 1}/${runs}: ${res.ok ? "ok" : "FAILED"} ${fmtS(res.wallMs)}, ${res.requests} requests, peak RSS ${(res.peakRss / 2 ** 20).toFixed(0)} MiB, CPU ${fmtS(res.cpuMs)}${res.ok ? "" : ` — ${res.failure.summary}`}`);
        if (!res.ok) break; // a tool that fails the work is reported as failed, not timed
      }
      const failed = results.find((r) => !r.ok);
      if (failed) ctx.failedBefore.set(tool, ctx.failedBefore.get(tool) ?? c.id);
      out.tools.push({ tool: variant.label ?? tool, results, failed });
    }
  } finally {
    await emu.stop();
  }
  return out;
}

/** Case 3: `fetch --dry-run --json` and `fetch --json` with everything already copied, per set. */
export async function runListingCase(ctx, c) {
  log(`\n== ${c.title}`);
  const out = { case: c, sets: [] };
  if (!ctx.selected.has("flexcopy") || ctx.tools.flexcopy.missing) {
    out.skipped = ctx.tools.flexcopy.missing ?? "flexcopy not selected";
    return out;
  }
  const emu = await startEmulatorProcess({ seed: "none", requestLogLimit: 200_000, faults: c.faults });
  try {
    const t0 = performance.now();
    for (const s of c.sets) {
      for (const bucket of [emu.info.sourceBucket, emu.info.destBuckets[0]]) {
        await emu.request("generate", { bucket, prefixes: s.prefixes, perPrefix: s.perPrefix, size: c.size });
      }
    }
    const st = await emu.stats();
    log(`  emulator: ${c.sets.map((s) => s.total).join(" + ")} objects in source and destination in ${fmtS(performance.now() - t0)} (emulator RSS ${(st.rss / 2 ** 20).toFixed(0)} MiB)`);
    for (const s of c.sets) {
      const modes = [
        { mode: "dry-run", extra: ["--dry-run"] },
        { mode: "all skipped", extra: [] },
      ];
      for (const m of modes) {
        const results = [];
        for (let i = 0; i < (ctx.runs ?? s.runs); i++) {
          const home = join(ctx.tmp, `home-3-${s.year}-${i}`);
          const cmd = commandFor("flexcopy", ctx.tools.flexcopy, { info: emu.info, selectors: [s.year], home, extraArgs: m.extra });
          await emu.request("clearLog");
          const stdoutFile = join(ctx.tmp, `out-3-${s.year}-${i}.txt`);
          const r = await measure(cmd.cmd, cmd.args, { env: cmd.env, cwd: home, stdoutFile, timeoutMs: ctx.timeoutMs });
          const v1 = await emu.request("log");
          const events = ndjsonEvents(tail(stdoutFile));
          const plan = events.find((e) => e.kind === "plan");
          const summary = events.find((e) => e.kind === "summary")?.summary;
          // a real run emits its plan mid-stream (planning runs beside the copy): count the summary instead
          const listed = plan?.objects ?? (summary ? summary.copied + summary.skipped + summary.failed : NaN);
          let ok = r.code === 0 && listed === s.total;
          let failure;
          if (m.mode === "all skipped") ok = ok && summary?.skipped === s.total && summary?.copied === 0;
          const writes = v1.writes;
          if (writes !== 0) ok = false;
          if (!ok) failure = `exit ${r.code}; plan ${JSON.stringify(plan)}; summary ${JSON.stringify(summary)}; writes ${writes}; ${r.stderr.split("\n").slice(-3).join(" ")}`.slice(0, 500);
          const requests = s3Requests(v1);
          const lists = v1.ops.ListObjectsV2 ?? 0;
          const res = { ok, failure, wallMs: r.wallMs, peakRss: r.peakRss, cpuMs: r.cpuMs, requests, lists, listed, summary };
          results.push(res);
          log(`  ${s.total.toLocaleString("en-US").padStart(9)} ${m.mode.padEnd(11)} run ${i + 1}: ${ok ? "ok" : "FAILED"} ${fmtS(r.wallMs)}, ${lists} ListObjectsV2, peak RSS ${(r.peakRss / 2 ** 20).toFixed(0)} MiB, CPU ${fmtS(r.cpuMs)}${ok ? "" : ` — ${failure}`}`);
          rmSync(stdoutFile, { force: true });
          rmSync(home, { recursive: true, force: true });
          if (!ok) break;
        }
        out.sets.push({ set: s, mode: m.mode, results });
      }
    }
  } finally {
    await emu.stop();
  }
  return out;
}

export function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}
