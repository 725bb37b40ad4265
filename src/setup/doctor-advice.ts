/**
 * What doctor tells you to do when your bucket policy refuses the provider's role. Never to replace or re-apply
 * a policy you have: a Deny there is one of your security controls (an organisation perimeter, TLS-only,
 * encryption required, …). So: name the statement and what it tests, and
 * - over plain HTTP, where the statement requires HTTPS (aws:SecureTransport): use an https endpoint;
 * - where an encryption header or a storage class would satisfy it: the `--sse` (and `--sse-kms-key-id`) and
 *   `--storage-class` flags, runnable as printed — also where no statement allows the role's writes but one
 *   would with them (an Allow whose condition asks for a class);
 * - else the smallest exemption of the provider's role from that statement (iam/exemption.ts, the same one
 *   `flexcopy policy --merge-current` / `--apply` add), keeping its effect for everyone else.
 * Where no statement allows the role, the manual's statements are added to your policy, not put in its place.
 */
import { STORAGE_CLASSES } from "../config/schema.js";
import { parsePolicy } from "../iam/document.js";
import { exemptRole } from "../iam/exemption.js";
import { crossAccountKey } from "../iam/kms.js";
import { decideFor, type PolicyFacts } from "./doctor-request.js";
import { prefixList, statementLabel, statementName, type RefusalGroup } from "./doctor-prefixes.js";

/** Adds the manual's statements to the policy you have (h-merge's `flexcopy policy --merge-current` / `--apply`). */
export const MERGE = "`flexcopy policy --merge-current` prints your bucket policy with the manual's statements added (every statement of yours kept), `flexcopy policy --apply` writes it, saving the current policy to a file first";
export const MERGE_MULTIPART = MERGE.replace("--merge-current", "--allow-multipart --merge-current").replace("--apply", "--allow-multipart --apply");

/** The manual's policy put on a bucket that has none (nothing of yours is replaced). */
export const APPLY_NEW = (bucket: string) =>
  `apply the bucket policy (step 1-2): flexcopy policy --bucket-policy > bucket-policy.json && aws s3api put-bucket-policy --bucket ${bucket} --policy file://bucket-policy.json (S3 accepts it only after JPX's setup-complete notice)`;

const KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id";
const FULL_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/+=,.@:-]+$/;

/** KMS key ARNs the policy names in conditions on the key-id header (a policy requiring one particular key). */
function keysNamed(f: PolicyFacts): string[] {
  const out = new Set<string>();
  for (const s of f.policy.statements) for (const block of Object.values(s.conditions)) for (const [k, v] of Object.entries(block)) if (k.toLowerCase() === KEY_ID) for (const x of v) if (FULL_KEY_ARN.test(x)) out.add(x);
  return [...out];
}

/** A key ARN of the right shape for a fix to run as printed; its key id is to be replaced. */
export const placeholderKey = (f: PolicyFacts): string => `arn:aws:kms:${f.env.region}:${f.ownerAccount ?? "111122223333"}:key/REPLACE-WITH-YOUR-KEY-ID`;

interface SseChoice {
  sse: "AES256" | "aws:kms";
  keyId?: string;
  placeholder: boolean;
}

const CLASS_KEY = "s3:x-amz-storage-class";

/** Storage classes the policy names in conditions on s3:x-amz-storage-class that flexcopy may send, in the order written. */
function classesNamed(f: PolicyFacts): string[] {
  const out = new Set<string>();
  for (const s of f.policy.statements) for (const block of Object.values(s.conditions)) for (const [k, v] of Object.entries(block)) if (k.toLowerCase() === CLASS_KEY) for (const x of v) if ((STORAGE_CLASSES as readonly string[]).includes(x)) out.add(x);
  return [...out];
}

/** What flexcopy's write flags would change: an encryption choice, a storage class, or both. */
interface WriteChoice {
  sse?: SseChoice;
  storageClass?: string;
}

/** The encryption choices doctor tries, in order: SSE-S3, a key the policy names, a key placeholder. */
function encryptionCandidates(f: PolicyFacts): (SseChoice & { probe?: string })[] {
  const placeholder = placeholderKey(f);
  return [
    { sse: "AES256", placeholder: false },
    ...keysNamed(f).map((k) => ({ sse: "aws:kms" as const, keyId: k, placeholder: false })),
    { sse: "aws:kms", keyId: placeholder, placeholder: true },
    // A policy that asks for aws:kms only: flexcopy needs a key ARN anyway (aws/s3 cannot be used by another account).
    { sse: "aws:kms", placeholder: true, probe: "none" },
  ];
}

/**
 * The `--sse` (and key) and/or `--storage-class` that let every probe of the group through, if any does: the
 * headers CopyObject and CreateMultipartUpload carry (S3 API Reference; their context keys: Service
 * Authorization Reference for Amazon S3, s3:x-amz-server-side-encryption*, s3:x-amz-storage-class on
 * s3:PutObject). A class alone first (the policy's classes, then every class flexcopy may send), then an
 * encryption alone, then both; the run's own settings are kept for what is not changed.
 */
function writeFlagsThatWork(f: PolicyFacts, op: string, g: RefusalGroup, headers: Record<string, string>): WriteChoice | undefined {
  if (op !== "CopyObject" && op !== "CreateMultipartUpload") return undefined;
  const classes = [...new Set([...classesNamed(f), ...STORAGE_CLASSES])].filter((c) => c !== headers["x-amz-storage-class"]);
  const withClass = (h: Record<string, string>, c: string | undefined): Record<string, string> => (c === undefined ? h : { ...h, "x-amz-storage-class": c });
  const withSse = (h: Record<string, string>, c: SseChoice & { probe?: string }): Record<string, string> => {
    const out: Record<string, string> = { ...Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith("x-amz-server-side-encryption"))), "x-amz-server-side-encryption": c.sse };
    if (c.keyId !== undefined && c.probe === undefined) out["x-amz-server-side-encryption-aws-kms-key-id"] = c.keyId;
    return out;
  };
  const passes = (h: Record<string, string>) => g.probes.every((p) => decideFor(f, op, p.key, h).allowed);
  const placeholder = placeholderKey(f);
  const sseOf = (c: SseChoice): SseChoice => (c.sse === "aws:kms" && c.keyId === undefined ? { ...c, keyId: placeholder } : { sse: c.sse, keyId: c.keyId, placeholder: c.placeholder });
  for (const c of classes) if (passes(withClass(headers, c))) return { storageClass: c };
  for (const e of encryptionCandidates(f)) if (passes(withSse(headers, e))) return { sse: sseOf(e) };
  for (const e of encryptionCandidates(f)) for (const c of classes) if (passes(withClass(withSse(headers, e), c))) return { sse: sseOf(e), storageClass: c };
  return undefined;
}

/** The fix as runnable flags, their environment variables and config keys. `lead`: what asks for them ("… requires"). */
function writeFix(c: WriteChoice, lead: string): string {
  const flags: string[] = [];
  const env: string[] = [];
  const keys: string[] = [];
  const what: string[] = [];
  let note = "";
  if (c.sse) {
    const e = c.sse;
    flags.push(e.sse === "AES256" ? "--sse AES256" : `--sse aws:kms --sse-kms-key-id ${e.keyId}`);
    env.push(e.sse === "AES256" ? "FLEXCOPY_SSE=AES256" : `FLEXCOPY_SSE=aws:kms FLEXCOPY_SSE_KMS_KEY_ID=${e.keyId}`);
    keys.push(e.sse === "aws:kms" ? '"sse"/"sseKmsKeyId"' : '"sse"');
    what.push("a server-side encryption header");
    note =
      e.sse === "aws:kms"
        ? e.placeholder
          ? ` — the key id is a placeholder: put your customer managed key's (the AWS managed key aws/s3 cannot be used by another account's role), whose key policy allows the provider's role (flexcopy policy --kms-key-policy)`
          : crossAccountKey(e.keyId) === "customer-managed"
            ? " (the key your policy names; its key policy must allow the provider's role: flexcopy policy --kms-key-policy)"
            : ""
        : "";
  }
  if (c.storageClass) {
    flags.push(`--storage-class ${c.storageClass}`);
    env.push(`FLEXCOPY_STORAGE_CLASS=${c.storageClass}`);
    keys.push('"storageClass"');
    what.push(`the storage class ${c.storageClass}`);
    if (c.storageClass === "GLACIER" || c.storageClass === "DEEP_ARCHIVE") note += `; objects in ${c.storageClass} must be restored before they can be read`;
  }
  return `${lead} ${what.join(" and ")}: add ${flags.join(" ")} to flexcopy's commands (or ${env.join(" ")}, or ${keys.join(" and ")} in the config file)${note}`;
}

/**
 * The fix for one group of refusals. `noAllow` is the fix where no statement allows the request; `partial` is
 * set when other probes are allowed (the Deny hits some prefixes only), so leaving those out is also a way.
 */
export function refusalFix(f: PolicyFacts, op: string, g: RefusalGroup, headers: Record<string, string>, noAllow: string, partial: boolean): string {
  if (g.index === undefined) {
    // No statement allows it: one may with flexcopy's write flags (an Allow whose condition asks for a class).
    const flags = writeFlagsThatWork(f, op, g, headers);
    return flags ? writeFix(flags, "your bucket policy allows the provider's role to write there only with") : noAllow;
  }
  const label = statementLabel(f, g.index);
  const probe = g.probes[0]!;
  // Over plain HTTP: does the statement still decide over HTTPS? If not, HTTPS is the fix (never an exemption).
  const overHttps = f.env.secure ? undefined : decideFor({ ...f, env: { ...f.env, secure: true } }, op, probe.key, headers);
  if (overHttps && overHttps.deny?.index !== g.index) {
    const then = overHttps.allowed ? "" : `; over HTTPS it is still refused (${overHttps.reason.replace(/ on arn:aws:s3:::\S+/, "")}): ${overHttps.deny ? "run flexcopy doctor again over HTTPS" : noAllow}`;
    return `your bucket policy's ${label} refuses requests over plain HTTP (aws:SecureTransport false), and flexcopy reaches S3 at ${f.env.endpoint}: use an https:// endpoint (--endpoint-url; AWS's own endpoints are HTTPS). Keep the statement: it protects every request${then}`;
  }
  const flags = writeFlagsThatWork(f, op, g, headers);
  if (flags) return writeFix(flags, `your bucket policy's ${label} requires`);
  const roleArn = f.caller.roleArn ?? "";
  const raw = f.raw[g.index];
  const leaveOut = partial ? `; or, if ${prefixList(g.probes)} is kept out on purpose, leave it out of what you fetch` : "";
  let ex;
  try {
    ex = raw ? exemptRole(raw, roleArn) : undefined;
  } catch {
    ex = undefined;
  }
  if (!ex || !ex.changed) {
    return `keep your bucket policy's ${label}; doctor finds no condition to exempt the provider's role ${roleArn} from it${ex ? ` (${ex.added})` : ""}: ask whoever owns that statement${leaveOut}`;
  }
  // With the exemption, is the request allowed? If no statement allows it even then, that is to be added too.
  const exempted = parsePolicy({ Statement: f.raw.map((st, i) => (i === g.index ? ex.statement : st)) });
  const after = decideFor({ ...f, policy: exempted }, op, probe.key, headers);
  const then = after.allowed || after.deny ? "" : `; then still: ${noAllow}`;
  const name = statementName(f, g.index);
  // The whole statement once per run; later lines point to it.
  if (f.shown?.has(g.index)) return `do not replace your policy: exempt only the provider's role from its ${name}, as shown above (flexcopy policy --merge-current / --apply)${leaveOut}${then}`;
  f.shown?.add(g.index);
  return `do not replace your policy: keep its ${name} and exempt only the provider's role from it — ${ex.added}; the statement becomes ${JSON.stringify(ex.statement)}; ${MERGE.replace("with the manual's statements added", "with this exemption and the manual's statements added")}${leaveOut}${then}`;
}
