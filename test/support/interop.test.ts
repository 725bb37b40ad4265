// The probe behind the interop suites' skip-or-fail decision (test/support/interop.ts).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { probeInterop, skipLine } from "./interop.js";

const dir = mkdtempSync(path.join(tmpdir(), "flexcopy-interop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("probeInterop", () => {
  it("reports tools that are not on PATH, and names each with its suite and how to install it", () => {
    expect(probeInterop({ PATH: path.join(dir, "empty") })).toEqual({ missing: ["rclone", "aws"], required: false });
    expect(skipLine("rclone")).toBe("interop: `rclone` is not on PATH, so test/emulator/rclone.test.ts is skipped; to run it: apt-get install rclone");
  });

  it("finds a tool on PATH only when it runs (its probe exits 0)", () => {
    writeFileSync(path.join(dir, "rclone"), "#!/bin/sh\nexit 0\n");
    writeFileSync(path.join(dir, "aws"), "#!/bin/sh\nexit 1\n");
    chmodSync(path.join(dir, "rclone"), 0o755);
    chmodSync(path.join(dir, "aws"), 0o755);
    expect(probeInterop({ PATH: dir }).missing).toEqual(["aws"]);
  });

  it("FLEXCOPY_REQUIRE_INTEROP=1 (set by .ci/run) makes the tools required", () => {
    expect(probeInterop({ PATH: dir, FLEXCOPY_REQUIRE_INTEROP: "1" }).required).toBe(true);
    expect(probeInterop({ PATH: dir, FLEXCOPY_REQUIRE_INTEROP: "0" }).required).toBe(false);
  });
});
