// The layer rule of eslint.layers.js reports an import that points up the table and passes one that
// points down, for every kind of import; `npm run lint` runs it over src/.
import { resolve } from "node:path";
import { Linter } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import { LAYERS, layersPlugin } from "../../eslint.layers.js";

const linter = new Linter({ configType: "flat" });
const config = [
  {
    files: ["**/*.ts"],
    languageOptions: { parser: tseslint.parser },
    plugins: { layers: layersPlugin },
    rules: { "layers/direction": "error" },
  },
] as Linter.Config[];

function lint(file: string, code: string): string[] {
  return linter.verify(code, config, { filename: resolve("src", file) }).map((m) => m.message);
}

describe("layers/direction", () => {
  it("reports an upward import, naming both layers", () => {
    expect(lint("engine/run.ts", 'import { x } from "../config/schema.js";\n')).toEqual([
      "src/engine/ may not import src/config/ (layers point one way; engine may import aws; see docs/ARCHITECTURE.md)",
    ]);
  });

  it("checks type imports, re-exports and dynamic imports, from nested folders too", () => {
    expect(lint("aws/x.ts", 'import type { T } from "../engine/events.js";\n')).toHaveLength(1);
    expect(lint("engine/x.ts", 'export { y } from "../state/journal-file.js";\n')).toHaveLength(1);
    expect(lint("engine/x.ts", 'export * from "../cli/main.js";\n')).toHaveLength(1);
    expect(lint("engine/x.ts", 'const m = await import("../setup/doctor.js");\nexport { m };\n')).toHaveLength(1);
    expect(lint("cli/commands/x.ts", 'import { a } from "../../engine/run.js";\n')).toEqual([]);
    expect(lint("emulator/s3/x.ts", 'import { a } from "../../aws/acl.js";\n')).toHaveLength(1);
  });

  it("passes imports down the table, within a layer, and of packages", () => {
    expect(lint("cli/main.ts", 'import { a } from "../engine/run.js";\nimport { b } from "../emulator/index.js";\n')).toEqual([]);
    expect(lint("engine/run.ts", 'import { c } from "../aws/classify.js";\nimport { d } from "./copy.js";\nimport { z } from "zod";\n')).toEqual([]);
    expect(lint("setup/doctor.ts", 'import { e } from "../engine/copy.js";\nimport { f } from "../config/schema.js";\n')).toEqual([]);
  });

  it("keeps the emulator apart from the client code and the client code from it (cli excepted; iam/ is shared)", () => {
    for (const layer of Object.keys(LAYERS).filter((l) => l !== "emulator" && l !== "cli" && l !== "iam")) {
      expect(lint("emulator/index.ts", `import { a } from "../${layer}/x.js";\n`), layer).toHaveLength(1);
      expect(lint(`${layer}/x.ts`, 'import { a } from "../emulator/index.js";\n'), layer).toHaveLength(1);
    }
    // The IAM evaluator is the one thing both sides share, so doctor and the emulator decide alike.
    expect(lint("emulator/access/authorize.ts", 'import { a } from "../../iam/evaluate.js";\n')).toEqual([]);
    expect(lint("setup/doctor-policy.ts", 'import { a } from "../iam/evaluate.js";\n')).toEqual([]);
    expect(lint("iam/evaluate.ts", 'import { a } from "../emulator/index.js";\n')).toHaveLength(1);
  });
});
