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
 * `maxInflight` sets the capacity (`--capacities` in run.mjs: see `capacityCase`).
 */
export function pushbackCase({ quick, tmp, maxInflight = 48 }) {
  const base = smallObjectsCase({ quick, tmp });
  return {
    ...base,
    id: "5",
    title: `Case 5 — push-back: S3 capacity of ${maxInflight} writes in flight (503 SlowDown above it), ${base.title.replace(/^Case 1 — /, "")}`,
    faults: { ...base.faults, maxInflight },
    capacity: maxInflight,
    runs: quick ? 1 : 3,
    variants: [
      { tool: "flexcopy", label: "flexcopy --concurrency 64", extraArgs: ["--concurrency", "64"] },
      { tool: "flexcopy", label: "flexcopy (auto)", extraArgs: [] },
    ],
    model: true,
  };
}

/** What 2 shared cores serve of small copies (flexcopy and the emulator together), in requests a second. */
const MACHINE_REQUESTS_PER_SEC = 200;
/** flexcopy's default `--max-concurrency`: the capacity of a run against "no limit". */
const DEFAULT_MAX_CONCURRENCY = 384;

/**
 * The job of case 5 at a capacity (issue 18's push-back table), sized so that it measures the controller,
 * not the machine or the length of the job:
 * - A copy takes long enough that the capacity's requests a second stay within what this machine serves
 *   (`MACHINE_REQUESTS_PER_SEC`): case 1's 1–4 MB objects (~145 ms a copy) up to a capacity of ~30, larger
 *   objects above it (at 400 in flight, ~2 s copies of ~40 MB). Case 1's set at a capacity of 100 asks
 *   for ~690 copies a second, which even a fixed `--concurrency 100` reached only 79 % of (docs/benchmarks.md).
 * - The run lasts at least a minute and `rounds` round trips at the capacity (`--rounds`, default 50; the
 *   unit simulation's runs, `concurrency.test.ts`, are 100 and at least a minute): a job of seconds is
 *   over before any controller has found the capacity. A FLEX day at 20 MB/s per copy is minutes. A first
 *   run's climb from 8 is a fixed cost in seconds, so its share of a run depends on the run's length.
 * Object sizes vary by ±40 % around the mean, as the simulation's round trips do.
 */
function sizedJob({ quick, tmp, capacity, id, rounds = 50 }) {
  const meanMs = Math.max(145, (capacity * 1000) / MACHINE_REQUESTS_PER_SEC);
  const mean = ((meanMs - MODEL.latencyMs) / 1000) * MODEL.copyRateBytesPerSec;
  const seconds = (quick ? 0.25 : 1) * Math.max(60, (rounds * meanMs) / 1000);
  const n = Math.round((capacity * seconds * 1000) / meanMs);
  const perDay = 1000;
  const days = dayList(2024, 3, 4, Math.ceil(n / perDay));
  const layout = { days: {} };
  days.forEach((d, i) => (layout.days[d] = { sizes: sizes(Math.min(perDay, n - i * perDay), 0.6 * mean, 1.4 * mean, 5000 + i) }));
  const file = join(tmp, `case5-${id}-layout.json`);
  writeFileSync(file, JSON.stringify(layout));
  return { file, n, days, mean, meanMs, seconds };
}

/**
 * A fresh run against a bucket no run has settled on yet, and a second run that starts where the first one
 * settled (its `<bucket>.concurrency.json` carried over, bench.mjs): the first pays the climb from
 * `DEFAULT_INITIAL`, every later run against the same bucket starts near the capacity.
 */
const AUTO_VARIANTS = [
  { tool: "flexcopy", label: "flexcopy (auto), first run", extraArgs: [], keepSettled: true },
  { tool: "flexcopy", label: "flexcopy (auto), second run (from the first's settled value)", extraArgs: [], warm: true },
];

/**
 * Case 5 at one `--max-inflight` capacity (0: no limit, the capacity is then `--max-concurrency`), on a job
 * sized to it (`sizedJob`): a fixed `--concurrency` equal to the capacity, what this machine reaches with no
 * controller at all, beside `auto`'s first and second runs.
 */
export function capacityCase({ quick, tmp, maxInflight, rounds = 50 }) {
  const capacity = maxInflight > 0 ? maxInflight : DEFAULT_MAX_CONCURRENCY;
  const j = sizedJob({ quick, tmp, capacity, id: `c${maxInflight}-r${rounds}`, rounds });
  const what = maxInflight > 0 ? `S3 capacity of ${maxInflight} writes in flight (503 SlowDown above it)` : `no limit (the capacity is --max-concurrency ${capacity})`;
  return {
    id: "5",
    title: `Case 5 — push-back: ${what}; ${j.n.toLocaleString("en-US")} objects of ~${(j.mean / 1e6).toFixed(1)} MB (~${Math.round(j.meanMs)} ms a copy) in ${j.days.length} day folders, ~${Math.round(j.seconds)} s at the capacity`,
    seed: j.file,
    faults: { ...MODEL, timeScale: 1, maxInflight },
    selectors: [`${j.days[0]}..${j.days[j.days.length - 1]}`],
    // what is verified and counted: every day of the job (a job of more than 28 days runs into April)
    prefix: "2024/",
    capacity,
    runs: 1,
    variants: [{ tool: "flexcopy", label: `flexcopy --concurrency ${capacity} (fixed at the capacity)`, extraArgs: ["--concurrency", String(capacity)] }, ...AUTO_VARIANTS],
    model: true,
  };
}

/**
 * Case 5 against S3's other push-back, a request rate: the emulator answers 503 SlowDown above `maxRate` writes
 * per second per day prefix (S3's documented limit is 3,500 PUT/COPY/POST/DELETE per second per partitioned
 * prefix). Small objects meet this one first: case 1's 1–4 MB, all in one day folder (one prefix, so the
 * capacity's throughput is the rate itself; with several days the next one's first objects overlap the last
 * one's tail in another prefix), as many as a minute at the rate takes. The share is the copies made over the
 * run's modelled time divided by the rate (report.mjs `rateCapacity`).
 */
export function rateCase({ quick, tmp, maxRate }) {
  const n = Math.round(maxRate * (quick ? 15 : 60));
  const day = "2024/03/04";
  const file = join(tmp, `case5-r${maxRate}-layout.json`);
  // a day of up to 1,000 files is the layout's `days` form; more in one day need the `objects` form
  const objects = sizes(n, 1e6, 4e6, 7000 + maxRate).map((size, i) => ({ key: `${day}/${day.replace(/\//g, "")}_1_${String(i + 1).padStart(5, "0")}.pcap.gz`, size }));
  writeFileSync(file, JSON.stringify({ objects }));
  return {
    id: "5",
    title: `Case 5 — push-back by rate: ${maxRate} writes per second per day prefix (503 SlowDown above it); ${n.toLocaleString("en-US")} objects of 1–4 MB in one day folder, ~${quick ? 15 : 60} s at the rate`,
    seed: file,
    faults: { ...MODEL, timeScale: 1, maxRate },
    selectors: [day],
    prefix: `${day}/`,
    rateCapacity: maxRate,
    runs: 1,
    variants: AUTO_VARIANTS,
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
  // timeScale 5, half of case 4's: the archive reaches the 384 ceiling, and 384 requests in flight of
  // ~6.7 s part copies at timeScale 10 asked ~570 requests/s of this machine, more than the ~400/s 2 cores
  // serve (see yearCase); at 5 it is ~290/s. It also halves what slow start's climb costs in modelled time
  // (it doubles per second of wall time: 10 modelled seconds at timeScale 10). ~9 minutes of wall time.
  const timeScale = quick ? 20 : 5;
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
