// rclone (S3 backend, provider "Other", path style) against the emulator: listing with Japanese names and
// spaces, server-side copy with the bucket-owner-full-control ACL, a > 5 GiB object by UploadPartCopy.
// Findings: rclone's HEAD after a server-side copy is denied by the manual's bucket policy; Go clients
// escape quotes in XML as &#34; (the > 5 GiB test below).
// Needs `rclone` on PATH (Debian package "rclone"); skipped with one line when missing (test/support/interop.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { bucketPolicy, multipartBucketPolicy } from "../../src/iam/manual.js";
import { assertInterop, skipInterop } from "../support/interop.js";
import { assumeRole } from "../../scripts/emulator-env.mjs";
import { runProcess, type Run } from "../support/tools.js";

const SRC = "dataservice-flex-bucket";
const DEST = "flex-dest";
const GiB = 1024 ** 3;

function rclone(emu: Emulator, creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, args: string[]): Promise<Run> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    RCLONE_CONFIG: "/dev/null",
    RCLONE_CONFIG_FLEX_TYPE: "s3",
    RCLONE_CONFIG_FLEX_PROVIDER: "Other",
    RCLONE_CONFIG_FLEX_ENV_AUTH: "false",
    RCLONE_CONFIG_FLEX_ACCESS_KEY_ID: creds.accessKeyId,
    RCLONE_CONFIG_FLEX_SECRET_ACCESS_KEY: creds.secretAccessKey,
    RCLONE_CONFIG_FLEX_SESSION_TOKEN: creds.sessionToken ?? "",
    RCLONE_CONFIG_FLEX_REGION: "ap-northeast-1",
    RCLONE_CONFIG_FLEX_ENDPOINT: emu.endpoint,
    RCLONE_CONFIG_FLEX_FORCE_PATH_STYLE: "true",
    RCLONE_CONFIG_FLEX_ACL: "bucket-owner-full-control",
    RCLONE_CONFIG_FLEX_NO_CHECK_BUCKET: "true",
  };
  // --s3-no-head: the role may write your bucket but not read it (the manual's bucket policy grants only
  // ListBucket, PutObject, PutObjectAcl), so rclone's usual HEAD after each copy would be AccessDenied.
  return runProcess("rclone", [...args, "--s3-no-head", "--retries", "1", "--low-level-retries", "1"], env);
}

describe.skipIf(skipInterop("rclone"))("rclone against the emulator", () => {
  let emu: Emulator;
  let role: { accessKeyId: string; secretAccessKey: string; sessionToken: string };

  beforeAll(async () => {
    assertInterop("rclone");
    emu = await startEmulator({ seed: "demo", destBuckets: [DEST] });
    role = await assumeRole(emu, { RoleSessionName: "rclone" });
  });

  afterAll(async () => {
    await emu?.stop();
  });

  it("lists days and ConnectionSpec names with spaces and Japanese", async () => {
    const days = await rclone(emu, role, ["lsf", `flex:${SRC}/2021/05/`]);
    expect(days.code, days.stderr).toBe(0);
    expect(days.stdout.split("\n")).toContain("31/");
    const spec = await rclone(emu, role, ["lsf", "-R", `flex:${SRC}/ConnectionSpec/Standard/`]);
    expect(spec.code, spec.stderr).toBe(0);
    expect(spec.stdout).toContain("version 17.4/Japanese/FLEX Standard 接続仕様書 v17.4.pdf");
    expect(spec.stdout).toContain("version 17.4/English/Errata+Notes.pdf");
    expect(spec.stdout).toContain("Version 18.3/");
  });

  /**
   * rclone's server-side copy works (CopyObject with the ACL), but rclone 1.60 then HEADs every object it
   * copied, and the manual's bucket policy gives the role no s3:GetObject on your bucket: the HEAD is
   * AccessDenied (as on real S3 with bucket-owner-enforced ownership) and rclone reports "Forbidden"
   * although the data is there. Use the AWS CLI or flexcopy with role credentials instead.
   */
  function onlyPostCopyHeadsFailed(emu: Emulator): boolean {
    return emu.requestLog().every((e) => e.status < 300 || (e.op === "HeadObject" && (e.bucket === DEST ? e.status === 403 : e.status === 404)));
  }

  it("copies a day server-side with the ACL (only rclone's post-copy HEAD is denied)", async () => {
    emu.clearLog();
    const r = await rclone(emu, role, ["copy", `flex:${SRC}/2021/05/27`, `flex:${DEST}/2021/05/27`]);
    const want = emu.objects(SRC).filter((o) => o.key.startsWith("2021/05/27/"));
    const got = new Map(emu.objects(DEST).map((o) => [o.key, o]));
    expect(want.length).toBeGreaterThanOrEqual(3);
    for (const o of want) expect(got.get(o.key)?.size, o.key).toBe(o.size);
    const log = emu.requestLog();
    expect(log.filter((e) => e.op === "CopyObject" && e.acl === "bucket-owner-full-control" && e.status === 200)).toHaveLength(want.length);
    expect(log.some((e) => e.op === "GetObject" || e.op === "PutObject")).toBe(false); // server-side: no data through rclone
    if (r.code !== 0) {
      expect(r.stderr).toContain("Forbidden");
      expect(onlyPostCopyHeadsFailed(emu), JSON.stringify(log.filter((e) => e.status >= 300))).toBe(true);
    }
  });

  it("copies the Japanese-named ConnectionSpec folder", async () => {
    emu.clearLog();
    const p = "ConnectionSpec/Standard/version 17.4/Japanese";
    await rclone(emu, role, ["copy", `flex:${SRC}/${p}`, `flex:${DEST}/${p}`]);
    const keys = emu.objects(DEST).map((o) => o.key);
    expect(keys).toContain(`${p}/FLEX Standard 接続仕様書 v17.4.pdf`);
    expect(keys).toContain(`${p}/正誤表 v17.4.pdf`);
    expect(onlyPostCopyHeadsFailed(emu), JSON.stringify(emu.requestLog().filter((e) => e.status >= 300))).toBe(true);
  });

  // rclone (Go's encoding/xml) sends <ETag>&#34;…&#34;</ETag> in CompleteMultipartUpload: the emulator must
  // decode numeric character references or it answers InvalidPart. Parts need the multipart-enabling setup
  // (`flexcopy policy --allow-multipart`); under the manual's policy they are denied (aws/aws-cli#1674).
  it("copies a > 5 GiB object by UploadPartCopy once multipart is allowed (Go-escaped ETags in CompleteMultipartUpload)", async () => {
    const bigKey = "2021/05/28/20210528_1_099.pcap.gz";
    emu.putObject(SRC, bigKey, 5 * GiB + 4321, { contentType: "application/gzip" });
    const args = ["copy", `flex:${SRC}/2021/05/28`, `flex:${DEST}/2021/05/28`, "--include", "*_099.pcap.gz", "--s3-copy-cutoff", "1G", "--retries", "1", "--low-level-retries", "1"];
    emu.clearLog();
    await rclone(emu, role, args);
    expect(emu.requestLog().some((e) => e.op === "UploadPartCopy" && e.key === bigKey && e.status === 403)).toBe(true);
    expect(emu.objects(DEST).some((o) => o.key === bigKey)).toBe(false);
    for (const u of emu.uploads(DEST)) emu.abortUpload(DEST, u.key, u.uploadId);
    emu.setObjectOwnership(DEST, "BucketOwnerEnforced");
    emu.setBucketPolicy(DEST, multipartBucketPolicy(emu.roleArn, DEST));
    try {
      emu.clearLog();
      await rclone(emu, role, args);
      const log = emu.requestLog().filter((e) => e.key === bigKey);
      expect(log.some((e) => e.op === "CreateMultipartUpload" && e.acl === "bucket-owner-full-control")).toBe(true);
      expect(log.filter((e) => e.op === "UploadPartCopy" && e.status === 200).length).toBeGreaterThan(1);
      expect(log.find((e) => e.op === "CompleteMultipartUpload")?.status, JSON.stringify(log.filter((e) => e.status >= 300))).toBe(200);
      expect(emu.objects(DEST).find((o) => o.key === bigKey)?.size).toBe(5 * GiB + 4321);
    } finally {
      emu.setBucketPolicy(DEST, bucketPolicy(emu.roleArn, DEST));
      emu.setObjectOwnership(DEST, "ObjectWriter");
    }
  }, 180_000);
});
