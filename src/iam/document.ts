// IAM policy documents: the JSON grammar (IAM JSON policy element reference) validated with zod, then
// normalised so the evaluator sees arrays only. A document that does not parse is what S3 calls
// MalformedPolicy (PutBucketPolicy) — the caller decides how to report it.
import { z } from "zod";

const strOrList = z.union([z.string(), z.array(z.string()).min(1)]);
const principal = z.union([z.literal("*"), z.object({ AWS: strOrList }).strict(), z.object({ Service: strOrList }).strict()]);
const conditionBlock = z.record(z.string(), z.record(z.string(), z.union([strOrList, z.boolean(), z.number()])));

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
  /** undefined = no Principal element (identity policies). "*" = everyone. */
  principals?: string[] | "*";
  notPrincipals?: string[] | "*";
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  /** operator -> key -> values */
  conditions: Record<string, Record<string, string[]>>;
}

export interface Policy {
  statements: Statement[];
}

const list = (v: string | string[]): string[] => (typeof v === "string" ? [v] : v);

function principals(p: z.infer<typeof principal> | undefined): string[] | "*" | undefined {
  if (p === undefined) return undefined;
  if (p === "*") return "*";
  const aws = "AWS" in p ? list(p.AWS) : [];
  return aws.includes("*") ? "*" : aws;
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
  return {
    statements: r.data.Statement.map((s) => {
      const out: Statement = { effect: s.Effect, conditions: {} };
      if (s.Sid !== undefined) out.sid = s.Sid;
      const p = principals(s.Principal);
      if (p !== undefined) out.principals = p;
      const np = principals(s.NotPrincipal);
      if (np !== undefined) out.notPrincipals = np;
      if (s.Action !== undefined) out.actions = list(s.Action);
      if (s.NotAction !== undefined) out.notActions = list(s.NotAction);
      if (s.Resource !== undefined) out.resources = list(s.Resource);
      if (s.NotResource !== undefined) out.notResources = list(s.NotResource);
      for (const [op, keys] of Object.entries(s.Condition ?? {})) {
        const m: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(keys)) m[k] = Array.isArray(v) ? v : [String(v)];
        out.conditions[op] = m;
      }
      return out;
    }),
  };
}
