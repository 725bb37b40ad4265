// Markdown tables of the results (medians of the successful runs).
import { readFileSync } from "node:fs";
import os from "node:os";
import { median } from "./bench.mjs";

const MiB = 2 ** 20;
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const sec = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "–");
const mib = (b) => (Number.isFinite(b) ? `${Math.round(b / MiB)} MiB` : "–");

export const TOOL_NAMES = {
  flexcopy: "flexcopy fetch",
  aws1: "aws s3 cp (CLI v1)",
  aws2: "aws s3 cp (CLI v2)",
  rclone: "rclone copy (defaults)",
  rcloneTuned: "rclone copy (tuned)",
};

export function machine(tools) {
  let cpu = os.cpus()[0]?.model ?? "unknown CPU";
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  const lines = [
    `- date: ${new Date().toISOString()}`,
    `- machine: \`nproc\` = ${os.availableParallelism?.() ?? os.cpus().length} (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}`,
    `- node ${process.version}`,
  ];
  for (const [k, t] of Object.entries(tools)) if (k !== "rcloneTuned") lines.push(`- ${TOOL_NAMES[k] ?? k}: ${t.missing ? `**missing** — ${t.missing}` : `${t.version} (\`${t.bin}\`)`}`);
  return lines.join("\n");
}

function modelLine(faults) {
  const rate = faults.copyRateBytesPerSec ? `${faults.copyRateBytesPerSec / 1e6} MB/s per copy request` : "no copy-rate limit";
  return `model: latency ${faults.latencyMs} ms per request, ${rate}, timeScale ${faults.timeScale}`;
}

/** Cases 1 and 2. */
export function copyTable(out) {
  const c = out.case;
  const T = c.faults.timeScale;
  const scaled = T !== 1;
  const head = [
    "tool", "runs", "wall (median)", ...(scaled ? ["modelled time"] : []),
    "objects/s", "MB/s (modelled)", "requests", "requests/s (wall)", "peak RSS", "tool CPU", "CPU per 1,000 requests", "emulator CPU", "result",
  ];
  const rows = [];
  const notes = [];
  for (const t of out.tools) {
    const name = TOOL_NAMES[t.tool] ?? t.tool;
    if (t.skipped) {
      rows.push([name, "0", ...head.slice(2, -1).map(() => "–"), `skipped: ${t.skipped}`]);
      continue;
    }
    const ok = t.results.filter((r) => r.ok);
    if (t.failed) {
      const r = t.failed;
      rows.push([name, String(t.results.length), ...head.slice(2, -1).map(() => "–"), `**failed**: ${r.failure.summary}`]);
      notes.push(`${name} failed after ${sec(r.wallMs)} (not timed)${r.failure.stderr ? `; its first error: \`${r.failure.stderr.replace(/`/g, "'")}\`` : ""}`);
      continue;
    }
    const wall = median(ok.map((r) => r.wallMs));
    const model = wall * T;
    const r0 = ok[0];
    const req = median(ok.map((r) => r.requests));
    const cpu = median(ok.map((r) => r.cpuMs / r.wallMs));
    const emuCpu = median(ok.map((r) => r.emuCpuMs / r.wallMs));
    const ops = Object.entries(r0.ops).filter(([k]) => k !== "AssumeRole").map(([k, n]) => `${n} ${k}`).join(", ");
    notes.push(`${name}: ${ops}; walls ${ok.map((r) => sec(r.wallMs)).join(", ")}`);
    rows.push([
      name,
      String(ok.length),
      sec(wall),
      ...(scaled ? [sec(model)] : []),
      f1(r0.objects / (model / 1000)),
      f1(r0.bytes / 1e6 / (model / 1000)),
      f0(req),
      f0(req / (wall / 1000)),
      mib(median(ok.map((r) => r.peakRss))),
      `${Math.round(cpu * 100)} %`,
      sec(median(ok.map((r) => (r.cpuMs / r.requests) * 1000))),
      `${Math.round(emuCpu * 100)} %`,
      "ok",
    ]);
  }
  const table = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  return `### ${c.title}\n\n${modelLine(c.faults)}; \`flexcopy fetch ${c.selectors.join(" ")}\` vs the prefix \`${c.prefix}\`\n\n${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`;
}

/** Case 3. */
export function listingTable(out) {
  const c = out.case;
  if (out.skipped) return `### ${c.title}\n\nskipped: ${out.skipped}\n`;
  const head = ["objects", "run", "runs", "wall (median)", "objects listed/s", "ListObjectsV2", "requests/s", "peak RSS", "CPU", "result"];
  const rows = [];
  const rss = {};
  for (const s of out.sets) {
    const ok = s.results.filter((r) => r.ok);
    const label = s.mode === "dry-run" ? "`fetch --dry-run --json`" : "`fetch --json` (all skipped)";
    if (ok.length < s.results.length) {
      const r = s.results.find((x) => !x.ok);
      rows.push([f0(s.set.total), label, String(s.results.length), ...head.slice(3, -1).map(() => "–"), `**failed**: ${r.failure}`]);
      continue;
    }
    const wall = median(ok.map((r) => r.wallMs));
    const peak = median(ok.map((r) => r.peakRss));
    (rss[s.mode] ??= []).push({ total: s.set.total, peak });
    rows.push([
      f0(s.set.total),
      label,
      String(ok.length),
      sec(wall),
      f0(s.set.total / (wall / 1000)),
      f0(median(ok.map((r) => r.lists))),
      f0(median(ok.map((r) => r.requests / (r.wallMs / 1000)))),
      mib(peak),
      `${Math.round(median(ok.map((r) => r.cpuMs / r.wallMs)) * 100)} %`,
      "ok",
    ]);
  }
  const ratios = Object.entries(rss)
    .filter(([, v]) => v.length === 2)
    .map(([mode, [a, b]]) => `${mode}: peak RSS ×${(b.peak / a.peak).toFixed(2)} for ×${b.total / a.total} the objects`);
  const table = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  return `### ${c.title}\n\n${modelLine(c.faults)}; 1 MB virtual objects\n\n${table}\n\n${ratios.map((r) => `- ${r}`).join("\n")}\n`;
}

/** "targets met" or which were missed and by how much (modelled seconds, share of the ideal, bytes of RSS). */
function targetsLine(t, { model, pctIdeal, peakRss, failed }) {
  const checks = [
    [model / 60 <= t.modelMinutes, `${(model / 60).toFixed(1)} modelled min (target ≤ ${t.modelMinutes}${model / 60 > t.modelMinutes ? `: ${((model / 60 / t.modelMinutes - 1) * 100).toFixed(1)} % over` : ""})`],
    [pctIdeal >= t.pctIdeal, `${(pctIdeal * 100).toFixed(1)} % of the ideal (target ≥ ${t.pctIdeal * 100} %${pctIdeal < t.pctIdeal ? `: ${((t.pctIdeal - pctIdeal) * 100).toFixed(1)} points short` : ""})`],
    [peakRss <= t.peakRssBytes, `peak RSS ${(peakRss / 1e6).toFixed(0)} MB (target ≤ ${t.peakRssBytes / 1e6} MB${peakRss > t.peakRssBytes ? `: ${((peakRss / t.peakRssBytes - 1) * 100).toFixed(0)} % over` : ""})`],
    [failed === 0, `${failed} failed objects (target 0)`],
  ];
  const missed = checks.filter(([ok]) => !ok).length;
  return `${missed === 0 ? "**targets met**" : `**${missed} of ${checks.length} targets missed**`}: ${checks.map(([ok, text]) => `${ok ? "✓" : "✗"} ${text}`).join("; ")}`;
}

/** One run's figures against the model (see `modelTable`). */
function runMetrics(c, r) {
  const T = c.faults.timeScale;
  const L = c.faults.latencyMs / 1000;
  const R = c.faults.copyRateBytesPerSec;
  const work = Object.entries(r.ops).filter(([k]) => k !== "AssumeRole" && !k.startsWith("List")).reduce((s, [, n]) => s + n, 0);
  const errors = Object.entries(r.errors).filter(([k]) => !k.startsWith("List")).reduce((s, [, n]) => s + n, 0);
  const slow = Object.entries(r.errors).filter(([k]) => k.includes("SlowDown")).reduce((s, [, n]) => s + n, 0);
  const busy = (work - errors) * L + (R ? r.bytes / R : 0); // modelled request-seconds
  const model = (r.wallMs / 1000) * T;
  const conc = r.summary?.concurrency?.peak ?? NaN;
  // "run only": the engine's own elapsed time (listing included; process start, AssumeRole and the policy read not)
  const runModel = ((r.summary?.elapsedMs ?? NaN) / 1000) * T;
  // a rate limit: the writes made over the run at `rateCapacity` a second (cases.mjs rateCase)
  const writes = work - errors;
  const pctCap = c.capacity ? busy / c.capacity / model : c.rateCapacity ? writes / c.rateCapacity / model : NaN;
  const pctCapRun = c.capacity ? busy / c.capacity / runModel : c.rateCapacity ? writes / c.rateCapacity / runModel : NaN;
  return { model, conc, pctIdeal: busy / conc / model, pctCap, pctCapRun, slow: slow / work, slowN: slow, work, r };
}

/** Issue 18's targets for `auto` at every capacity: share of the capacity's throughput, SlowDown share, failures. */
export const PUSHBACK_TARGETS = { share: 0.9, slowDown: 0.02 };

/**
 * The push-back table: one row per capacity or rate (the `capacityCase` / `rateCase` outputs), the fixed
 * reference beside `auto`'s first and second runs, and whether `auto` met the targets in both.
 */
export function pushbackTable(outs) {
  const head = ["S3's limit", "fixed at the capacity", "auto, first run", "auto, second run", "SlowDown (first / second)", "failed objects", "concurrency reached", "targets"];
  const rows = [];
  for (const out of outs) {
    const c = out.case;
    const limit = c.rateCapacity ? `${c.rateCapacity} writes/s per prefix` : c.faults.maxInflight > 0 ? `${c.capacity} in flight` : `none (${c.capacity} = --max-concurrency)`;
    const pick = (re) => out.tools.find((t) => re.test(t.tool ?? ""));
    const one = (t) => (t && !t.failed && !t.skipped && t.results[0] ? runMetrics(c, t.results[0]) : undefined);
    const fixed = one(pick(/fixed/));
    const first = one(pick(/first run/));
    const second = one(pick(/second run/));
    const pct = (x) => (x ? `${Math.round(x.pctCap * 100)} %` : "–");
    const failed = [first, second].map((x) => (x ? (x.r.summary?.failed ?? NaN) : NaN));
    const met = [first, second].every((x) => x && x.pctCap >= PUSHBACK_TARGETS.share && x.slow <= PUSHBACK_TARGETS.slowDown && (x.r.summary?.failed ?? 1) === 0);
    rows.push([
      limit,
      c.rateCapacity ? "–" : pct(fixed),
      pct(first),
      pct(second),
      [first, second].map((x) => (x ? `${(x.slow * 100).toFixed(2)} %` : "–")).join(" / "),
      failed.map(f0).join(" / "),
      [first, second].map((x) => (x ? f0(x.conc) : "–")).join(" / "),
      met ? "✓" : "**✗**",
    ]);
  }
  const table = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  return `### Push-back at every capacity (case 5, issue 18's table)\n\nShare of the capacity's throughput over the whole process (modelled work ÷ capacity ÷ wall time; for a rate, the writes made ÷ the rate ÷ wall time), one run each; targets for \`auto\`: ≥ ${PUSHBACK_TARGETS.share * 100} % and ≤ ${PUSHBACK_TARGETS.slowDown * 100} % of copy requests answered SlowDown, no failed object, in both runs. The sections below have each run's detail.\n\n${table}\n`;
}

/**
 * Cases 4, 5 and 6, against the model: the ideal modelled time for C requests in flight is the sum of every
 * successful non-listing request's modelled time (latency + bytes / copy rate) divided by C.
 */
export function modelTable(out) {
  const c = out.case;
  const head = [
    "run", "runs", "wall (median)", "modelled time", "concurrency reached", "max in flight (emulator)", "% of ideal for it",
    ...(c.capacity || c.rateCapacity ? ["% of capacity's throughput", "same, run only", "SlowDown share"] : []),
    "MB/s (modelled)", "failed objects", "peak RSS", ...(c.journal ? ["journal"] : []), "tool CPU", "CPU per 1,000 requests", "emulator CPU", "result",
  ];
  const rows = [];
  const notes = [];
  for (const t of out.tools) {
    if (t.skipped) {
      rows.push([t.tool, "0", ...head.slice(2, -1).map(() => "–"), `skipped: ${t.skipped}`]);
      continue;
    }
    if (t.failed) {
      rows.push([t.tool, String(t.results.length), ...head.slice(2, -1).map(() => "–"), `**failed**: ${t.failed.failure.summary}`]);
      continue;
    }
    const ok = t.results;
    const per = ok.map((r) => runMetrics(c, r));
    const m = (f) => median(per.map(f));
    rows.push([
      t.tool,
      String(ok.length),
      sec(median(ok.map((r) => r.wallMs))),
      m((p) => p.model) >= 120 ? `${(m((p) => p.model) / 60).toFixed(1)} min` : `${m((p) => p.model).toFixed(1)} s`,
      f0(m((p) => p.conc)),
      f0(m((p) => p.r.inflightMax)),
      `${Math.round(m((p) => p.pctIdeal) * 100)} %`,
      ...(c.capacity || c.rateCapacity ? [`${Math.round(m((p) => p.pctCap) * 100)} %`, `${Math.round(m((p) => p.pctCapRun) * 100)} %`, `${(m((p) => p.slow) * 100).toFixed(2)} %`] : []),
      f1(m((p) => p.r.bytes / 1e6 / p.model)),
      f0(m((p) => p.r.summary?.failed ?? NaN)),
      mib(median(ok.map((r) => r.peakRss))),
      ...(c.journal ? [`${f1(median(ok.map((r) => r.journalBytes)) / MiB)} MiB`] : []),
      `${Math.round(median(ok.map((r) => r.cpuMs / r.wallMs)) * 100)} %`,
      sec(median(ok.map((r) => (r.cpuMs / r.requests) * 1000))),
      `${Math.round(median(ok.map((r) => r.emuCpuMs / r.wallMs)) * 100)} %`,
      "ok",
    ]);
    if (c.targets) notes.push(`${t.tool}: ${targetsLine(c.targets, { model: m((p) => p.model), pctIdeal: m((p) => p.pctIdeal), peakRss: median(ok.map((r) => r.peakRss)), failed: m((p) => p.r.summary?.failed ?? NaN) })}`);
    const r0 = ok[0];
    notes.push(`${t.tool}: ${Object.entries(r0.ops).filter(([k]) => k !== "AssumeRole").map(([k, n]) => `${n} ${k}`).join(", ")}; errors ${JSON.stringify(r0.errors)}; back-offs ${r0.summary?.concurrency?.backoffs ?? "–"}; walls ${ok.map((r) => sec(r.wallMs)).join(", ")}`);
  }
  const table = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  const cap = c.capacity ? `, capacity ${c.capacity} writes in flight (\`maxInflight\`)` : "";
  return `### ${c.title}\n\n${modelLine(c.faults)}${cap}; \`flexcopy fetch ${c.selectors.join(" ")}\`\n\n${table}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`;
}
