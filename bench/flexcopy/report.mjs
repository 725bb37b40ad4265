// Markdown tables of the results (medians of the successful runs).
import { readFileSync } from "node:fs";
import os from "node:os";
import { median } from "./bench.mjs";

const MiB = 2 ** 20;
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const sec = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : "–");
const mib = (b) => (Number.isFinite(b) ? `${Math.round(b / MiB)} MiB` : "–");

export const TOOL_NAMES = { flexcopy: "flexcopy fetch", aws1: "aws s3 cp (CLI v1)", aws2: "aws s3 cp (CLI v2)", rclone: "rclone copy" };

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
  for (const [k, t] of Object.entries(tools)) lines.push(`- ${TOOL_NAMES[k] ?? k}: ${t.missing ? `**missing** — ${t.missing}` : `${t.version} (\`${t.bin}\`)`}`);
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
    "objects/s", "MB/s (modelled)", "requests", "requests/s (wall)", "peak RSS", "tool CPU", "emulator CPU", "result",
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
