/**
 * Byte sizes, rates and durations as people type and read them.
 *
 * Units: B; SI KB/MB/GB/TB (powers of 1000); IEC KiB/MiB/GiB/TiB (powers of 1024).
 * The one-letter shorthands k/m/g/t (any case) are binary, like `dd` and most CLI tools:
 * "64m" is 64 MiB. Output always uses IEC units.
 */

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
};

const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/** Parses "5368709120", "64MiB", "64 MiB", "5GB", "1.5GiB", "64m" into a whole number of bytes. */
export function parseSize(text: string): number {
  const trimmed = String(text).trim();
  const m = SIZE_RE.exec(trimmed);
  if (!m) {
    throw new Error(`invalid size "${text}": expected a number with an optional unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. "64MiB"`);
  }
  const unitText = (m[2] ?? "").toLowerCase();
  const factor = unitText === "" ? 1 : UNITS[unitText];
  if (factor === undefined) {
    throw new Error(`invalid size "${text}": unknown unit "${m[2]}" (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)`);
  }
  const bytes = Number(m[1]) * factor;
  if (!Number.isSafeInteger(Math.round(bytes))) {
    throw new Error(`invalid size "${text}": too large`);
  }
  if (!Number.isInteger(bytes) && Math.abs(bytes - Math.round(bytes)) > 1e-6) {
    throw new Error(`invalid size "${text}": not a whole number of bytes`);
  }
  return Math.round(bytes);
}

const IEC = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** Human-readable size in IEC units with one decimal: "512 B", "1.5 GiB", "5.0 TiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? "-" : "";
  let value = Math.abs(n);
  if (value < 1024) return `${sign}${Math.round(value)} B`;
  let i = 0;
  while (value >= 1024 && i < IEC.length - 1) {
    value /= 1024;
    i++;
  }
  // 1023.96 KiB would round to "1024.0 KiB"; move up a unit instead.
  if (Number(value.toFixed(1)) >= 1024 && i < IEC.length - 1) {
    value /= 1024;
    i++;
  }
  return `${sign}${value.toFixed(1)} ${IEC[i]}`;
}

/**
 * Parses a transfer rate such as "200MB/s", "1.5GiB/s" or "100MiB" into bytes per second. Bits are
 * bits: "200Mbps" and "200Mbit/s" are 25 MB/s (the manual quotes its copy speed as "200Mbps").
 */
export function parseRate(text: string): number {
  const trimmed = String(text).trim();
  const bits = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:bps|bit\/s|bits\/s)$/.exec(trimmed); // lower-case b: bits
  if (bits) {
    const scale = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[bits[2]!.toLowerCase() as "" | "k" | "m" | "g" | "t"];
    return Math.round((Number(bits[1]) * scale) / 8);
  }
  const body = trimmed.replace(/\s*\/\s*s(?:ec)?$/i, "").replace(/ps$/i, "");
  try {
    return parseSize(body);
  } catch {
    throw new Error(`invalid rate "${text}": expected a size per second, e.g. "200MB/s" or "1GiB/s"`);
  }
}

/** Human-readable duration: "1h 02m", "3m 05s", "12s". Rounds to whole seconds. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "0s";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (x: number): string => String(x).padStart(2, "0");
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}
