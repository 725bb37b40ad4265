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
import { conditionsHold, expandVariables, wildcard, type RequestContext } from "./conditions.js";
import { hasVariables, type Policy, type PrincipalOthers, type Statement } from "./document.js";

export interface Caller {
  /** The principal's ARN as IAM sees it: user ARN, or the assumed-role session ARN. */
  arn: string;
  accountId: string;
  /** For an assumed-role session: the role's ARN (a resource policy naming the role matches its sessions). */
  roleArn?: string;
  /** The account's S3 canonical user id, when known (a bucket policy's CanonicalUser principal names it). */
  canonicalId?: string;
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
/** Resource / NotResource matching; with `ctx` (a 2012-10-17 policy) "${...}" are policy variables (conditions.ts). */
function matchResource(raw: string, resource: string, ctx?: RequestContext): boolean {
  if (raw === "*") return true;
  const pattern = ctx && raw.includes("${") ? expandVariables(raw, ctx) : raw;
  // A Resource holding a variable with no value "will not match any resource" (reference_policies_variables).
  if (pattern === undefined) return false;
  let re = resourceRe.get(pattern);
  if (!re) {
    if (resourceRe.size > 10000) resourceRe.clear();
    re = wildcard(pattern);
    resourceRe.set(pattern, re);
  }
  return re.test(resource);
}

// Principal element matching (reference_policies_elements_principal):
// - "*" (or {"AWS": "*"}) is everyone.
// - An account, as its ID or "arn:aws:iam::ID:root": "The account ARN and the shortened account ID behave the
//   same way. Both delegate permissions to the account": every principal of that account. S3's CanonicalUser
//   entry names an account too (by its canonical user id).
// - An IAM user's ARN names that user; a role's ARN names the role, whose sessions act as it ("When you specify
//   the role principal in a resource-based policy, the effective permissions for the principal are limited
//   by any policy types that limit permissions for the role"); an assumed-role session ARN names that session
//   only ("Role session principals"; no wildcard: "Principals must always name a specific session").
// - Service and Federated entries name AWS services and web-identity/SAML sessions: never an IAM user or an
//   assumed-role session of an IAM role, the callers modelled here.

/** The identities IAM may evaluate the caller as, from the account down to the caller itself. */
function identities(c: Caller): { account: string[]; role?: string; self: string } {
  const account = [c.accountId, `arn:aws:iam::${c.accountId}:root`];
  if (c.canonicalId !== undefined) account.push(c.canonicalId);
  return c.roleArn !== undefined ? { account, role: c.roleArn, self: c.arn } : { account, self: c.arn };
}

const listed = (aws: string[], others: PrincipalOthers | undefined, id: string): boolean => aws.includes(id) || (others?.CanonicalUser?.includes(id) ?? false);

/** A Principal element names the caller: the account, the role (for its sessions), or the caller itself. */
function principalNamed(list: string[] | "*", others: PrincipalOthers | undefined, c: Caller): boolean {
  if (list === "*") return true;
  const id = identities(c);
  return id.account.some((a) => listed(list, others, a)) || (id.role !== undefined && listed(list, others, id.role)) || listed(list, others, id.self);
}

/**
 * A NotPrincipal element leaves the caller out of its statement. IAM User Guide, NotPrincipal ("NotPrincipal
 * with Deny"): "If an assumed-role user (someone who is using a role) is being evaluated, AWS might validate
 * the account first, then the role, and then the assumed-role user", and its example lists all three, "If the
 * NotPrincipal element was missing the ARN of the role, the effect of the policy might be to explicitly deny
 * access to the role ... if ... missing the ARN of the AWS account ... might be to explicitly deny access to the
 * AWS account"; for a user, "the ARN of both the user Bob and the AWS account". AWS Security Blog, "How to
 * restrict Amazon S3 bucket access to a specific IAM role": "When using the NotPrincipal element, you must
 * include both ARNs" (the role ARN and the assumed-role ARN). So a Deny spares the caller only when every level
 * that may be validated is listed: the account, the role and the session ARN (a user: the account and the user);
 * naming the role or the account alone spares none of its sessions. The documented example is what AWS
 * guarantees to work; where the page says "might", the emulator takes the reading that denies.
 * An Allow with NotPrincipal, the other way round, leaves out a caller any of whose levels is listed.
 */
function notPrincipalExcludes(s: Statement, c: Caller): boolean {
  const list = s.notPrincipals;
  if (list === undefined) return false;
  if (list === "*") return true;
  if (s.effect === "Allow") return principalNamed(list, s.notPrincipalOthers, c);
  const id = identities(c);
  const others = s.notPrincipalOthers;
  return id.account.some((a) => listed(list, others, a)) && (id.role === undefined || listed(list, others, id.role)) && listed(list, others, id.self);
}

function statementApplies(s: Statement, r: AccessRequest, isResourcePolicy: boolean, variables: boolean): boolean {
  return statementConcerns(s, r, isResourcePolicy, variables) && conditionsHold(s.conditions, r.context, variables);
}

/** The statement names this caller (resource policies), action and resource: only its conditions are left. */
function statementConcerns(s: Statement, r: AccessRequest, isResourcePolicy: boolean, variables = false): boolean {
  if (isResourcePolicy) {
    if (s.principals !== undefined && !principalNamed(s.principals, s.principalOthers, r.caller)) return false;
    if (notPrincipalExcludes(s, r.caller)) return false;
    if (s.principals === undefined && s.notPrincipals === undefined) return false;
  }
  const ctx = variables ? r.context : undefined;
  if (s.actions && !s.actions.some((a) => matchAction(a, r.action))) return false;
  if (s.notActions && s.notActions.some((a) => matchAction(a, r.action))) return false;
  if (s.resources && !s.resources.some((p) => matchResource(p, r.resource, ctx))) return false;
  if (s.notResources && s.notResources.some((p) => matchResource(p, r.resource, ctx))) return false;
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
    if (!statementConcerns(s, r, isResourcePolicy, hasVariables(policy))) continue;
    for (const block of Object.values(s.conditions)) for (const k of Object.keys(block)) keys.add(k.toLowerCase());
  }
  return [...keys];
}

const label = (policy: string, s: Statement, i: number): string => `${policy} statement ${s.sid !== undefined ? `"${s.sid}"` : `#${i + 1}`}`;

/** What one policy says: an explicit Deny (with its label), an Allow, or nothing. */
function verdict(name: string, policy: Policy, r: AccessRequest, isResource: boolean): { deny?: string; denyAt?: DecidingStatement; allow?: string } {
  let allow: string | undefined;
  const variables = hasVariables(policy);
  for (const [i, s] of policy.statements.entries()) {
    if (!statementApplies(s, r, isResource, variables)) continue;
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
