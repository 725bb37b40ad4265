#!/usr/bin/env node
// `npm run bench`: flexcopy against `aws s3 cp` (AWS CLI v1 and v2) and `rclone copy`, all doing the same
// server-side copy against the FLEX emulator with a latency / per-request copy-rate model, plus a
// 1,000,000-object listing case for flexcopy's memory. See docs/benchmarks.md.
//
//   npm run bench                       # all cases, ~15 minutes; writes bench/results.md
//   npm run bench -- --quick            # smoke run, ~2 minutes; writes bench/results-quick.md
//   node bench/run.mjs --cases 1,3 --tools flexcopy,aws1 --runs 1 --out /tmp/r.md
//
// The emulator runs in its own process (bench/flexcopy/server.mjs); each tool is a child process whose
// peak RSS (VmHWM) and CPU time are sampled from /proc. After every run the destination is checked
// (every object present with the source's size, every write carrying bucket-owner-full-control); a tool
// that fails the work is reported as failed, not timed. Missing tools are reported and skipped.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runCopyCase, runListingCase } from "./flexcopy/bench.mjs";
import { archiveCase, capacityCase, flexDaysCase, listingCase, pushbackCase, rateCase, smallObjectsCase, yearCase } from "./flexcopy/cases.mjs";
import { copyTable, listingTable, machine, modelTable, pushbackTable } from "./flexcopy/report.mjs";
import { detectTools } from "./flexcopy/tools.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TOOLS = ["flexcopy", "aws1", "aws2", "rclone", "rcloneTuned"];
/** Case 5's push-back table by default (issue 18): these capacities in flight and these rates. */
const DEFAULT_CAPACITIES = "10,20,40,100,200,400,none";
const DEFAULT_RATES = "100,400";

const { values: a } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    cases: { type: "string", default: "1,2,3,4,5,6" },
    tools: { type: "string", default: TOOLS.join(",") },
    runs: { type: "string" },
    full: { type: "boolean", default: false },
    out: { type: "string" },
    "timeout-min": { type: "string", default: "10" },
    capacities: { type: "string" },
    rates: { type: "string" },
    rounds: { type: "string", default: "50" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (a.help) {
  console.log(
    "usage: node bench/run.mjs [--quick] [--cases 1,2,3,4,5,6] [--tools flexcopy,aws1,aws2,rclone,rcloneTuned] [--runs n] [--full] [--out file] [--timeout-min 10] [--capacities 10,20,40,100,200,400,none] [--rates 100,400] [--rounds 50]\n" +
      "  cases: 1 small objects, 2 FLEX days, 3 listing, 4 the year 2023 (FLEXCOPY_BENCH_POLICY=multipart|manual), 5 push-back,\n" +
      "         6 the whole archive 2010–2023 (19.39 TB, ~9 min). All six: about an hour; case 5's push-back table is ~35 min of it\n" +
      "  case 5 runs fixed 64 vs auto at a capacity of 48, then the push-back table: --capacities and --rates (defaults below);\n" +
      "  either option alone runs only that part of the table\n" +
      `  --capacities  --max-inflight capacities ("none": no limit; default ${DEFAULT_CAPACITIES}), each on a job sized to it:\n` +
      "                a fixed limit at the capacity, then auto's first run and a second one from the first's settled value\n" +
      `  --rates       --max-rate limits (writes per second per day prefix; default ${DEFAULT_RATES}): auto's first and second\n` +
      "                runs on a minute's worth of small objects in one day folder\n" +
      "  --rounds n    the capacities' jobs last n round trips at the capacity, and at least a minute (default 50;\n" +
      "                the unit simulation's runs are 100): a first run's climb is a fixed cost in seconds\n" +
      "  --quick   small cases, one run each (a smoke test; writes bench/results-quick.md)\n" +
      "  --full    also run a tool in case 2 that already failed case 1 (rclone)\n" +
      "  --runs n  runs per tool and case (default 3; slow/failing tools fewer, as the results say)",
  );
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), "flexcopy-bench-"));
const tools = detectTools();
const selected = new Set(a.tools.split(",").map((s) => s.trim()).filter(Boolean));
for (const t of selected) if (!TOOLS.includes(t)) throw new Error(`--tools: unknown tool ${t} (known: ${TOOLS.join(", ")})`);
const ctx = {
  tmp,
  tools,
  toolOrder: TOOLS,
  selected,
  runs: a.runs === undefined ? undefined : Math.max(1, Number(a.runs)),
  full: a.full,
  failedBefore: new Map(),
  timeoutMs: Number(a["timeout-min"]) * 60_000,
};
const cases = new Set(a.cases.split(",").map((s) => s.trim()));
const outFile = a.out ?? join(ROOT, "bench", a.quick ? "results-quick.md" : "results.md");

for (const [k, t] of Object.entries(tools)) if (t.missing && selected.has(k)) process.stderr.write(`bench: ${k}: ${t.missing} — skipped\n`);
if (tools.flexcopy.missing) {
  process.stderr.write(`bench: ${tools.flexcopy.missing}\n`);
  process.exit(2);
}

const started = performance.now();
const sections = [];
let cleanup = () => rmSync(tmp, { recursive: true, force: true });
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});
try {
  if (cases.has("1")) sections.push(copyTable(await runCopyCase(ctx, smallObjectsCase({ quick: a.quick, tmp }))));
  if (cases.has("2")) sections.push(copyTable(await runCopyCase(ctx, await flexDaysCase({ quick: a.quick, tmp, root: ROOT }))));
  if (cases.has("3")) sections.push(listingTable(await runListingCase(ctx, listingCase({ quick: a.quick }))));
  if (cases.has("4")) sections.push(modelTable(await runCopyCase(ctx, yearCase({ quick: a.quick }))));
  if (cases.has("5")) {
    // Without --capacities / --rates: the fixed-64-vs-auto comparison at 48, then the whole push-back table
    if (!a.capacities && !a.rates) sections.push(modelTable(await runCopyCase(ctx, pushbackCase({ quick: a.quick, tmp }))));
    const caps = a.capacities ?? (a.rates ? "" : a.quick ? "20,100" : DEFAULT_CAPACITIES);
    const rates = a.rates ?? (a.capacities ? "" : a.quick ? "100" : DEFAULT_RATES);
    const table = [];
    const rounds = Number(a.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: ${a.rounds}: expected a whole number ≥ 1`);
    for (const cap of caps.split(",").filter((x) => x.trim()).map((x) => (x.trim() === "none" ? 0 : Number(x.trim())))) {
      if (!Number.isInteger(cap) || cap < 0) throw new Error(`--capacities: ${a.capacities}: expected whole numbers ≥ 1 or "none"`);
      table.push(await runCopyCase(ctx, capacityCase({ quick: a.quick, tmp, maxInflight: cap, rounds })));
    }
    for (const rate of rates.split(",").filter((x) => x.trim()).map((x) => Number(x.trim()))) {
      if (!Number.isInteger(rate) || rate < 1) throw new Error(`--rates: ${a.rates}: expected whole numbers ≥ 1`);
      table.push(await runCopyCase(ctx, rateCase({ quick: a.quick, tmp, maxRate: rate })));
    }
    if (table.length) sections.push(pushbackTable(table), ...table.map(modelTable));
  }
  if (cases.has("6")) sections.push(modelTable(await runCopyCase(ctx, archiveCase({ quick: a.quick }))));
} finally {
  cleanup();
  cleanup = () => {};
}

const md = [
  `## flexcopy benchmark results${a.quick ? " (--quick smoke run)" : ""}`,
  "",
  "Generated by `npm run bench` (bench/run.mjs); how to read it: docs/benchmarks.md.",
  "",
  machine(tools),
  `- total bench time: ${((performance.now() - started) / 60000).toFixed(1)} min`,
  "",
  "Medians of the successful runs. objects/s and MB/s are in modelled time (wall × timeScale); requests/s",
  "is per wall-clock second (the load this machine handled). CPU is the tool's (or the emulator's) CPU",
  "time per wall-clock second: 100 % = one core busy. Peak RSS is the tool process's VmHWM.",
  "",
  ...sections,
].join("\n");
console.log(`\n${md}`);
writeFileSync(outFile, `${md}\n`);
process.stderr.write(`\nbench: wrote ${outFile}\n`);
