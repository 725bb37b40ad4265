import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkWritableFile, ensureWritableDir, OutputPathError } from "./output-paths.js";

const tmp = () => mkdtempSync(path.join(tmpdir(), "outpaths-"));

describe("checkWritableFile", () => {
  it("accepts a new file in a writable directory and writes nothing", () => {
    const dir = tmp();
    expect(checkWritableFile("--report", path.join(dir, "r.json"))).toBe(path.join(dir, "r.json"));
    expect(readdirSync(dir)).toEqual([]);
  });

  const cases: [string, () => string, RegExp][] = [
    ["a missing directory", () => "/nonexistent/dir/r.json", /\/nonexistent\/dir does not exist/],
    ["a directory", () => tmp(), /is a directory/],
    ["a path ending in /", () => `${tmp()}/`, /is a directory/],
    ["under a file", () => {
      const f = path.join(tmp(), "f");
      writeFileSync(f, "");
      return path.join(f, "r.json");
    }, /not a directory/],
    ["/proc", () => "/proc/r.json", /not writable/],
    ["/sys", () => "/sys/r.json", /not writable/],
    ["a device", () => "/dev/null", /not a regular file/],
  ];
  for (const [name, target, message] of cases) {
    it(`refuses ${name} with one line`, () => {
      const t = target();
      expect(() => checkWritableFile("--report", t)).toThrow(OutputPathError);
      expect(() => checkWritableFile("--report", t)).toThrow(message);
    });
  }
});

describe("ensureWritableDir", () => {
  it("creates the missing levels below a writable ancestor", () => {
    const dir = path.join(tmp(), "a", "b", "c");
    expect(ensureWritableDir("--state-dir", dir)).toBe(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it("returns at once under /proc and /sys (a recursive mkdir there never returns on Node 20)", () => {
    expect(() => ensureWritableDir("--state-dir", "/proc/nope/deeper")).toThrow(/--state-dir \/proc\/nope\/deeper: \/proc is not writable/);
    expect(() => ensureWritableDir("--out-dir", "/sys/nope")).toThrow(OutputPathError);
  });

  it("refuses a file, or a path under a file", () => {
    const f = path.join(tmp(), "f");
    writeFileSync(f, "");
    expect(() => ensureWritableDir("--state-dir", f)).toThrow(/is a file, not a directory/);
    expect(() => ensureWritableDir("--state-dir", path.join(f, "x", "y"))).toThrow(new RegExp(`${f} is a file`));
  });
});
