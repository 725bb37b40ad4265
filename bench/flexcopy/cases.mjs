// The benchmark cases: what is in the provider's bucket, the latency/copy-rate model, how many runs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { multipartBucketPolicy } from "../../dist/iam/manual.js";

/** The model: every request waits `latencyMs`; a copy of N bytes (CopyObject or one UploadPartCopy)
 *  additionally takes N / copyRate — per request, so parallel requests add up. timeScale divides both. */
export const MODEL = { latencyMs: 20, copyRateBytesPerSec: 20e6 };

/** Deterministic sizes in [lo, hi] (a tiny LCG; the same layout every run and machine). */
function sizes(n, lo, hi, seed) {
  let r = seed >>> 0;
  return Array.from({ length: n }, () => {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    return Math.round(lo + (hi - lo) * (r / 2 ** 32));
  });
}

function dayList(y, m, d, n) {
  const out = [];
  const t = new Date(Date.UTC(y, m - 1, d));
  for (let i = 0; i < n; i++) {
    out.push(t.toISOString().slice(0, 10).replace(/-/g, "/"));
    t.setUTCDate(t.getUTCDate() + 1);
  }
  return out;
}

/** Case 1: many small objects (1–4 MB) in a few day folders, real time (timeScale 1). */
export function smallObjectsCase({ quick, tmp }) {
  const perDay = quick ? 75 : 500;
  const days = ["2024/03/04", "2024/03/05", "2024/03/06", "2024/03/07"];
  const layout = { days: {} };
  days.forEach((d, i) => (layout.days[d] = { sizes: sizes(perDay, 1e6, 4e6, 1000 + i) }));
  const file = join(tmp, "case1-layout.json");
  writeFileSync(file, JSON.stringify(layout));
  return {
    id: "1",
    title: `Case 1 — many small objects (${days.length * perDay} objects of 1–4 MB in ${days.length} day folders)`,
    seed: file,
    faults: { ...MODEL, timeScale: 1 },
    selectors: ["2024/03"],
    prefix: "2024/03/",
    runs: quick ? 1 : 3,
    // rclone copies 4 files at a time: slow, and it fails this job anyway (see docs/benchmarks.md); once is enough
    runsFor: { rclone: 1 },
  };
}

/** Case 2: a slice of the `year:2023` seed (~24 files, ~18.7 GB a day, some files > 5 GiB), sped up. */
export async function flexDaysCase({ quick, tmp, root }) {
  const { loadSeed } = await import(join(root, "dist/emulator/index.js"));
  // 2023/06/12 holds one of the year's > 5 GiB files (multipart for every tool); 06/13 is an ordinary day.
  const days = quick ? ["2023/06/12/"] : ["2023/06/12/", "2023/06/13/"];
  const objects = [];
  for (const o of loadSeed("year:2023")) {
    if (days.some((d) => o.key.startsWith(d))) objects.push({ key: o.key, size: o.size, contentType: o.contentType, lastModified: o.lastModified });
  }
  const file = join(tmp, "case2-layout.json");
  writeFileSync(file, JSON.stringify({ objects }));
  const bytes = objects.reduce((s, o) => s + o.size, 0);
  const big = objects.filter((o) => o.size > 5 * 2 ** 30).length;
  const timeScale = quick ? 20 : 5;
  return {
    id: "2",
    title: `Case 2 — FLEX days at 2023 scale (${days.map((d) => d.slice(0, -1)).join(", ")} of the year:2023 seed: ${objects.length} objects, ${(bytes / 1e9).toFixed(1)} GB, ${big} over 5 GiB; timeScale ${timeScale})`,
    seed: file,
    faults: { ...MODEL, timeScale },
    selectors: days.length === 1 ? [days[0].slice(0, -1)] : [`${days[0].slice(0, -1)}..${days[days.length - 1].slice(0, -1)}`],
    prefix: "2023/06/",
    runs: quick ? 1 : 3,
    runsFor: { rclone: 1, rcloneTuned: 1 },
    skipAfterFailure: ["rclone"],
    // Objects over 5 GiB: every tool needs multipart copies, so the destination allows them.
    emulator: MULTIPART_WORLD,
  };
}

/**
 * Case 3: listing at scale. The source holds `small` objects in 40 day folders of 2022 and `large`
 * objects in 40 day folders of 2023; the destination holds the same objects (a finished copy).
 */
export function listingCase({ quick }) {
  const sets = quick
    ? [{ year: "2022", total: 10_000 }, { year: "2023", total: 100_000 }]
    : [{ year: "2022", total: 100_000 }, { year: "2023", total: 1_000_000 }];
  const dayCount = 40;
  return {
    id: "3",
    title: `Case 3 — listing ${sets.map((s) => s.total.toLocaleString("en-US")).join(" vs ")} objects (${dayCount} day folders each, all already in the destination)`,
    seed: "none",
    faults: { latencyMs: MODEL.latencyMs, copyRateBytesPerSec: 0, timeScale: 1 },
    sets: sets.map((s) => ({
      ...s,
      prefixes: dayList(Number(s.year), 1, 2, dayCount).map((d) => `${d}/`),
      perPrefix: s.total / dayCount,
      runs: s.total >= 1_000_000 ? 1 : quick ? 1 : 3,
    })),
    size: 1e6,
  };
}

/**
 * The destination set up as `flexcopy policy --allow-multipart` says (its bucket policy and Object Ownership
 * BucketOwnerEnforced): every tool may finish multipart copies. Under the manual's policy alone no tool can
 * copy an object over 5 GiB (UploadPartCopy is denied: aws/aws-cli#1674), so cases with such objects use this.
 */
export const MULTIPART_WORLD = { bucketPolicy: multipartBucketPolicy("${roleArn}", "${bucket}"), objectOwnership: "BucketOwnerEnforced" };

/**
 * The destination's bucket policy for the year case: "multipart" (above), or "manual", the provider manual's
 * policy, under which flexcopy copies everything up to 5 GiB with one CopyObject and cannot copy the year's
 * objects over 5 GiB (they fail with MultipartDenied; the model still shows the time of everything else).
 */
export const YEAR_POLICY = process.env.FLEXCOPY_BENCH_POLICY ?? "multipart";
const POLICIES = {
  multipart: { label: "multipart allowed (flexcopy policy --allow-multipart)", emulator: MULTIPART_WORLD, extraArgs: [] },
  manual: { label: "the manual's policy (CopyObject up to 5 GiB)", emulator: {}, extraArgs: [] },
};

/** Case 4: the whole year 2023 (4.59 TB, the `year:2023` seed) with flexcopy's defaults, sped up. */
export function yearCase({ quick, policy = YEAR_POLICY }) {
  const p = POLICIES[policy];
  if (!p) throw new Error(`unknown year-case policy ${policy} (known: ${Object.keys(POLICIES).join(", ")})`);
  // Fast enough to fit in minutes, slow enough that ~256 requests in flight stay within what a 2-core
  // machine running flexcopy and the emulator can serve (~400 requests/s at timeScale 10).
  const timeScale = quick ? 20 : 10;
  const selectors = quick ? ["2023/06"] : ["2023"];
  return {
    id: "4",
    title: `Case 4 — ${quick ? "June 2023" : "the whole year 2023"} (\`year:2023\` seed), flexcopy defaults, ${p.label}; timeScale ${timeScale}`,
    seed: "year:2023",
    emulator: p.emulator,
    faults: { ...MODEL, timeScale },
    selectors,
    prefix: quick ? "2023/06/" : "2023/",
    runs: 1,
    variants: [{ tool: "flexcopy", label: `flexcopy fetch (auto)`, extraArgs: p.extraArgs }],
    model: true,
  };
}

/**
 * Case 5: S3 pushes back. The emulator answers 503 SlowDown above `maxInflight` writes in flight (S3's
 * per-prefix capacity); flexcopy with a fixed 64 against `auto`, on the many-small-objects set.
 * `maxInflight` sets the capacity (`--capacities` in run.mjs runs `auto` alone at each of several).
 */
export function pushbackCase({ quick, tmp, maxInflight = 48, autoOnly = false }) {
  const base = smallObjectsCase({ quick, tmp });
  const variants = [
    { tool: "flexcopy", label: "flexcopy --concurrency 64", extraArgs: ["--concurrency", "64"] },
    { tool: "flexcopy", label: "flexcopy (auto)", extraArgs: [] },
  ];
  return {
    ...base,
    id: "5",
    title: `Case 5 — push-back: S3 capacity of ${maxInflight} writes in flight (503 SlowDown above it), ${base.title.replace(/^Case 1 — /, "")}`,
    faults: { ...base.faults, maxInflight },
    capacity: maxInflight,
    runs: quick ? 1 : 3,
    // At several capacities: a fixed limit at exactly the capacity beside auto. The fixed run is what this machine
    // reaches at that capacity with no controller at all, so auto's share next to it tells the controller's cost
    // apart from the machine's (2 shared cores: hundreds of small copies a second are CPU-bound).
    variants: autoOnly
      ? [{ tool: "flexcopy", label: `flexcopy --concurrency ${maxInflight} (fixed at the capacity)`, extraArgs: ["--concurrency", String(maxInflight)] }, variants[1]]
      : variants,
    model: true,
  };
}

/**
 * Case 5 against S3's other push-back, a request rate: the emulator answers 503 SlowDown above `maxRate` writes
 * per second per day prefix (S3's documented limit is 3,500 PUT/COPY/POST/DELETE per second per partitioned
 * prefix). flexcopy walks the days in order, so one prefix is being written at a time (the next one's first
 * objects overlap the last one's tail): the capacity's throughput is `maxRate` writes a second, and the share
 * is the copies made over the run's modelled time divided by it (report.mjs `rateCapacity`). `auto` alone.
 */
export function rateCase({ quick, tmp, maxRate }) {
  const base = smallObjectsCase({ quick, tmp });
  return {
    ...base,
    id: "5",
    title: `Case 5 — push-back by rate: ${maxRate} writes per second per day prefix (503 SlowDown above it), ${base.title.replace(/^Case 1 — /, "")}`,
    faults: { ...base.faults, maxRate },
    rateCapacity: maxRate,
    runs: quick ? 1 : 3,
    variants: [{ tool: "flexcopy", label: "flexcopy (auto)", extraArgs: [] }],
    model: true,
  };
}

/** The whole-archive case's targets (issue 18): modelled minutes, share of the ideal, the tool's peak RSS. */
export const ARCHIVE_TARGETS = { modelMinutes: 45, pctIdeal: 0.9, peakRssBytes: 300e6 };

/**
 * Case 6: the whole archive, 2010–2023 (19.39 TB, ~96,000 objects, the `archive` seed) in one
 * `flexcopy fetch 2010..2023` with the defaults, multipart allowed, sped up like case 4. Reports the
 * journal's size and whether the targets are met (ARCHIVE_TARGETS).
 */
export function archiveCase({ quick }) {
  // Case 4's timeScale: at 10 the ~384 requests in flight stay within what 2 cores serve (see yearCase).
  // The year took ~65 s of wall time there; the archive is 4.2× the bytes, so ~5 minutes.
  const timeScale = quick ? 20 : 10;
  const seed = quick ? "years:2010-2011" : "archive";
  const selectors = quick ? ["2010..2011"] : ["2010..2023"];
  return {
    id: "6",
    title: `Case 6 — the whole archive ${quick ? "(--quick: 2010–2011 only, `years:2010-2011` seed)" : "2010–2023 (`archive` seed, 19.39 TB)"}, flexcopy defaults, ${POLICIES.multipart.label}; timeScale ${timeScale}`,
    seed,
    emulator: MULTIPART_WORLD,
    faults: { ...MODEL, timeScale },
    selectors,
    prefix: "",
    runs: 1,
    variants: [{ tool: "flexcopy", label: "flexcopy fetch (auto)", extraArgs: [] }],
    model: true,
    journal: true,
    targets: ARCHIVE_TARGETS,
    timeoutMin: 40,
  };
}
