// Types of eslint.layers.js for test/lint/layers.test.ts.
import type { ESLint } from "eslint";

export const LAYERS: Record<string, string[]>;
export const layersPlugin: ESLint.Plugin;
