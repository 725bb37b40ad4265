import { readFileSync } from "node:fs";

/**
 * flexcopy's version, from its package.json (dist/cli/ and src/cli/ both sit two folders below it): what
 * `--version` prints and what every request's User-Agent names (flexcopy/<version>).
 */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
})();
