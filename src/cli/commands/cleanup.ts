import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { isAccessDenied } from "../../aws/classify.js";
import { makeS3Client } from "../../aws/clients.js";
import { baseCredentials } from "../../aws/credentials.js";
import type { FlexConfig } from "../../config/schema.js";
import { formatDuration } from "../../config/sizes.js";
import { bucketHasKey, cleanupUploads, type CleanupItem, type CleanupReport, type Identity } from "../../engine/cleanup.js";
import type { Emit } from "../../engine/events.js";
import { RequestError, Requester } from "../../engine/request.js";
import { FileJournal, journalFiles, lockHolder } from "../../state/journal-file.js";
import type { LockHolder } from "../../state/lock.js";
import { makeOutput, warnDamaged, type OutputFlags } from "../common.js";
import { AuthError, EXIT, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions, requireDestBucket } from "../options.js";
import { redact, registerSecret } from "../redact.js";
import { recordPrinter, type TextForms } from "../output/records.js";
import { interruptibleQuietly } from "../run-copy.js";
import { clientSettings, giveUp, openSession, type Session } from "../session.js";
import { s3Store } from "../../engine/storage.js";

interface CleanupFlags extends OutputFlags {
  prefix?: string;
  all?: boolean;
  dryRun?: boolean;
  stateDir?: string;
}

const HELP = `
An interrupted multipart copy leaves an incomplete upload in your bucket; S3 bills its parts until
it is aborted (or a lifecycle rule expires it). A re-run of fetch continues such uploads, so clean
up only when you will not resume. While a fetch with the same state directory runs (it holds its
journal's lock), cleanup refuses (exit 2) rather than abort that fetch's uploads in flight;
--dry-run still runs, and shows that fetch's uploads as kept.

Which uploads are flexcopy's:
  - the upload ids in flexcopy's resume journal (~/.local/state/flexcopy/<dest-bucket>.journal.ndjson,
    or --state-dir), when that journal exists, and the uploads a crash orphaned: those the provider's
    role started for a key the journal was about to upload (an "intent" record) but never recorded;
  - otherwise, uploads whose key is also a key of the provider's bucket (flexcopy keeps the keys);
  - --all: every incomplete upload in the bucket (or under --prefix).

Credentials: uploads are listed and aborted with the provider's role first; where the bucket
policy does not allow that (listing uploads usually needs the bucket owner), your own credentials
(the owner of the bucket) are used instead. --verbose says when that happens.

Examples:
  flexcopy cleanup --dry-run                 what would be aborted
  flexcopy cleanup                           abort flexcopy's incomplete uploads
  flexcopy cleanup --prefix 2021/05/ --all   abort every incomplete upload under 2021/05/

Exit codes:
  0    done (or nothing to do)
  1    some aborts failed (listed above)
  2    usage or configuration error
  3    listing uploads was denied to every credential tried
  130  interrupted (Ctrl-C)`;

export function cleanupCommand(): Command {
  const cmd = new Command("cleanup")
    .description("abort incomplete multipart uploads flexcopy left in your bucket (they are billed until aborted)")
    .option("--prefix <prefix>", "only uploads whose key starts with this, e.g. 2021/05/")
    .option("--all", "abort every incomplete upload, not only flexcopy's")
    .option("-n, --dry-run", "list the uploads and what would be done; abort nothing")
    .option("--state-dir <dir>", "where the resume journal lives [FLEXCOPY_STATE_DIR]");
  withConfigOptions(cmd)
    .option("--json", "machine-readable output: one NDJSON line per upload, then a summary line")
    .option("-q, --quiet", "print only failed aborts and the summary")
    .option("-v, --verbose", "also say which credentials listed and aborted the uploads")
    .option("--debug", "print stack traces of unexpected errors (secrets stay redacted)");
  cmd.addHelpText("after", HELP);
  cmd.action(async (flags: CleanupFlags, self: Command) => {
    process.exitCode = await cleanup(flags, self);
  });
  return cmd;
}

/** The journals of this bucket that a running fetch holds, with who holds them. */
function liveJournals(files: string[]): { file: string; holder: LockHolder }[] {
  return files.flatMap((file) => {
    const holder = lockHolder(file);
    return holder ? [{ file, holder }] : [];
  });
}

/**
 * What the resume journals say is flexcopy's: the upload ids they record, and the keys of their
 * `intent` records (uploads a crash orphaned); undefined when there is no journal for this bucket.
 * `live`: the upload ids of journals a running fetch holds (its uploads in flight, never aborted).
 * The intents of a journal a running fetch holds are left out: its uploads in creation are not orphans.
 */
function fromJournals(files: string[], all: boolean | undefined): { knownUploadIds?: Set<string>; intentKeys?: Set<string>; liveUploadIds: Set<string>; journalCreated?: number } {
  // Read-only: a fetch may be appending to the same journal right now.
  const journals = warnDamaged(files.map((f) => new FileJournal(f, { readOnly: true })));
  const live = new Set(liveJournals(files).map((j) => j.file));
  const liveUploadIds = new Set(journals.filter((j) => live.has(j.file)).flatMap((j) => [...j.uploadIds()]));
  if (all || files.length === 0) return { liveUploadIds };
  const created = journals.map((j) => j.createdAt()).filter((t): t is number => t !== undefined);
  return {
    // Uploads older than every journal here are a deleted journal's (engine/cleanup.ts olderThanJournal).
    ...(created.length === journals.length ? { journalCreated: Math.min(...created) } : {}),
    knownUploadIds: new Set(journals.flatMap((j) => [...j.uploadIds()])),
    intentKeys: new Set(journals.filter((j) => !live.has(j.file)).flatMap((j) => j.intentKeys())),
    liveUploadIds,
  };
}

/**
 * Cleanup beside a running fetch of the same state directory would abort that fetch's uploads in
 * flight (it then fails with NoSuchUpload). Refused, not worked around: the fetch creates uploads
 * while cleanup lists, which no journal read beforehand can name, so only "not now" is safe.
 */
function refuseBesideFetch(destBucket: string, files: string[]): void {
  const busy = liveJournals(files)[0];
  if (!busy) return;
  const { pid, host } = busy.holder;
  const who = host === os.hostname() ? `pid ${pid}` : `pid ${pid} on host ${host}`;
  throw new UsageError(
    `a fetch (${who}) is copying into s3://${destBucket} with the journal ${busy.file} (lock ${busy.file}.lock): cleanup would abort its uploads in flight; run cleanup after it ends (--dry-run works now)`,
  );
}

/**
 * The customer's own credentials (standard AWS chain): the owner of the destination bucket, who may
 * list and abort every upload in it. Its secrets are registered for redaction like the role's.
 */
function baseIdentity(config: FlexConfig, emit: Emit, signal: AbortSignal): Identity {
  const chain = baseCredentials(config.profile);
  const provider: AwsCredentialIdentityProvider = async (o) => {
    const id = await chain(o);
    registerSecret(id.secretAccessKey);
    registerSecret(id.sessionToken);
    return id;
  };
  const s3 = makeS3Client(clientSettings(config), provider);
  const requester = new Requester({
    concurrency: config.concurrency === "auto" ? 64 : config.concurrency,
    maxAttempts: config.maxAttempts,
    credentials: { currentKeyId: undefined, refreshRejected: async () => false },
    emit,
    signal,
    ...giveUp(config),
  });
  return { name: "base", listing: { store: s3Store(s3), requester } };
}

/** Role first (it started the uploads), then the bucket owner; with --credentials env there is only one identity. */
function identities(session: Session, config: FlexConfig, emit: Emit, signal: AbortSignal): Identity[] {
  const role: Identity = { name: "role", listing: { store: s3Store(session.s3), requester: session.requester(emit, signal) } };
  return config.credentials === "env" ? [role] : [role, baseIdentity(config, emit, signal)];
}

/** Listing uploads denied to every identity: say which permission is missing and how to get it (exit 3). */
async function withDeniedHint<T>(bucket: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof RequestError && err.op === "ListMultipartUploads" && isAccessDenied(err)) {
      throw new AuthError(
        `listing incomplete uploads in s3://${bucket} was denied (AccessDenied)`,
        "this needs s3:ListBucketMultipartUploads and s3:AbortMultipartUpload on your bucket, which the provider's role does not have; " +
          "if your own credentials may only assume the role (the manual's IAM user), run cleanup with an administrator's: --profile <name>",
      );
    }
    throw err;
  }
}

async function cleanup(flags: CleanupFlags, self: Command): Promise<number> {
  const config = await commandConfig(self);
  const destBucket = requireDestBucket(config);
  const out = makeOutput({ ...flags, quiet: true });
  const write = (line: string) => process.stdout.write(redact(line) + "\n");
  const files = journalFiles(destBucket, process.env, os.homedir(), flags.stateDir && path.resolve(flags.stateDir));
  if (!flags.dryRun) refuseBesideFetch(destBucket, files);
  const journals = fromJournals(files, flags.all);
  const session = await openSession(config, out.emit);
  const { signal, dispose } = interruptibleQuietly("requests");
  try {
    const dest = identities(session, config, out.emit, signal);
    const source = dest[0]!.listing;
    const print = cleanupPrinter({ ...flags, bucket: destBucket }, write);
    const report = await withDeniedHint(destBucket, cleanupUploads(
      {
        destBucket,
        dest,
        sourceHasKey: (key) => bucketHasKey(source, config.sourceBucket, key),
        onItem: print.item,
        onNotice: (message) => (flags.json ? out.emit({ kind: "notice", message }) : flags.verbose && process.stderr.write(redact(`note: ${message}\n`))),
      },
      { prefix: flags.prefix, all: flags.all, dryRun: flags.dryRun, ...journals, roleAccount: config.roleArn?.split(":")[4], signal },
    ));
    print.summary(report);
    if (report.failed > 0) return EXIT.someFailed;
    return signal.aborted ? EXIT.interrupted : EXIT.ok;
  } finally {
    dispose();
    out.reporter.close();
  }
}

/** "3d 04h" for old uploads (the ones worth aborting), else formatDuration's "2h 05m" / "40s". */
export function formatAge(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  return days > 0 ? `${days}d ${String(Math.floor((seconds % 86_400) / 3600)).padStart(2, "0")}h` : formatDuration(seconds);
}

const ACTION_TEXT: Record<CleanupItem["action"], string> = { aborted: "aborted", "would-abort": "would abort", kept: "kept", failed: "FAILED" };

/** `cleanup --json` records: one per upload, then the summary. */
export type CleanupRecord =
  | { kind: "cleanup"; key: string; uploadId: string; initiated?: string; ageSeconds?: number; action: CleanupItem["action"]; reason: string; code?: string }
  | ({ kind: "cleanup-summary"; dryRun: boolean } & CleanupReport);

export const CLEANUP_TEXT: TextForms<CleanupRecord, { bucket: string }> = {
  cleanup: (r) => {
    const when = r.initiated ? `initiated ${r.initiated.slice(0, 19).replace("T", " ")} UTC, ${formatAge(r.ageSeconds ?? 0)} ago` : "initiated ?";
    return `${ACTION_TEXT[r.action].padEnd(11)} ${r.key}  upload ${r.uploadId}  ${when}  (${r.code ? `${r.code}; ` : ""}${r.reason})`;
  },
  "cleanup-summary": (r, { bucket }) => {
    const done = r.dryRun ? `${r.wouldAbort} would be aborted (dry run)` : `${r.aborted} aborted`;
    return `${r.found} incomplete ${r.found === 1 ? "upload" : "uploads"} in s3://${bucket}: ${done}, ${r.kept} kept${r.failed ? `, ${r.failed} failed` : ""}`;
  },
};

/** Text (one line per upload, then a summary; `quiet`: failed uploads only) or NDJSON (`cleanup` lines, then `cleanup-summary`). */
export function cleanupPrinter(opts: { json?: boolean; quiet?: boolean; dryRun?: boolean; bucket: string }, write: (line: string) => void) {
  const print = recordPrinter(opts.json ?? false, CLEANUP_TEXT, write);
  const view = { bucket: opts.bucket };
  return {
    item: (i: CleanupItem): void => {
      if (opts.quiet && !opts.json && i.action !== "failed") return;
      const ageSeconds = i.ageMs === undefined ? undefined : Math.round(i.ageMs / 1000);
      const { key, uploadId, action, reason } = i;
      print({ kind: "cleanup", key, uploadId, initiated: i.initiated?.toISOString(), ageSeconds, action, reason, ...(i.code ? { code: i.code } : {}) }, view);
    },
    summary: (r: CleanupReport): void => print({ kind: "cleanup-summary", ...r, dryRun: opts.dryRun ?? false }, view),
  };
}
