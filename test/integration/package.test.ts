// flexcopy as users install it: the packed tarball, installed globally into a temporary prefix, runs
// without the checkout. Packs the dist/ that `npm test` has just built (--ignore-scripts: prepack would
// rebuild dist/ under the feet of the other test files); the install takes dependencies from npm's
// cache when it can (--prefer-offline).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assumeRole } from "../../scripts/emulator-env.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string; scripts: Record<string, string> };
// Where node lives first, so the bin's `#!/usr/bin/env node` finds this node; nothing of the checkout.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}` };

function npm(args: string[], cwd: string) {
  const r = spawnSync("npm", args, { cwd, env, encoding: "utf8", timeout: 240_000 });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return r;
}

describe("the packed package", () => {
  let dir: string;
  let bin: string;
  let installLog: string;
  let packed: string[];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "flexcopy-pack-"));
    const pack = npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], root);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    packed = info!.files.map((f) => f.path);
    const install = npm(["install", "-g", "--prefix", path.join(dir, "prefix"), "--no-audit", "--no-fund", "--prefer-offline", path.join(dir, info!.filename)], dir);
    installLog = install.stdout + install.stderr;
    bin = path.join(dir, "prefix", "bin", "flexcopy");
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("carries the built CLI and no install script (build on prepack; npm install in a clone builds in preprepare)", () => {
    expect(packed).toContain("bin/flexcopy");
    expect(packed).toContain("dist/cli/main.js");
    expect(packed).toContain("dist/emulator/index.js");
    expect(packed.filter((f) => !f.startsWith("dist/") && !f.startsWith("bin/")).sort()).toEqual(["README.ja.md", "README.md", "package.json"]);
    expect(packed.some((f) => f.endsWith(".test.js") || f.endsWith(".map") || f.startsWith("src/"))).toBe(false);
    for (const s of ["preinstall", "install", "postinstall", "prepare"]) expect(pkg.scripts[s], s).toBeUndefined();
    expect(pkg.scripts.prepack).toBe("npm run build");
    expect(installLog).not.toMatch(/install-scripts|allowScripts|npm warn/i);
  });

  it("runs --version from the global prefix", () => {
    const r = spawnSync(bin, ["--version"], { env, encoding: "utf8", cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(r.status).toBe(0);
  });

  it("starts the emulator from the global prefix; it answers AssumeRole and stops on SIGTERM", async () => {
    const child = spawn(bin, ["emulator", "--seed", "none"], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          out += d;
          if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
        });
        void exited.then((code) => reject(new Error(`emulator exited ${code}: ${err}`)));
      });
      const info = JSON.parse(line) as Parameters<typeof assumeRole>[0] & { pid: number };
      expect(info.pid).toBe(child.pid);
      const role = await assumeRole(info, { RoleSessionName: "installed" });
      expect(role.sessionToken.length).toBeGreaterThan(0);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
