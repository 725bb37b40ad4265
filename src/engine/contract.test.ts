import { describe, expect, it } from "vitest";
import { ContractGate } from "./contract.js";
import type { EngineEvent } from "./events.js";

/** Runs units in order through the gate as runCopy does: probe on the first object to copy, count, end the unit. */
async function run(units: Record<string, number>, denied: Set<string>) {
  const events: EngineEvent[] = [];
  const probes: string[] = [];
  const gate = new ContractGate(async (key) => {
    probes.push(key);
    return !denied.has(key.slice(0, key.lastIndexOf("/") + 1));
  }, (e) => events.push(e));
  for (const [unit, n] of Object.entries(units)) {
    for (let i = 0; i < n; i++) {
      if (!(await gate.entitled(unit, `${unit}f${i}`))) gate.skip(unit, 10);
    }
    await gate.endUnit(unit);
  }
  gate.flush();
  return { events, probes, gate };
}

describe("ContractGate", () => {
  it("probes once per unit and reports consecutive denied units as one range", async () => {
    const { events, probes, gate } = await run(
      { "2021/05/31/": 3, "2021/6/1/": 2, "2021/06/02/": 4, "2021/06/03/": 1, "2021/06/04/": 2 },
      new Set(["2021/6/1/", "2021/06/02/", "2021/06/04/"]),
    );
    expect(probes).toEqual(["2021/05/31/f0", "2021/6/1/f0", "2021/06/02/f0", "2021/06/03/f0", "2021/06/04/f0"]);
    expect(events).toEqual([
      { kind: "not-entitled", from: "2021/06/01", to: "2021/06/02", days: 2, objects: 6, bytes: 60 },
      { kind: "not-entitled", from: "2021/06/04", to: "2021/06/04", days: 1, objects: 2, bytes: 20 },
    ]);
    expect([gate.objects, gate.bytes]).toEqual([8, 80]);
  });

  it("a unit with nothing to copy (never probed) ends a range", async () => {
    const { events } = await run({ "2021/06/01/": 1, "2021/06/02/": 0, "2021/06/03/": 1 }, new Set(["2021/06/01/", "2021/06/03/"]));
    expect(events.map((e) => e.kind === "not-entitled" && [e.from, e.to])).toEqual([
      ["2021/06/01", "2021/06/01"],
      ["2021/06/03", "2021/06/03"],
    ]);
  });
});
