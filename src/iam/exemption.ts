// The smallest exemption that lets the provider's role through a Deny statement and keeps the statement's
// effect for every other principal: one more value on a negated condition on aws:PrincipalArn.
// Sources:
// - IAM User Guide, "AWS global condition context keys", aws:PrincipalArn: "IAM role – The request context
//   contains the following value for condition key aws:PrincipalArn. Do not specify the assumed role session ARN
//   as a value for this condition key." (value: arn:aws:iam::123456789012:role/role-name), and "Use ARN
//   condition operators rather than String condition operators when comparing ARNs". So every session of the role
//   (arn:aws:sts::ACCT:assumed-role/NAME/*) carries the role's ARN, whatever the session name.
// - IAM User Guide, "Creating a condition with multiple context keys or values": conditions (operators and keys)
//   are ANDed; the values of one key are ORed, and for a negated operator ("ArnNotLike", "StringNotEquals", …)
//   the condition holds only when the value matches none of them. Adding the role's ARN to such a list (or adding
//   a new ArnNotLike key beside the others) makes the statement not apply to the role and leaves it deciding
//   exactly as before for every principal whose aws:PrincipalArn is not the role's.
// - Condition keys are case-insensitive, operator names are not (reference_policies_elements_condition): an
//   existing "aws:principalarn" key is found whatever its spelling and keeps it.
// - "NotPrincipal": a Deny with NotPrincipal exempts a role's session only when the session ARN is listed ("you
//   must include both ARNs"), and a Principal element takes no partial wildcard, so sessions with unknown names
//   cannot be listed there. The page recommends a condition on aws:PrincipalArn instead: that is what is added;
//   the NotPrincipal list stays as written.
// - Absent aws:PrincipalArn (anonymous requests): a negated operator, with or without IfExists, holds
//   (reference_policies_elements_condition_operators), so an anonymous request is decided as before too.
import { conditionHolds } from "./conditions.js";

/** A statement as written in a policy document (raw JSON object, Sid/Effect/Principal/NotPrincipal/Action/NotAction/Resource/NotResource/Condition). */
export type RawStatement = Record<string, unknown>;
export interface Exemption {
  statement: RawStatement;
  /** one line: what was added and why */
  added: string;
  changed: boolean;
}

const PRINCIPAL_ARN = "aws:principalarn";

/**
 * Negated operators a list of exempt principals may already sit under, in the order an existing list is reused.
 * A value added to any of them exempts the role exactly; a fresh one is always ArnNotLike.
 */
const EXEMPT_OPERATORS = [
  "ArnNotLike",
  "ArnNotEquals",
  "ArnNotLikeIfExists",
  "ArnNotEqualsIfExists",
  "StringNotLike",
  "StringNotEquals",
  "StringNotEqualsIgnoreCase",
  "StringNotLikeIfExists",
  "StringNotEqualsIfExists",
  "StringNotEqualsIgnoreCaseIfExists",
];

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

const nameOf = (s: RawStatement): string => (typeof s.Sid === "string" && s.Sid !== "" ? `statement "${s.Sid}"` : "the statement");

const values = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/** The key of `block` that is aws:PrincipalArn, whatever its spelling. */
const principalArnKey = (block: Record<string, unknown>): string | undefined => Object.keys(block).find((k) => k.toLowerCase() === PRINCIPAL_ARN);

/** Exempt the principal `roleArn` (an IAM role ARN; its sessions are arn:aws:sts::ACCT:assumed-role/NAME/*) from one Deny statement. Idempotent: exempting an already-exempt statement returns it unchanged (changed: false). */
export function exemptRole(statement: RawStatement, roleArn: string): Exemption {
  if (!ROLE_ARN.test(roleArn)) throw new Error(`not an IAM role ARN: ${roleArn}`);
  const name = nameOf(statement);
  if (statement.Effect !== "Deny") return { statement, added: `${name} is not a Deny: nothing to exempt`, changed: false };
  const condition = statement.Condition;
  const blocks: Record<string, Record<string, unknown>> =
    condition !== undefined && condition !== null && typeof condition === "object" ? (condition as Record<string, Record<string, unknown>>) : {};

  // Already exempt: a condition on aws:PrincipalArn that is false for the role (its sessions carry the role's
  // ARN there), so the statement never applies to the role. Decided with the evaluator's own operators.
  const roleCtx = { [PRINCIPAL_ARN]: roleArn };
  for (const [op, block] of Object.entries(blocks)) {
    if (block === null || typeof block !== "object") continue;
    const key = principalArnKey(block);
    if (key !== undefined && !conditionHolds(op, key, values(block[key]), roleCtx)) {
      return { statement, added: `${name} already does not apply to ${roleArn} (${op} ${key})`, changed: false };
    }
  }

  const out: RawStatement = structuredClone(statement);
  const cond = (out.Condition ?? {}) as Record<string, Record<string, unknown>>;
  for (const op of EXEMPT_OPERATORS) {
    const block = cond[op];
    if (block === undefined || typeof block !== "object") continue;
    const key = principalArnKey(block);
    if (key === undefined) continue;
    block[key] = [...values(block[key]), roleArn];
    out.Condition = cond;
    return { statement: out, added: `${name}: added ${roleArn} to its ${op} ${key} list, so the Deny no longer applies to the provider's role (its sessions' aws:PrincipalArn); other principals are decided as before`, changed: true };
  }
  const block = cond.ArnNotLike ?? {};
  block["aws:PrincipalArn"] = [roleArn];
  cond.ArnNotLike = block;
  out.Condition = cond;
  const why = out.NotPrincipal !== undefined ? " (a NotPrincipal list cannot name the role's sessions)" : "";
  return {
    statement: out,
    added: `${name}: added ArnNotLike aws:PrincipalArn ${roleArn}${why}, so the Deny no longer applies to the provider's role (its sessions' aws:PrincipalArn); its other conditions are unchanged`,
    changed: true,
  };
}
