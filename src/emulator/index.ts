// FLEX emulator: a local S3 (path-style) + STS endpoint modelling the provider's setup from the manual.
// See docs/emulator.md for the API, identities, admin endpoints, faults and the ETag scheme.
import type { AddressInfo, Socket } from "node:net";
import { createEmulatorServer } from "./server.js";
import { EmulatorState, resolveConfig } from "./state.js";
import { toInfo } from "./store.js";
import { makeTlsMaterial, writeCaFile, type TlsMaterial } from "./tls.js";
import type { Emulator, EmulatorOptions } from "./types.js";

export type { Emulator, EmulatorOptions, Faults, FailNextRule, RequestLogEntry, ObjectInfo, Grant, ObjectOwnership, PutObjectOptions, UserPolicy } from "./types.js";
export { DEFAULT_BASE_CREDENTIALS } from "./state.js";
export { DEFAULT_FAULTS } from "./faults.js";
export { loadSeed, SEED_HELP, type SeedObject } from "./seed/seed.js";

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const cfg = resolveConfig(options);
  const st = new EmulatorState(cfg, options);
  const tls: TlsMaterial | undefined = options.tls ? await makeTlsMaterial(options.tls === true ? [] : (options.tls.hostnames ?? [])) : undefined;
  const server = createEmulatorServer(st, tls);
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const ca = tls ? writeCaFile(tls.caPem) : undefined;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `${tls ? "https" : "http"}://127.0.0.1:${port}`, // the certificate covers 127.0.0.1 (and localhost)
    ...(tls && ca ? { tls: { caPem: tls.caPem, caFile: ca.caFile } } : {}),
    ...(cfg.orgId !== undefined ? { orgId: cfg.orgId } : {}),
    region: "ap-northeast-1",
    accessKeyId: cfg.baseAccessKeyId,
    secretAccessKey: cfg.baseSecretAccessKey,
    accountId: cfg.accountId,
    providerAccountId: cfg.providerAccountId,
    roleArn: cfg.roleArn,
    sourceBucket: cfg.sourceBucket,
    destBuckets: [...cfg.destBuckets],
    requestLog: () => st.log.entries(),
    clearLog: () => {
      st.log.clear();
      st.writes.reset();
    },
    objects: (bucket) => [...st.bucket(bucket).all()].map(toInfo),
    putObject: (bucket, key, size, opts) => st.putVirtual(bucket, key, size, opts),
    uploads: (bucket) =>
      [...st.bucket(bucket).uploads.values()].map((u) => ({ key: u.key, uploadId: u.uploadId, initiator: u.initiatorArn, initiated: new Date(u.initiated).toISOString(), parts: u.parts.size })),
    setBucketPolicy: (bucket, policy) => st.setBucketPolicy(st.bucket(bucket), policy),
    abortUpload: (bucket, key, uploadId) => {
      const b = st.bucket(bucket);
      if (b.uploads.get(uploadId)?.key === key) b.uploads.delete(uploadId);
    },
    setObjectOwnership: (bucket, ownership) => void (st.bucket(bucket).ownership = ownership),
    deleteObject: (bucket, key) => void st.bucket(bucket).delete(key),
    setFaults: (f) => st.faults.set(f),
    inflight: () => ({ current: st.writes.current, max: st.writes.max }),
    expireAllTokens: () => void st.expireAllTokens(),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => {
          ca?.remove();
          resolve();
        });
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      })),
  };
}
