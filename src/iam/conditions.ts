// IAM condition operators, as the IAM User Guide defines them:
// - reference_policies_elements_condition_operators: "If the key that you specify in a policy condition is not
//   present in the request context, the values do not match and the condition is false. If the policy condition
//   requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present,
//   the condition is true. This logic applies to all condition operators except ...IfExists and Null check."
// - reference_policies_multi-value-conditions: several operators or keys are ANDed; several values for one key
//   are ORed; for a negated operator they are NORed. ForAnyValue / ForAllValues qualify multivalued keys
//   (ForAllValues is true when the key is absent; ForAnyValue is false).
// Context keys are case-insensitive (reference_policies_elements_condition); values are compared as written.
// IpAddress / NotIpAddress: "Matching specified IP address or range" in CIDR notation, IPv4 or IPv6; an address
// without a prefix length is that one address (condition operators reference, "IP address condition operators").
import { BlockList, isIPv4, isIPv6 } from "node:net";

/** Request context: lower-cased key -> value(s). An absent key is simply not there. */
export type RequestContext = Record<string, string | string[]>;

/** `*` and `?` wildcards (StringLike, ArnLike, Resource, Action). */
export function wildcard(pattern: string, flags = ""): RegExp {
  const src = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${src}$`, `s${flags}`);
}

const memo = new Map<string, RegExp>();
function like(pattern: string, value: string, ignoreCase = false): boolean {
  const id = `${ignoreCase ? "i" : "c"}${pattern}`;
  let re = memo.get(id);
  if (!re) {
    if (memo.size > 5000) memo.clear();
    re = wildcard(pattern, ignoreCase ? "i" : "");
    memo.set(id, re);
  }
  return re.test(value);
}

type Match = (policyValue: string, requestValue: string) => boolean;

const cidrs = new Map<string, BlockList | null>();
/** Whether `address` is in `cidr` ("203.0.113.0/24", "2001:db8::/32", or one address). A malformed CIDR matches nothing. */
function inCidr(cidr: string, address: string): boolean {
  let list = cidrs.get(cidr);
  if (list === undefined) {
    if (cidrs.size > 1000) cidrs.clear();
    const [net, bits] = cidr.trim().split("/");
    const type = isIPv4(net ?? "") ? "ipv4" : isIPv6(net ?? "") ? "ipv6" : undefined;
    const prefix = bits === undefined ? (type === "ipv4" ? 32 : 128) : Number(bits);
    list = null;
    if (type && Number.isInteger(prefix) && prefix >= 0 && prefix <= (type === "ipv4" ? 32 : 128)) {
      list = new BlockList();
      list.addSubnet(net!, prefix, type);
    }
    cidrs.set(cidr, list);
  }
  const a = address.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");
  const type = isIPv4(a) ? "ipv4" : isIPv6(a) ? "ipv6" : undefined;
  return list !== null && type !== undefined && list.check(a, type);
}

const num = (s: string): number => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : NaN);
const date = (s: string): number => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));

/** Arn matching compares the six colon-separated fields one by one (ArnLike allows wildcards in each). */
function arnLike(pattern: string, arn: string): boolean {
  const p = pattern.split(":");
  const a = arn.split(":");
  if (p.length < 6 || a.length < 6) return false;
  const pHead = p.slice(0, 5);
  const aHead = a.slice(0, 5);
  return pHead.every((x, i) => like(x, aHead[i] as string)) && like(p.slice(5).join(":"), a.slice(5).join(":"));
}

/** Base operators: name -> [matcher, negated]. */
const OPERATORS: Record<string, [Match, boolean]> = {
  StringEquals: [(p, v) => p === v, false],
  StringNotEquals: [(p, v) => p === v, true],
  StringEqualsIgnoreCase: [(p, v) => p.toLowerCase() === v.toLowerCase(), false],
  StringNotEqualsIgnoreCase: [(p, v) => p.toLowerCase() === v.toLowerCase(), true],
  StringLike: [(p, v) => like(p, v), false],
  StringNotLike: [(p, v) => like(p, v), true],
  NumericEquals: [(p, v) => num(p) === num(v), false],
  NumericNotEquals: [(p, v) => num(p) === num(v), true],
  NumericLessThan: [(p, v) => num(v) < num(p), false],
  NumericLessThanEquals: [(p, v) => num(v) <= num(p), false],
  NumericGreaterThan: [(p, v) => num(v) > num(p), false],
  NumericGreaterThanEquals: [(p, v) => num(v) >= num(p), false],
  DateEquals: [(p, v) => date(p) === date(v), false],
  DateNotEquals: [(p, v) => date(p) === date(v), true],
  DateLessThan: [(p, v) => date(v) < date(p), false],
  DateLessThanEquals: [(p, v) => date(v) <= date(p), false],
  DateGreaterThan: [(p, v) => date(v) > date(p), false],
  DateGreaterThanEquals: [(p, v) => date(v) >= date(p), false],
  Bool: [(p, v) => p.toLowerCase() === v.toLowerCase(), false],
  ArnEquals: [(p, v) => p === v, false],
  ArnNotEquals: [(p, v) => p === v, true],
  ArnLike: [arnLike, false],
  ArnNotLike: [arnLike, true],
  IpAddress: [inCidr, false],
  NotIpAddress: [inCidr, true],
};

function splitOperator(op: string): { set?: "any" | "all"; base: string; ifExists: boolean } {
  let rest = op;
  let set: "any" | "all" | undefined;
  if (rest.startsWith("ForAnyValue:")) {
    set = "any";
    rest = rest.slice(12);
  } else if (rest.startsWith("ForAllValues:")) {
    set = "all";
    rest = rest.slice(13);
  }
  const ifExists = rest.endsWith("IfExists") && rest !== "IfExists";
  const base = ifExists ? rest.slice(0, -8) : rest;
  return set ? { set, base, ifExists } : { base, ifExists };
}

/** One operator, one key, its policy values, against the request context. Unknown operators never match. */
export function conditionHolds(op: string, key: string, policyValues: string[], ctx: RequestContext): boolean {
  const { set, base, ifExists } = splitOperator(op);
  const raw = ctx[key.toLowerCase()];
  const present = raw !== undefined && !(Array.isArray(raw) && raw.length === 0);
  if (base === "Null") {
    // "true": the key must be absent; "false": present. Several values are ORed.
    return policyValues.some((p) => (p.toLowerCase() === "true" ? !present : present));
  }
  const entry = OPERATORS[base];
  if (!entry) return false;
  const [match, negated] = entry;
  if (!present) {
    if (set === "all") return true;
    if (set === "any") return false;
    return ifExists || negated;
  }
  const values = Array.isArray(raw) ? raw : [raw as string];
  const one = (v: string): boolean => {
    const hit = policyValues.some((p) => match(p, v));
    return negated ? !hit : hit;
  };
  if (set === "all") return values.every(one);
  if (set === "any") return values.some(one);
  // A single-valued key: the first value.
  return one(values[0] as string);
}

/** Every operator and key of a Condition block holds (logical AND). */
export function conditionsHold(block: Record<string, Record<string, string[]>>, ctx: RequestContext): boolean {
  for (const [op, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      if (!conditionHolds(op, key, values, ctx)) return false;
    }
  }
  return true;
}
