/**
 * Where the destination bucket refused the role's writes (AccessDenied on the destination's side: a bucket
 * policy's Deny, or no statement allowing it). A Deny is usually on a prefix (a year, a day, `testdata/`): a unit
 * with two refusals and no copy that succeeded is taken as refused, and the rest of it is not sent (each is
 * reported failed, "not sent"); other units go on. One refusal alone, or refusals beside copies that succeeded
 * (a Deny on some keys of a day), fail only the objects refused. Nothing is decided while copies are in flight: the run's verdict ("nothing
 * could be copied", exit 3) is taken only when every copy has settled (run.ts).
 */
import type { Emit } from "./events.js";

/**
 * Units refused before anything at all was copied after which the run stops (exit 3): a bucket that refuses
 * every write (no policy yet, a perimeter the provider's role is outside) would otherwise cost one refused
 * request per day of the archive (~3,400). Five is enough to tell a Deny on a few days from a bucket-wide one
 * (a Deny on one year refuses at most its own days' first copies before another year's copy succeeds: the units
 * are tried one at a time while nothing has been copied, see `oneAtATime`).
 */
export const REFUSED_UNITS_BEFORE_STOP = 5;

interface Refusal {
  key: string;
  hint: string;
  refused: number;
  notSent: number;
}

/** Refusals in a unit, with no copy of it succeeding, after which the rest of the unit is not sent. */
export const REFUSALS_TO_BLOCK_UNIT = 2;

export class Refusals {
  private readonly seen = new Map<string, Refusal>();
  /** Units blocked: refused REFUSALS_TO_BLOCK_UNIT times, nothing of them copied. */
  private readonly units = new Map<string, Refusal>();
  private readonly succeeded = new Set<string>();
  /** Failed events this class accounts for (refused + not sent). */
  failures = 0;

  constructor(private readonly emit: Emit) {}

  /** A copy of `key` (listed under `unit`) was refused by the destination. */
  refused(unit: string, key: string, size: number, message: string, hint: string): void {
    this.failures += 1;
    this.emit({ kind: "failed", key, size, code: "AccessDenied", message, hint });
    let r = this.seen.get(unit);
    if (!r) this.seen.set(unit, (r = { key, hint, refused: 0, notSent: 0 }));
    r.refused += 1;
    if (r.refused < REFUSALS_TO_BLOCK_UNIT || this.succeeded.has(unit) || this.units.has(unit)) return;
    this.units.set(unit, r);
    this.emit({ kind: "refused", unit, key: r.key, hint: r.hint });
  }

  /** A copy in `unit` succeeded: its refusals are the objects' own, not the unit's. */
  copied(unit: string): void {
    this.succeeded.add(unit);
  }

  /** Whether `unit` was refused: its remaining objects are then reported instead of sent. */
  has(unit: string): boolean {
    return this.units.has(unit);
  }

  /** An object of a refused unit, not sent. */
  notSent(unit: string, key: string, size: number): void {
    const r = this.units.get(unit)!;
    r.notSent += 1;
    this.failures += 1;
    this.emit({ kind: "failed", key, size, code: "AccessDenied", message: `not sent: the destination refused the copy of ${r.key} in ${unit}`, hint: `see the refused line for ${unit}` });
  }

  get count(): number {
    return this.units.size;
  }

  /** While nothing has been copied and something was refused, copies go one at a time (a probe per unit). */
  oneAtATime(copied: number): boolean {
    return copied === 0 && this.seen.size > 0;
  }

  /** Refused so widely, with nothing copied, that the run stops (see REFUSED_UNITS_BEFORE_STOP). */
  hopeless(copied: number): boolean {
    return copied === 0 && this.seen.size >= REFUSED_UNITS_BEFORE_STOP;
  }

  /** The units refused, for the final line: "2021/05/31/, 2021/06/01/ and 3 more". */
  list(max = 5): string {
    const names = [...this.seen.keys()];
    return names.length <= max ? names.join(", ") : `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
  }

  /** Units with any refusal (for the verdict when nothing was copied). */
  get refusedUnits(): number {
    return this.seen.size;
  }

  /** The first refusal's hint (it names the statement where the policy could be evaluated). */
  firstHint(): string {
    return this.seen.values().next().value?.hint ?? "";
  }
}
