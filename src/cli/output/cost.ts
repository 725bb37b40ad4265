import { formatBytes } from "../../config/sizes.js";
import { formatUsd, type CostEstimate } from "../../plan/prices.js";
import { textOf, type TextForms } from "./records.js";

/** `fetch --dry-run`'s cost estimate (plan/prices.ts): the requests into your bucket, their price, the storage a month. */
export type CostRecord = { kind: "cost" } & CostEstimate;

export const COST_TEXT: TextForms<CostRecord> = {
  cost: (r) => {
    const p = r.prices;
    const requests = r.requests.map((q) => `    ${q.op.padEnd(24)} ${String(q.count).padStart(9)}  at ${formatUsd(q.per1000)} per 1,000  ${formatUsd(q.usd)}`);
    return [
      `cost estimate (${r.currency}, ${p.region} prices: ${p.source}, read ${p.readAt}${p.file ? "" : "; yours may differ: --price-file"}):`,
      `  requests into your bucket (${r.storageClass}): ${formatUsd(r.requestsUsd)} once`,
      ...requests,
      `  storage: ${formatBytes(r.bytes)} in ${r.storageClass}: ${formatUsd(r.storageUsdPerMonth)} a month`,
      `  data transfer: none billed (a server-side copy within the region moves no data out, and none through this machine)`,
      `  requests to the provider's bucket (its listings, one HeadObject a day) are billed to its owner, not you`,
      ...(p.unverified.length > 0 ? [`  unverified prices (no source found for ${p.unverified.join(", ")}): yours may differ; give your own with --price-file`] : []),
    ].join("\n");
  },
};

export function costText(r: CostRecord): string {
  return textOf(COST_TEXT, r, undefined) ?? "";
}
