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
// ArnEquals / ArnNotEquals: the same page gives them one description with ArnLike / ArnNotLike: "Each of the
// six colon-delimited components of the ARN is checked separately and each can include multi-character match
// wildcards (*) or single-character match wildcards (?)": so ArnEquals matches as ArnLike does.
// BinaryEquals: "the key value ... base64 encoded": compared as the written base64 strings.
// Policy variables (reference_policies_variables): "${key}" in Resource and in string (and ARN) comparisons of a
// Condition, in Version 2012-10-17 policies only ("variables such as ${aws:username} aren't recognized as
// variables and are instead treated as literal strings" under 2008-10-17, reference_policies_elements_version;
// the default Version is 2008-10-17). "${*}", "${?}", "${$}" are the literal characters; "${key, 'default'}"
// gives a default. Key names are case-insensitive. A variable whose key is absent (or multivalued) has no
// value: "StringEquals or StringLike do not match ... Inverted condition operators like StringNotEquals or
// StringNotLike do match against a null value", and a Resource holding it "will not match any resource".
import { BlockList, isIPv4, isIPv6 } from "node:net";

/** Request context: lower-cased key -> value(s). An absent key is simply not there. */
export type RequestContext = Record<string, string | string[]>;

// A literal "*" / "?" inside an expanded pattern (from ${*}, ${?} or a variable's value): never a wildcard.
const LIT_STAR = "\u0000";
const LIT_QMARK = "\u0001";

/** `*` and `?` wildcards (StringLike, ArnLike, Resource, Action); literal ones from `expandVariables` stay literal. */
export function wildcard(pattern: string, flags = ""): RegExp {
  const src = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".")
    .split(LIT_STAR)
    .join("\\*")
    .split(LIT_QMARK)
    .join("\\?");
  return new RegExp(`^${src}$`, `s${flags}`);
}

const VARIABLE = /^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$/;

/**
 * Replace the policy variables of `s` from the request context (see above). The result keeps a variable's value
 * and the escapes ${*} ${?} as literal characters for `wildcard`; `literal` turns it back into plain text for
 * the equality operators. undefined when a variable has no value (absent key, no default).
 */
export function expandVariables(s: string, ctx: RequestContext): string | undefined {
  if (!s.includes("${")) return s;
  let out = "";
  let i = 0;
  for (;;) {
    const start = s.indexOf("${", i);
    const end = start < 0 ? -1 : s.indexOf("}", start);
    if (start < 0 || end < 0) return out + s.slice(i);
    out += s.slice(i, start);
    const body = s.slice(start + 2, end);
    if (body === "*") out += LIT_STAR;
    else if (body === "?") out += LIT_QMARK;
    else if (body === "$") out += "$";
    else {
      const m = VARIABLE.exec(body);
      const v = m ? ctx[(m[1] as string).toLowerCase()] : undefined;
      const value = typeof v === "string" ? v : m?.[2];
      if (value === undefined) return undefined;
      out += value.split("*").join(LIT_STAR).split("?").join(LIT_QMARK);
    }
    i = end + 1;
  }
}

/** An expanded pattern as plain text (its literal "*" and "?" back as characters). */
export const literal = (s: string): string => (s.includes(LIT_STAR) || s.includes(LIT_QMARK) ? s.split(LIT_STAR).join("*").split(LIT_QMARK).join("?") : s);

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
  StringEquals: [(p, v) => literal(p) === v, false],
  StringNotEquals: [(p, v) => literal(p) === v, true],
  StringEqualsIgnoreCase: [(p, v) => literal(p).toLowerCase() === v.toLowerCase(), false],
  StringNotEqualsIgnoreCase: [(p, v) => literal(p).toLowerCase() === v.toLowerCase(), true],
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
  BinaryEquals: [(p, v) => p === v, false],
  ArnEquals: [arnLike, false],
  ArnNotEquals: [arnLike, true],
  ArnLike: [arnLike, false],
  ArnNotLike: [arnLike, true],
  IpAddress: [inCidr, false],
  NotIpAddress: [inCidr, true],
};

/** Operators whose policy values may hold policy variables (string and ARN comparisons). */
const TAKES_VARIABLES = /^(String|Arn)/;

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

/** Whether `op` is a condition operator IAM knows (a base operator, optionally ForAnyValue:/ForAllValues: and IfExists). */
export function knownOperator(op: string): boolean {
  const { base, ifExists } = splitOperator(op);
  return base === "Null" ? !ifExists : base in OPERATORS;
}

/**
 * One operator, one key, its policy values, against the request context. Unknown operators never match.
 * `variables`: the policy is Version 2012-10-17, so "${...}" in string and ARN values are policy variables.
 */
export function conditionHolds(op: string, key: string, written: string[], ctx: RequestContext, variables = false): boolean {
  const { set, base, ifExists } = splitOperator(op);
  let policyValues = written;
  if (variables && TAKES_VARIABLES.test(base) && written.some((v) => v.includes("${"))) {
    // A value whose variable has no value matches nothing (so a negated operator's NOR holds for it).
    policyValues = written.map((v) => expandVariables(v, ctx)).filter((v): v is string => v !== undefined);
  }
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
export function conditionsHold(block: Record<string, Record<string, string[]>>, ctx: RequestContext, variables = false): boolean {
  for (const [op, keys] of Object.entries(block)) {
    for (const [key, values] of Object.entries(keys)) {
      if (!conditionHolds(op, key, values, ctx, variables)) return false;
    }
  }
  return true;
}
