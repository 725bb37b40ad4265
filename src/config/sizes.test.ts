import { describe, it, expect } from "vitest";
import { formatBytes, formatDuration, parseRate, parseSize } from "./sizes.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe("parseSize", () => {
  it.each([
    ["5368709120", 5 * GiB],
    ["0", 0],
    ["64MiB", 64 * MiB],
    ["64 MiB", 64 * MiB],
    ["64mib", 64 * MiB],
    ["1GiB", GiB],
    ["512KiB", 512 * KiB],
    ["5GB", 5e9],
    ["100MB", 1e8],
    ["1kb", 1000],
    ["2TB", 2e12],
    ["1TiB", 1024 * GiB],
    ["1.5GiB", 1.5 * GiB],
    ["64m", 64 * MiB],
    ["64M", 64 * MiB],
    ["1g", GiB],
    ["512k", 512 * KiB],
    ["10B", 10],
    [" 7 MiB ", 7 * MiB],
  ])("%j -> %d", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(["", "abc", "-5MiB", "5 XB", "MiB", "1.5", "1.5B", "5 Mi B", "1e9", "0x10"])("rejects %j", (text) => {
    expect(() => parseSize(text)).toThrow(/invalid size/);
  });

  it("names the unknown unit", () => {
    expect(() => parseSize("5 PB")).toThrow(/unknown unit "PB"/);
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [512, "512 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [64 * MiB, "64.0 MiB"],
    [1.5 * GiB, "1.5 GiB"],
    [5 * 1024 * GiB, "5.0 TiB"],
    [1024 * KiB - 1, "1.0 MiB"],
  ])("%d -> %s", (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it("round-trips through parseSize for IEC output", () => {
    expect(parseSize(formatBytes(3 * GiB))).toBe(3 * GiB);
  });
});

describe("parseRate", () => {
  it.each([
    ["200MB/s", 2e8],
    ["200 MB/s", 2e8],
    ["1GiB/s", GiB],
    ["100MiB", 100 * MiB],
    ["50MBps", 5e7],
  ])("%j -> %d", (text, rate) => {
    expect(parseRate(text)).toBe(rate);
  });

  it("rejects nonsense", () => {
    expect(() => parseRate("fast")).toThrow(/invalid rate "fast"/);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [12, "12s"],
    [12.4, "12s"],
    [59.6, "1m 00s"],
    [185, "3m 05s"],
    [3720, "1h 02m"],
    [3600 * 30 + 59, "30h 00m"],
    [-3, "0s"],
    [Number.NaN, "0s"],
  ])("%d -> %s", (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe("parseRate in bits", () => {
  it("reads bps as bits per second", () => {
    expect(parseRate("200Mbps")).toBe(25_000_000);
    expect(parseRate("1 Gbit/s")).toBe(125_000_000);
    expect(parseRate("800bps")).toBe(100);
  });
});
