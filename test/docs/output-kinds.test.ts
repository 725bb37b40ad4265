// docs/output.md lists every record kind the commands print with --json; a kind added to a command's
// union (and so to its text forms, or it does not compile) needs its row there.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TEXT } from "../../src/cli/output/text.js";
import { LS_TEXT } from "../../src/cli/commands/ls.js";
import { SPEC_TEXT } from "../../src/cli/commands/spec.js";
import { VERIFY_TEXT } from "../../src/cli/commands/verify.js";
import { CLEANUP_TEXT } from "../../src/cli/commands/cleanup.js";
import { DOCTOR_TEXT } from "../../src/cli/commands/doctor.js";
import { COST_TEXT } from "../../src/cli/output/cost.js";

const doc = readFileSync(path.resolve(import.meta.dirname, "../../docs/output.md"), "utf8");

describe("docs/output.md", () => {
  it("has one row per record kind, and no row for a kind that does not exist", () => {
    const rows = [...doc.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!);
    const kinds = [TEXT, LS_TEXT, SPEC_TEXT, VERIFY_TEXT, CLEANUP_TEXT, DOCTOR_TEXT, COST_TEXT].flatMap((forms) => Object.keys(forms));
    expect(new Set(kinds).size, "two commands print the same kind").toBe(kinds.length);
    expect([...rows].sort()).toEqual([...kinds].sort());
  });
});
