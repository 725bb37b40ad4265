// The "demo" seed: a small, deterministic copy of the provider's bucket layout as the manuals show it.
//   2021/05/DD/202105DD_1_00N.pcap.gz    every JPX trading day of May 2021 (Golden Week 3–5 closed)
//   2021/06/01, 2021/06/02               just outside a "2021/05" contract, for period tests
//   testdata/2021/05/{27,28,31}/...      sample data
//   ConnectionSpec/{Standard,MBO}/{version|Version} X.Y/{Japanese,English}/...  spaces, Japanese, '+', '()'
import type { SeedObject } from "./seed.js";
import { KiB, MiB, type Ymd, compareKeys, dayPath, hash32, pcapKey, prng, tradingDays, uploadTime } from "./util.js";

const PCAP = "application/gzip";
const PDF = "application/pdf";

function pcapDay(day: Ymd, files: number, minSize: number, maxSize: number, prefix = "", metadata?: Record<string, string>): SeedObject[] {
  const rnd = prng(hash32(`demo:${prefix}${dayPath(day)}`));
  const out: SeedObject[] = [];
  for (let seq = 1; seq <= files; seq++) {
    const size = Math.floor(minSize + rnd() * (maxSize - minSize));
    const obj: SeedObject = { key: pcapKey(day, seq, prefix), size, contentType: PCAP, lastModified: uploadTime(day, seq * 7) };
    if (metadata) obj.metadata = { ...metadata };
    out.push(obj);
  }
  return out;
}

interface SpecDoc {
  path: string;
  size: number;
  lastModified: string;
  metadata?: Record<string, string>;
}

const SPEC_DOCS: SpecDoc[] = [
  // The English manual's example: `ConnectionSpec/version 17.4/English` — lower-case "version", with a space.
  { path: "Standard/version 17.4/Japanese/FLEX Standard 接続仕様書 v17.4.pdf", size: 2_345_678, lastModified: "2021-03-01T01:00:00.000Z", metadata: { "flex-kind": "spec" } },
  { path: "Standard/version 17.4/Japanese/正誤表 v17.4.pdf", size: 187_654, lastModified: "2021-04-12T01:00:00.000Z" },
  { path: "Standard/version 17.4/English/FLEX Standard Connection Specification v17.4.pdf", size: 2_109_876, lastModified: "2021-03-01T01:00:00.000Z", metadata: { "flex-kind": "spec", "flex-lang": "en" } },
  { path: "Standard/version 17.4/English/Errata+Notes.pdf", size: 154_321, lastModified: "2021-04-12T01:00:00.000Z" },
  // The Japanese manual's listing shows `Version 18.3/` — capitalised.
  { path: "Standard/Version 18.3/Japanese/FLEX Standard 接続仕様書 v18.3.pdf", size: 2_567_890, lastModified: "2024-02-01T01:00:00.000Z" },
  { path: "Standard/Version 18.3/Japanese/FLEX FULL 接続仕様書 v18.3.pdf", size: 1_876_543, lastModified: "2024-02-01T01:00:00.000Z" },
  { path: "Standard/Version 18.3/English/FLEX Standard Connection Specification v18.3.pdf", size: 2_398_765, lastModified: "2024-02-01T01:00:00.000Z" },
  { path: "Standard/Version 18.3/English/FLEX FULL Connection Specification v18.3.pdf", size: 1_765_432, lastModified: "2024-02-01T01:00:00.000Z" },
  { path: "MBO/version 0.1/Japanese/FLEX MBO 接続仕様書 v0.1.pdf", size: 876_543, lastModified: "2023-06-01T01:00:00.000Z" },
  { path: "MBO/version 0.1/English/FLEX MBO Connection Specification v0.1.pdf", size: 812_345, lastModified: "2023-06-01T01:00:00.000Z" },
  { path: "MBO/Version 0.6/Japanese/FLEX MBO 接続仕様書 v0.6.pdf", size: 1_123_456, lastModified: "2025-04-01T01:00:00.000Z" },
  { path: "MBO/Version 0.6/English/FLEX MBO Connection Specification v0.6 (draft).pdf", size: 1_098_765, lastModified: "2025-04-01T01:00:00.000Z", metadata: { "flex-kind": "spec" } },
];

export function demoSeed(): SeedObject[] {
  const out: SeedObject[] = [];
  const may = tradingDays(2021, 5);
  for (const day of may) {
    // 3 or 4 files a day, a few KB to a few MB. 2021/05/31 is the manual's example day: tag it.
    const files = 3 + (hash32(dayPath(day)) % 2);
    const meta = day.d === 31 ? { "flex-kind": "pcap" } : undefined;
    out.push(...pcapDay(day, files, 4 * KiB, 6 * MiB, "", meta));
  }
  for (const d of [1, 2]) out.push(...pcapDay({ y: 2021, m: 6, d }, 3, 4 * KiB, 6 * MiB));
  for (const d of [27, 28, 31]) out.push(...pcapDay({ y: 2021, m: 5, d }, 2, 1 * KiB, 256 * KiB, "testdata/", { "flex-kind": "sample" }));
  for (const doc of SPEC_DOCS) {
    const obj: SeedObject = { key: `ConnectionSpec/${doc.path}`, size: doc.size, contentType: PDF, lastModified: doc.lastModified };
    if (doc.metadata) obj.metadata = { ...doc.metadata };
    out.push(obj);
  }
  return out.sort((a, b) => compareKeys(a.key, b.key));
}
