// README.md's settings table lists every setting of config/schema.ts with its flag, environment variable,
// config key and default, as --help derives them: a setting added to the schema needs its row here.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configKeys } from "../../src/config/schema.js";

const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");

/** The rows of the table under "### Settings": flag -> its first four cells, without backticks. */
function settingsRows(): Map<string, string[]> {
  const section = readme.slice(readme.indexOf("\n### Settings\n"));
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n").slice(2)) {
    if (line.startsWith("### ")) break;
    if (!line.startsWith("| `--")) continue;
    const cells = line.split("|").slice(1).map((c) => c.replace(/`/g, "").trim());
    rows.set(cells[0]!, cells.slice(0, 4));
  }
  return rows;
}

describe("README settings table", () => {
  it("has one row per setting with the schema's flag, env name, key and default", () => {
    const rows = settingsRows();
    for (const k of configKeys()) {
      const row = rows.get(k.flag);
      expect(row, `README.md, section Settings: add a row for ${k.flag}`).toBeDefined();
      expect(row, k.flag).toEqual([k.flag, k.env, k.key, k.defaultText ?? ""]);
    }
    expect([...rows.keys()].sort()).toEqual(configKeys().map((k) => k.flag).sort());
  });
});
