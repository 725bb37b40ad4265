/**
 * Days outside the customer's contract. Listings show every day, but the provider's role may read
 * only the contracted ones: a source object it may not read answers AccessDenied. Rather than try
 * (and fail) every object of such a day, the first object to copy in each unit is checked with one
 * HeadObject on the source before any copy of that unit starts; AccessDenied there marks the whole
 * unit as not entitled, and its objects are counted, not tried. Consecutive not-entitled units are
 * reported as one range. This module knows nothing of how objects are copied.
 */
import { isAccessDenied } from "../aws/classify.js";
import { normalizeDay } from "./shard.js";
import type { Emit } from "./events.js";
import type { Listing } from "./listing.js";

export interface NotEntitledRange {
  /** First and last unit of the range, zero-padded ("2021/06/01"); equal for one day. */
  from: string;
  to: string;
  days: number;
  objects: number;
  bytes: number;
}

/** Whether the provider's role may read `key` in the source bucket: one HeadObject. */
export async function sourceReadable(l: Listing, bucket: string, key: string): Promise<boolean> {
  try {
    await l.requester.send("HeadObject", key, "source", () => l.store.headObject({ bucket, key }));
    return true;
  } catch (err) {
    // Anything but a denial (gone since listed, throttled past the retries) is left to the copy to report.
    return !isAccessDenied(err);
  }
}

/** Per-unit entitlement, probed once per unit, and the ranges of units found outside the contract. */
export class ContractGate {
  private readonly verdicts = new Map<string, Promise<boolean>>();
  private open: NotEntitledRange | undefined;
  private current: { unit: string; objects: number; bytes: number } | undefined;
  readonly ranges: NotEntitledRange[] = [];
  objects = 0;
  bytes = 0;

  constructor(
    private readonly probe: (key: string) => Promise<boolean>,
    private readonly emit: Emit,
  ) {}

  /** Whether the unit is inside the contract; the first call for a unit probes with `key`. */
  entitled(unit: string, key: string): Promise<boolean> {
    let v = this.verdicts.get(unit);
    if (!v) {
      v = this.probe(key);
      this.verdicts.set(unit, v);
    }
    return v;
  }

  /** An object of a not-entitled unit, counted instead of copied. */
  skip(unit: string, size: number): void {
    if (this.current?.unit !== unit) this.current = { unit, objects: 0, bytes: 0 };
    this.current.objects += 1;
    this.current.bytes += size;
    this.objects += 1;
    this.bytes += size;
  }

  /** Call after each unit, in order: a not-entitled unit extends the open range, any other closes it. */
  async endUnit(unit: string): Promise<void> {
    const denied = this.verdicts.has(unit) && !(await this.verdicts.get(unit));
    const counted = this.current?.unit === unit ? this.current : undefined;
    if (!denied || !counted) return this.flush();
    const day = normalizeDay(unit);
    if (this.open) {
      this.open.to = day;
      this.open.days += 1;
      this.open.objects += counted.objects;
      this.open.bytes += counted.bytes;
    } else this.open = { from: day, to: day, days: 1, objects: counted.objects, bytes: counted.bytes };
  }

  /** Reports the open range, if any. */
  flush(): void {
    if (!this.open) return;
    this.ranges.push(this.open);
    this.emit({ kind: "not-entitled", ...this.open });
    this.open = undefined;
  }
}
