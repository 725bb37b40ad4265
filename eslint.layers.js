// The layers of src/ and which layers each may import: the rule docs/ARCHITECTURE.md describes, enforced
// by `npm run lint`. A layer is a top-level folder of src/. Imports go down this table, never up:
// `cli/` wires everything; `emulator/` shares nothing with the client code.
import { readdirSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(ROOT, "src");

/** layer -> the layers it may import (besides itself). */
export const LAYERS = {
  cli: ["setup", "config", "plan", "state", "engine", "aws", "emulator", "iam"],
  setup: ["config", "plan", "state", "engine", "aws", "iam"],
  config: ["engine", "aws"],
  plan: ["config", "engine", "aws"],
  state: ["engine", "aws"],
  engine: ["aws"],
  aws: [],
  // IAM policy documents, their evaluation and the S3 action table: a leaf shared by doctor (setup) and the
  // emulator, so both decide access with the same rules.
  iam: [],
  emulator: ["iam"],
};

// A new folder under src/ must be placed in the table, or every lint run fails saying so.
const unplaced = readdirSync(SRC, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !(d.name in LAYERS))
  .map((d) => d.name);
if (unplaced.length > 0) {
  throw new Error(`eslint.layers.js: src/${unplaced.join(", src/")} has no place in LAYERS; add it there and to docs/ARCHITECTURE.md`);
}

/** The layer of an absolute path, or undefined outside src/. */
function layerOf(path) {
  const rel = relative(SRC, path);
  if (rel.startsWith("..") || rel === "") return undefined;
  return rel.split(sep)[0];
}

/** @type {import("eslint").Rule.RuleModule} */
const direction = {
  meta: {
    type: "problem",
    docs: { description: "imports between src/ layers point down the table in eslint.layers.js" },
    schema: [],
  },
  create(context) {
    const from = layerOf(context.filename);
    if (from === undefined || !(from in LAYERS)) return {};
    const check = (source) => {
      if (!source || typeof source.value !== "string" || !source.value.startsWith(".")) return;
      const to = layerOf(resolve(dirname(context.filename), source.value));
      if (to === undefined || to === from || LAYERS[from].includes(to)) return;
      const allowed = LAYERS[from].length > 0 ? LAYERS[from].join(", ") : "no other layer";
      context.report({ node: source, message: `src/${from}/ may not import src/${to}/ (layers point one way; ${from} may import ${allowed}; see docs/ARCHITECTURE.md)` });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export const layersPlugin = { rules: { direction } };
