import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import { layersPlugin } from "./eslint.layers.js";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Layers point one way (eslint.layers.js, docs/ARCHITECTURE.md); only cli/ knows the terminal.
    files: ["src/**/*.ts"],
    plugins: { layers: layersPlugin },
    rules: { "layers/direction": "error" },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**"],
    rules: {
      "no-restricted-imports": ["error", { paths: [
        { name: "commander", message: "only src/cli/ parses the command line" },
        { name: "cli-progress", message: "only src/cli/ draws on the terminal" },
      ] }],
    },
  },
  {
    // The engine reaches S3 only through its storage seam (engine/storage.ts); aws/s3-store.ts builds the commands.
    files: ["src/engine/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { paths: [
        { name: "@aws-sdk/client-s3", allowTypeImports: true, message: "the engine uses ObjectStore (engine/storage.ts); S3 commands are built in aws/s3-store.ts" },
      ] }],
    },
  },
);
