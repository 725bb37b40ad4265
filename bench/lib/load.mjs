// Closed-loop load generator: N workers each send one request at a time, a ListObjectsV2 every
// `listEvery + 1` requests and CopyObject (bucket-owner-full-control, as the manual requires) otherwise.
import http from "node:http";
import { CopyObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export async function roleClient(info, { maxSockets = 64 } = {}) {
  const sts = new STSClient({ region: info.region, endpoint: info.endpoint, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: info.roleArn, RoleSessionName: "bench", DurationSeconds: 3600 }));
  sts.destroy();
  const c = out.Credentials;
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return new S3Client({
    region: info.region,
    endpoint: info.endpoint,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
    requestHandler: new NodeHttpHandler({ httpAgent: agent, connectionTimeout: 5000, requestTimeout: 30000 }),
  });
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
export async function runLoad(s3, { sourceBucket, destBucket, keys, listPrefix, concurrency = 64, durationMs = 10_000, listEvery = 10, keySpace = 200, tag = "r" }) {
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
      const cmd = isList
        ? new ListObjectsV2Command({ Bucket: sourceBucket, Prefix: listPrefix, Delimiter: "/" })
        : new CopyObjectCommand({ Bucket: destBucket, Key: `bench/${tag}/${w}/${i % keySpace}`, CopySource: `${sourceBucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`, ACL: "bucket-owner-full-control" });
      const s = performance.now();
      try {
        await s3.send(cmd);
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
  return {
    requests: lists + copies,
    lists,
    copies,
    errors,
    errorCodes: Object.fromEntries(errorCodes),
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
