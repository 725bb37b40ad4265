// Closed-loop load generator: N workers each send one request at a time, a ListObjectsV2 every
// `listEvery + 1` requests and CopyObject (bucket-owner-full-control, as the manual requires) otherwise.
import http from "node:http";
import { CopyObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { rawSender } from "./raw.mjs";

export async function roleClient(info, { maxSockets = 64 } = {}) {
  const { accessKeyId, secretAccessKey, sessionToken } = await assumeRole(info, { RoleSessionName: "bench", DurationSeconds: 3600 });
  const c = { accessKeyId, secretAccessKey, sessionToken };
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return new S3Client({
    region: info.region,
    endpoint: info.endpoint,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: c,
    requestHandler: new NodeHttpHandler({ httpAgent: agent, connectionTimeout: 5000, requestTimeout: 30000 }),
  });
}

/** The AWS SDK v3 as a load sender. */
export function sdkSender(s3) {
  return {
    list: (bucket, prefix) => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: "/" })),
    copy: (srcBucket, srcKey, bucket, key) =>
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${srcBucket}/${encodeURIComponent(srcKey).replace(/%2F/g, "/")}`, ACL: "bucket-owner-full-control" })),
    destroy: () => s3.destroy(),
  };
}

/** List the source keys the copies will use (first page under `prefix`). */
export async function sourceKeys(s3, bucket, prefix) {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const keys = (out.Contents ?? []).map((o) => o.Key).filter(Boolean);
  if (keys.length === 0) throw new Error(`no source objects under s3://${bucket}/${prefix}`);
  return keys;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Run the mix for `durationMs`. Destination keys cycle through `keySpace` names per worker, so the
 * destination bucket's size stays bounded however long the run is.
 */
export async function runLoad(sender, { sourceBucket, destBucket, keys, listPrefix, concurrency = 64, durationMs = 10_000, listEvery = 10, keySpace = 200, tag = "r" }) {
  const lat = [];
  let lists = 0;
  let copies = 0;
  let errors = 0;
  const errorCodes = new Map();
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  const worker = async (w) => {
    let i = w; // stagger so lists are spread across workers
    while (performance.now() < deadline) {
      const isList = i % (listEvery + 1) === 0;
      const key = keys[i % keys.length];
      const s = performance.now();
      try {
        if (isList) await sender.list(sourceBucket, listPrefix);
        else await sender.copy(sourceBucket, key, destBucket, `bench/${tag}/${w}/${i % keySpace}`);
        lat.push(performance.now() - s);
        if (isList) lists++;
        else copies++;
      } catch (err) {
        errors++;
        const code = err?.name ?? "Error";
        errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
      }
      i++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = performance.now() - t0;
  lat.sort((a, b) => a - b);
  return summarize({ lat, lists, copies, errors, errorCodes: Object.fromEntries(errorCodes), elapsedMs: elapsed });
}

/** Merge the raw results of several client processes that ran at the same time. */
export function mergeResults(parts) {
  const lat = parts.flatMap((p) => p.lat).sort((a, b) => a - b);
  const errorCodes = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.errorCodes)) errorCodes[k] = (errorCodes[k] ?? 0) + v;
  const sum = (f) => parts.reduce((s, p) => s + f(p), 0);
  return summarize({ lat, lists: sum((p) => p.lists), copies: sum((p) => p.copies), errors: sum((p) => p.errors), errorCodes, elapsedMs: Math.max(...parts.map((p) => p.elapsedMs)) });
}

function summarize({ lat, lists, copies, errors, errorCodes, elapsedMs }) {
  const elapsed = elapsedMs;
  return {
    lat,
    requests: lists + copies,
    lists,
    copies,
    errors,
    errorCodes,
    elapsedMs: elapsed,
    rps: ((lists + copies) / elapsed) * 1000,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
  };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** "sdk" (AWS SDK v3) or "raw" (minimal SigV4 client) sender with role credentials, plus the source keys. */
export async function makeSender(driver, info, { maxSockets, copyPrefix }) {
  const s3 = await roleClient(info, { maxSockets });
  const keys = await sourceKeys(s3, info.sourceBucket, copyPrefix);
  if (driver === "raw") {
    const creds = await s3.config.credentials();
    s3.destroy();
    return { sender: rawSender(info, creds, { maxSockets }), keys };
  }
  return { sender: sdkSender(s3), keys };
}
