// IAM policy evaluation for one request, after the IAM User Guide's evaluation logic
// (reference_policies_evaluation-logic, and -cross-account):
//   1. An explicit Deny in any applicable policy (identity or resource) denies.
//   2. Same account (principal and resource owner): an Allow in the identity policies OR in the resource
//      policy allows.
//   3. Cross-account: the identity policies (principal's account) AND the resource policy (resource's
//      account) must both Allow.
//   4. Otherwise the request is implicitly denied.
// Session policies, permissions boundaries, SCPs/RCPs and VPC endpoint policies are not modelled (flexcopy's
// setup has none of them).
import { conditionsHold, wildcard, type RequestContext } from "./conditions.js";
import type { Policy, Statement } from "./document.js";

export interface Caller {
  /** The principal's ARN as IAM sees it: user ARN, or the assumed-role session ARN. */
  arn: string;
  accountId: string;
  /** For an assumed-role session: the role's ARN (a resource policy naming the role matches its sessions). */
  roleArn?: string;
}

export interface AccessRequest {
  caller: Caller;
  action: string; // "s3:PutObject"
  resource: string; // "arn:aws:s3:::bucket/key"
  resourceAccount: string;
  context: RequestContext;
}

export interface Policies {
  identity: { name: string; policy: Policy }[];
  resource?: { name: string; policy: Policy };
}

/** The statement that decided a request: the explicit Deny, or the first Allow that applied. */
export interface DecidingStatement {
  /** The policy's name as given in `Policies` ("the bucket policy of …", "the role's identity policy"). */
  policy: string;
  /** "resource" for the bucket policy, "identity" for an identity policy. */
  kind: "resource" | "identity";
  /** Index of the statement in the policy's Statement list (0-based). */
  index: number;
  sid?: string;
  effect: "Allow" | "Deny";
}

export interface Decision {
  allowed: boolean;
  /** One line for logs: which Deny, or which Allow was missing. */
  reason: string;
  /** When an explicit Deny decided: the statement (doctor names it; policy --merge exempts the role in it). */
  deny?: DecidingStatement;
}

const actionRe = new Map<string, RegExp>();
function matchAction(pattern: string, action: string): boolean {
  let re = actionRe.get(pattern);
  if (!re) {
    re = wildcard(pattern, "i");
    actionRe.set(pattern, re);
  }
  return re.test(action);
}

const resourceRe = new Map<string, RegExp>();
function matchResource(pattern: string, resource: string): boolean {
  if (pattern === "*") return true;
  let re = resourceRe.get(pattern);
  if (!re) {
    if (resourceRe.size > 10000) resourceRe.clear();
    re = wildcard(pattern);
    resourceRe.set(pattern, re);
  }
  return re.test(resource);
}

/** Principal element matching (reference_policies_elements_principal): "*", an account, a role, a user, a session. */
function principalNamed(list: string[] | "*", c: Caller): boolean {
  if (list === "*") return true;
  return list.some((p) => {
    if (p === c.accountId || p === `arn:aws:iam::${c.accountId}:root`) return true;
    return p === c.arn || (c.roleArn !== undefined && p === c.roleArn);
  });
}

function statementApplies(s: Statement, r: AccessRequest, isResourcePolicy: boolean): boolean {
  return statementConcerns(s, r, isResourcePolicy) && conditionsHold(s.conditions, r.context);
}

/** The statement names this caller (resource policies), action and resource: only its conditions are left. */
function statementConcerns(s: Statement, r: AccessRequest, isResourcePolicy: boolean): boolean {
  if (isResourcePolicy) {
    if (s.principals !== undefined && !principalNamed(s.principals, r.caller)) return false;
    if (s.notPrincipals !== undefined && principalNamed(s.notPrincipals, r.caller)) return false;
    if (s.principals === undefined && s.notPrincipals === undefined) return false;
  }
  if (s.actions && !s.actions.some((a) => matchAction(a, r.action))) return false;
  if (s.notActions && s.notActions.some((a) => matchAction(a, r.action))) return false;
  if (s.resources && !s.resources.some((p) => matchResource(p, r.resource))) return false;
  if (s.notResources && s.notResources.some((p) => matchResource(p, r.resource))) return false;
  return true;
}

/**
 * The condition keys (lower-cased) that the policy's statements about this request test: those whose
 * principal, action and resource match, whatever their conditions say. Lets an offline check (doctor) tell
 * when a decision hangs on facts its request context cannot hold, such as aws:SourceIp.
 */
export function conditionKeysFor(r: AccessRequest, policy: Policy, isResourcePolicy: boolean): string[] {
  const keys = new Set<string>();
  for (const s of policy.statements) {
    if (!statementConcerns(s, r, isResourcePolicy)) continue;
    for (const block of Object.values(s.conditions)) for (const k of Object.keys(block)) keys.add(k.toLowerCase());
  }
  return [...keys];
}

const label = (policy: string, s: Statement, i: number): string => `${policy} statement ${s.sid !== undefined ? `"${s.sid}"` : `#${i + 1}`}`;

/** What one policy says: an explicit Deny (with its label), an Allow, or nothing. */
function verdict(name: string, policy: Policy, r: AccessRequest, isResource: boolean): { deny?: string; denyAt?: DecidingStatement; allow?: string } {
  let allow: string | undefined;
  for (const [i, s] of policy.statements.entries()) {
    if (!statementApplies(s, r, isResource)) continue;
    if (s.effect === "Deny") {
      const denyAt: DecidingStatement = { policy: name, kind: isResource ? "resource" : "identity", index: i, effect: "Deny" };
      if (s.sid !== undefined) denyAt.sid = s.sid;
      return { deny: label(name, s, i), denyAt };
    }
    allow ??= label(name, s, i);
  }
  return allow !== undefined ? { allow } : {};
}

export function evaluate(r: AccessRequest, p: Policies): Decision {
  const idAllows: string[] = [];
  for (const { name, policy } of p.identity) {
    const v = verdict(name, policy, r, false);
    if (v.deny) return { allowed: false, reason: `explicit Deny in ${v.deny}`, ...(v.denyAt ? { deny: v.denyAt } : {}) };
    if (v.allow) idAllows.push(v.allow);
  }
  let resAllow: string | undefined;
  if (p.resource) {
    const v = verdict(p.resource.name, p.resource.policy, r, true);
    if (v.deny) return { allowed: false, reason: `explicit Deny in ${v.deny}`, ...(v.denyAt ? { deny: v.denyAt } : {}) };
    resAllow = v.allow;
  }
  const same = r.caller.accountId === r.resourceAccount;
  if (same) {
    if (idAllows.length || resAllow) return { allowed: true, reason: `allowed by ${idAllows[0] ?? resAllow}` };
    return { allowed: false, reason: `no Allow for ${r.action} on ${r.resource} in the identity policy or the ${p.resource ? "resource" : "(absent) resource"} policy` };
  }
  if (idAllows.length && resAllow) return { allowed: true, reason: `allowed by ${idAllows[0]} and ${resAllow}` };
  if (!resAllow) return { allowed: false, reason: `cross-account: no Allow for ${r.action} on ${r.resource} in ${p.resource ? p.resource.name : "the resource policy (none set)"}` };
  return { allowed: false, reason: `cross-account: no Allow for ${r.action} on ${r.resource} in the caller's identity policy` };
}
