// IAM policy documents: the JSON grammar (IAM JSON policy element reference) validated with zod, then
// normalised so the evaluator sees arrays only. A document that does not parse is what S3 calls
// MalformedPolicy (PutBucketPolicy) — the caller decides how to report it.
// - The grammar (reference_policies_grammar): <principal_map_entry> = ("AWS" | "Federated" | "Service" |
//   "CanonicalUser") : [<principal_id_string>, ...], several entries in one map; "Quotation marks are optional
//   for numeric and Boolean values" (condition values: normalised to strings, as written).
// - "You cannot use a wildcard to match part of a principal name or ARN" (reference_policies_elements_principal):
//   S3 refuses such a bucket policy with MalformedPolicy "Invalid principal in policy" (repost.aws knowledge
//   center s3-invalid-principal-in-policy-error: "If your Amazon S3 bucket policy contains an invalid value of
//   the Principal element, then you receive the "Invalid principal in policy" error").
// - An unknown condition operator: S3 answers MalformedPolicy "Invalid Condition type : <name>" (versitygw's
//   catalogue of S3's answers, auth/bucket_policy.go — third-party; the IAM grammar lists the operators, see
//   conditions.ts).
import { z } from "zod";
import { knownOperator } from "./conditions.js";

const strOrList = z.union([z.string(), z.array(z.string()).min(1)]);
const principalMap = z
  .object({ AWS: strOrList.optional(), Service: strOrList.optional(), Federated: strOrList.optional(), CanonicalUser: strOrList.optional() })
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), "Invalid principal in policy");
const principal = z.union([z.literal("*"), principalMap]);
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const conditionBlock = z.record(z.string(), z.record(z.string(), z.union([scalar, z.array(scalar).min(1)])));

const statement = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(["Allow", "Deny"]),
    Principal: principal.optional(),
    NotPrincipal: principal.optional(),
    Action: strOrList.optional(),
    NotAction: strOrList.optional(),
    Resource: strOrList.optional(),
    NotResource: strOrList.optional(),
    Condition: conditionBlock.optional(),
  })
  .strict()
  .refine((s) => (s.Action === undefined) !== (s.NotAction === undefined), "a statement needs exactly one of Action or NotAction")
  .refine((s) => (s.Resource === undefined) !== (s.NotResource === undefined), "a statement needs exactly one of Resource or NotResource")
  .refine((s) => s.Principal === undefined || s.NotPrincipal === undefined, "a statement cannot have both Principal and NotPrincipal");

const documentSchema = z
  .object({
    Version: z.enum(["2012-10-17", "2008-10-17"]).optional(),
    Id: z.string().optional(),
    Statement: z.preprocess((v) => (Array.isArray(v) || v === undefined ? v : [v]), z.array(statement).min(1)),
  })
  .strict();

export type PolicyDocumentInput = z.input<typeof documentSchema>;

/** A statement with every list-or-string field as a list. */
export interface Statement {
  sid?: string;
  effect: "Allow" | "Deny";
  /** The Principal's AWS entries. undefined = no Principal element (identity policies). "*" = everyone. */
  principals?: string[] | "*";
  notPrincipals?: string[] | "*";
  /** The Principal's other entries (Service, Federated, CanonicalUser), when it has any. */
  principalOthers?: PrincipalOthers;
  notPrincipalOthers?: PrincipalOthers;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  /** operator -> key -> values */
  conditions: Record<string, Record<string, string[]>>;
}

export interface PrincipalOthers {
  Service?: string[];
  Federated?: string[];
  CanonicalUser?: string[];
}

export interface Policy {
  /** The Version element; undefined = absent (IAM's default, 2008-10-17: no policy variables). */
  version?: "2012-10-17" | "2008-10-17";
  statements: Statement[];
}

/** Policy variables apply in Version 2012-10-17 policies only (see conditions.ts). */
export const hasVariables = (p: Policy): boolean => p.version === "2012-10-17";

const list = (v: string | string[]): string[] => (typeof v === "string" ? [v] : v);

const ACCOUNT = /^\d{12}$/;
// An IAM user/role/root ARN, an assumed-role session or federated user ARN, or a CloudFront origin access
// identity (arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID); unique ids (AIDA…, AROA…) are
// what GetBucketPolicy shows for a principal that was deleted (IAM User Guide, Principal: "the principal ID
// appears in resource-based policies because AWS can no longer map it back to a valid ARN"): they name nobody.
const AWS_PRINCIPAL = /^(arn:aws[a-z-]*:(iam::(\d{12}:(root|user\/.+|role\/.+)|cloudfront:user\/.+)|sts::\d{12}:(assumed-role\/[^/]+\/.+|federated-user\/.+))|A[A-Z0-9]{15,127})$/;

const invalidPrincipal = (): Error => new Error("Invalid principal in policy");

function principals(p: z.infer<typeof principal> | undefined): string[] | "*" | undefined {
  if (p === undefined) return undefined;
  if (p === "*") return "*";
  const aws = p.AWS === undefined ? [] : list(p.AWS);
  for (const a of aws) {
    // "*" alone is everyone; a wildcard in part of a principal is refused, as is what is no principal at all.
    if (a !== "*" && (/[*?]/.test(a) || !(ACCOUNT.test(a) || AWS_PRINCIPAL.test(a)))) throw invalidPrincipal();
  }
  for (const v of [...(p.Service === undefined ? [] : list(p.Service)), ...(p.Federated === undefined ? [] : list(p.Federated)), ...(p.CanonicalUser === undefined ? [] : list(p.CanonicalUser))]) {
    if (v === "" || /[*?]/.test(v)) throw invalidPrincipal();
  }
  return aws.includes("*") ? "*" : aws;
}

function others(p: z.infer<typeof principal> | undefined): PrincipalOthers | undefined {
  if (p === undefined || p === "*") return undefined;
  const out: PrincipalOthers = {};
  if (p.Service !== undefined) out.Service = list(p.Service);
  if (p.Federated !== undefined) out.Federated = list(p.Federated);
  if (p.CanonicalUser !== undefined) out.CanonicalUser = list(p.CanonicalUser);
  return Object.keys(out).length ? out : undefined;
}

/** Parse a policy document (object or JSON text). Throws Error with a one-line reason when malformed. */
export function parsePolicy(doc: unknown): Policy {
  let raw = doc;
  if (typeof doc === "string") {
    try {
      raw = JSON.parse(doc);
    } catch {
      throw new Error("Policies must be valid JSON");
    }
  }
  const r = documentSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue && issue.path.length ? ` (at ${issue.path.join(".")})` : "";
    throw new Error(`${issue?.message ?? "invalid policy"}${where}`);
  }
  const policy: Policy = {
    statements: r.data.Statement.map((s) => {
      const out: Statement = { effect: s.Effect, conditions: {} };
      if (s.Sid !== undefined) out.sid = s.Sid;
      const p = principals(s.Principal);
      if (p !== undefined) out.principals = p;
      const po = others(s.Principal);
      if (po !== undefined) out.principalOthers = po;
      const np = principals(s.NotPrincipal);
      if (np !== undefined) out.notPrincipals = np;
      const npo = others(s.NotPrincipal);
      if (npo !== undefined) out.notPrincipalOthers = npo;
      if (s.Action !== undefined) out.actions = list(s.Action);
      if (s.NotAction !== undefined) out.notActions = list(s.NotAction);
      if (s.Resource !== undefined) out.resources = list(s.Resource);
      if (s.NotResource !== undefined) out.notResources = list(s.NotResource);
      for (const [op, keys] of Object.entries(s.Condition ?? {})) {
        if (!knownOperator(op)) throw new Error(`Invalid Condition type : ${op}`);
        const m: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(keys)) m[k] = (Array.isArray(v) ? v : [v]).map(String);
        out.conditions[op] = m;
      }
      return out;
    }),
  };
  if (r.data.Version !== undefined) policy.version = r.data.Version;
  return policy;
}
