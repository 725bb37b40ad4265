// vitest globalSetup: probes the interop tools once for the whole run (see interop.ts).
import type { TestProject } from "vitest/node";
import { probeInterop, skipLine } from "./interop.js";

export default function setup(project: TestProject): () => void {
  const state = probeInterop();
  project.provide("interop", state);
  // One line per skipped suite, printed after the run so it sits next to the summary.
  return () => {
    if (state.required) return;
    for (const name of state.missing) process.stderr.write(`${skipLine(name)}\n`);
  };
}
