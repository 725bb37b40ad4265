// `flexcopy emulator`: run the local S3 + STS emulator of the provider's side until SIGINT/SIGTERM.
// Prints exactly one JSON line on stdout once it listens (scripts parse it); nothing else goes to stdout.
// Its options and their parsing are cli/emulator-options.ts.
import { Command } from "commander";
import type { Emulator } from "../../emulator/index.js";
import { emulatorOptionsFromFlags, withEmulatorOptions, type EmulatorFlags } from "../emulator-options.js";
import { UsageError } from "../errors.js";

const EXAMPLES = `
On start it prints one JSON line to stdout, then runs until Ctrl-C / SIGTERM (exit 0):
  {"endpoint":"http://127.0.0.1:4566","region":"ap-northeast-1","accessKeyId":"…","secretAccessKey":"…",
   "accountId":"123456789012","roleArn":"arn:aws:iam::461810399597:role/JeuServiceRoleForS3Copy_123456789012",…}

Seeds (the provider's bucket dataservice-flex-bucket):
  demo         2021/05 trading days, 2021/06/01-02, testdata/2021/05, ConnectionSpec/{Standard,MBO}/…
  year:YYYY    one year at the real FLEX scale (2010 0.17 TB … 2023 4.59 TB), virtual objects, some > 5 GiB
  years:A-B    years A to B one after another, e.g. years:2021-2023 (10.93 TB)
  archive      the whole archive, 2010–2023: 19.39 TB, ~96,000 objects (same as years:2010-2023)
  none         empty
  FILE.json    {"objects":[{"key":"…","size":123}]} or {"days":{"2021/05/31":{"files":3,"size":"1MiB"}}}

Examples:
  flexcopy emulator                                    demo data on a free port
  flexcopy emulator --port 4566 --seed year:2023       a full year on a fixed port
  flexcopy emulator --seed archive --time-scale 60     every year the manuals list
  flexcopy emulator --contract 2021/05 --contract testdata --dest-bucket my-flex
  flexcopy emulator --latency 20 --copy-rate 200Mbps --time-scale 60
                                                       the manual's ~200 Mbps, 60x faster than real time
  flexcopy emulator --error-rate 0.01 --slowdown-rate 0.02 --reset-rate 0.005
  flexcopy emulator --token-ttl 120                    credentials expire mid-run
  flexcopy emulator --tls --org-id o-a1b2c3d4e5        HTTPS (its CA file is "caBundle" in the startup line),
                                                       your account in an organization, the provider outside
  flexcopy emulator --latency 20 --max-inflight 48     S3 answers 503 SlowDown above 48 writes in flight
  flexcopy policy --bucket-policy --allow-multipart --dest-bucket flex-dest > mp.json
  flexcopy emulator --bucket-policy mp.json --object-ownership BucketOwnerEnforced
                                                       your bucket set up for multipart copies

Access is decided as IAM does (explicit Deny wins; cross-account needs an Allow in the role's policy and in your
bucket policy; a condition on a key absent from the request is false). The request log names the IAM action and
the reason of every denied request. The bucket owner can change the policy while it runs:
  aws s3api put-bucket-policy --bucket flex-dest --policy file://mp.json   (with the base credentials)

In a script:
  flexcopy emulator --port 0 > emu.json &
  until [ -s emu.json ]; do sleep 0.1; done; EP=$(jq -r .endpoint emu.json)
  aws --endpoint-url "$EP" s3 ls s3://dataservice-flex-bucket/2021/05/   # with the role's credentials
  kill %1

Runtime controls on the same port: GET|DELETE /_emulator/log, GET /_emulator/objects/<bucket>,
POST /_emulator/faults (JSON, e.g. {"latencyMs":50} or {"maxInflight":48}), POST /_emulator/expire-tokens,
GET /_emulator/inflight (write requests in flight now and the most at once).`;

/** The JSON line printed on start. */
export function startupInfo(emu: Emulator, f: EmulatorFlags): Record<string, unknown> {
  return {
    endpoint: emu.endpoint,
    region: emu.region,
    accessKeyId: emu.accessKeyId,
    secretAccessKey: emu.secretAccessKey,
    accountId: emu.accountId,
    providerAccountId: emu.providerAccountId,
    roleArn: emu.roleArn,
    sourceBucket: emu.sourceBucket,
    destBuckets: emu.destBuckets,
    ...(emu.tls ? { caBundle: emu.tls.caFile } : {}),
    ...(emu.orgId !== undefined ? { orgId: emu.orgId } : {}),
    ...(f.externalId !== undefined ? { externalId: f.externalId } : {}),
    seed: f.seed,
    pid: process.pid,
  };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSig = (sig: NodeJS.Signals) => {
      process.off("SIGINT", onSig);
      process.off("SIGTERM", onSig);
      // A second signal while stopping: leave now.
      const force = () => process.exit(0);
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      resolve(sig);
    };
    process.on("SIGINT", onSig);
    process.on("SIGTERM", onSig);
  });
}

async function run(f: EmulatorFlags): Promise<void> {
  // Loaded on use, so other flexcopy commands do not pay for the emulator's modules at startup.
  const { startEmulator } = await import("../../emulator/index.js");
  let emu: Emulator;
  try {
    emu = await startEmulator(emulatorOptionsFromFlags(f));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE") throw new UsageError(`port ${f.port} is already in use (use --port 0 for a free port)`);
    if (e.code === "EACCES") throw new UsageError(`not allowed to listen on port ${f.port}`);
    // Block Public Access refuses a public --bucket-policy as S3 refuses the PutBucketPolicy
    if ((e as { code?: unknown }).code === "AccessDenied") throw new UsageError(`--bucket-policy: ${e.message} (run with --no-block-public-access to allow a public policy)`);
    throw err;
  }
  const signal = waitForSignal();
  process.stdout.write(JSON.stringify(startupInfo(emu, f)) + "\n");
  if (process.stderr.isTTY) process.stderr.write(`flexcopy emulator listening on ${emu.endpoint} (seed ${f.seed}); Ctrl-C to stop\n`);
  if (emu.tls) process.stderr.write(`flexcopy emulator: TLS CA certificate written to ${emu.tls.caFile} (use --ca-bundle ${emu.tls.caFile} or AWS_CA_BUNDLE=${emu.tls.caFile}; removed on stop)\n`);
  await signal;
  // Never hang on shutdown: if stop() or a stray handle keeps the process alive, leave anyway.
  const guard = setTimeout(() => process.exit(0), 5000);
  guard.unref();
  await emu.stop();
  process.exitCode = 0;
}

export function emulatorCommand(): Command {
  const cmd = new Command("emulator")
    .description("run a local S3 + STS emulator of the provider's side (dataservice-flex-bucket, AssumeRole, bucket policy)");
  return withEmulatorOptions(cmd)
    .addHelpText("after", EXAMPLES)
    .action(async (flags: EmulatorFlags) => {
      await run(flags);
    });
}
