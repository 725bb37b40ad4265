import { ListObjectsCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { assume, failure, s3 } from "./helpers.js";

const SRC = "dataservice-flex-bucket";

describe("emulator listing", () => {
  let em: Emulator;
  let role: S3Client;
  const keys: string[] = [];
  beforeAll(async () => {
    em = await startEmulator({ seed: "none" });
    for (let d = 1; d <= 3; d++) {
      for (let f = 1; f <= 5; f++) keys.push(`2021/05/0${d}/2021050${d}_1_00${f}.pcap.gz`);
    }
    keys.push("ConnectionSpec/Standard/version 17.4/Japanese/FLEX 接続仕様書.pdf", "ConnectionSpec/MBO/Version 0.6/English/a&b<c>.pdf", "testdata/2021/05/28/x.pcap.gz");
    for (const k of keys) em.putObject(SRC, k, 100);
    role = s3(em, await assume(em));
  });
  afterAll(() => em.stop());

  it("ListObjectsV2 pages with continuation tokens and KeyCount", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await role.send(new ListObjectsV2Command({ Bucket: SRC, MaxKeys: 4, ContinuationToken: token }));
      pages++;
      expect(out.KeyCount).toBe(out.Contents?.length ?? 0);
      expect(out.MaxKeys).toBe(4);
      for (const c of out.Contents ?? []) seen.push(c.Key ?? "");
      expect(out.IsTruncated).toBe(out.NextContinuationToken !== undefined);
      token = out.NextContinuationToken;
    } while (token);
    expect(pages).toBe(5);
    expect(seen).toEqual([...keys].sort());
    const first = (await role.send(new ListObjectsV2Command({ Bucket: SRC, MaxKeys: 1 }))).Contents?.[0];
    expect(first).toMatchObject({ Key: "2021/05/01/20210501_1_001.pcap.gz", Size: 100, StorageClass: "STANDARD" });
    expect(first?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("delimiter gives CommonPrefixes; prefixes page too", async () => {
    const top = await role.send(new ListObjectsV2Command({ Bucket: SRC, Delimiter: "/" }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["2021/", "ConnectionSpec/", "testdata/"]);
    expect(top.Contents).toBeUndefined();
    expect(top.KeyCount).toBe(3);
    const days: string[] = [];
    let token: string | undefined;
    do {
      const out = await role.send(new ListObjectsV2Command({ Bucket: SRC, Prefix: "2021/05/", Delimiter: "/", MaxKeys: 2, ContinuationToken: token }));
      days.push(...(out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""));
      token = out.NextContinuationToken;
    } while (token);
    expect(days).toEqual(["2021/05/01/", "2021/05/02/", "2021/05/03/"]);
    const versions = await role.send(new ListObjectsV2Command({ Bucket: SRC, Prefix: "ConnectionSpec/Standard/", Delimiter: "/" }));
    expect(versions.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["ConnectionSpec/Standard/version 17.4/"]);
  });

  it("start-after, prefix and XML-special / Japanese keys round-trip", async () => {
    const out = await role.send(new ListObjectsV2Command({ Bucket: SRC, StartAfter: "2021/05/03/20210503_1_004.pcap.gz", MaxKeys: 3 }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(["2021/05/03/20210503_1_005.pcap.gz", "ConnectionSpec/MBO/Version 0.6/English/a&b<c>.pdf", "ConnectionSpec/Standard/version 17.4/Japanese/FLEX 接続仕様書.pdf"]);
    const spec = await role.send(new ListObjectsV2Command({ Bucket: SRC, Prefix: "ConnectionSpec/Standard/version 17.4/" }));
    expect(spec.Contents?.map((c) => c.Key)).toEqual(["ConnectionSpec/Standard/version 17.4/Japanese/FLEX 接続仕様書.pdf"]);
  });

  it("encoding-type=url percent-encodes keys and prefixes", async () => {
    const out = await role.send(new ListObjectsV2Command({ Bucket: SRC, Prefix: "ConnectionSpec/", EncodingType: "url" }));
    const raw = out.Contents?.map((c) => c.Key ?? "") ?? [];
    expect(raw).toContain("ConnectionSpec/MBO/Version%200.6/English/a%26b%3Cc%3E.pdf");
    expect(raw.map(decodeURIComponent)).toContain("ConnectionSpec/Standard/version 17.4/Japanese/FLEX 接続仕様書.pdf");
  });

  it("ListObjects (v1) with marker / NextMarker", async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const out = await role.send(new ListObjectsCommand({ Bucket: SRC, MaxKeys: 7, Marker: marker }));
      seen.push(...(out.Contents ?? []).map((c) => c.Key ?? ""));
      if (!out.IsTruncated) break;
      marker = out.NextMarker;
      expect(marker).toBe(seen[seen.length - 1]);
    }
    expect(seen).toEqual([...keys].sort());
    const d = await role.send(new ListObjectsCommand({ Bucket: SRC, Delimiter: "/", MaxKeys: 1 }));
    expect(d.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["2021/"]);
    const d2 = await role.send(new ListObjectsCommand({ Bucket: SRC, Delimiter: "/", Marker: d.NextMarker }));
    expect(d2.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["ConnectionSpec/", "testdata/"]);
  });

  it("orders keys in UTF-8 byte order, as S3 (not JavaScript's UTF-16 order)", async () => {
    em.putObject(SRC, "zz/a\u{1F600}.txt", 1); // U+1F600: UTF-8 F0 9F 98 80, UTF-16 D83D DE00
    em.putObject(SRC, "zz/a\uFF08.txt", 1); // U+FF08 (fullwidth parenthesis): UTF-8 EF BC 88
    em.putObject(SRC, "zz/a\u3042.txt", 1); // U+3042 (hiragana a): UTF-8 E3 81 82
    const out = await role.send(new ListObjectsV2Command({ Bucket: SRC, Prefix: "zz/" }));
    expect(out.Contents?.map((c) => c.Key)).toEqual(["zz/a\u3042.txt", "zz/a\uFF08.txt", "zz/a\u{1F600}.txt"]);
    const after = await role.send(new ListObjectsV2Command({ Bucket: SRC, Prefix: "zz/", StartAfter: "zz/a\uFF08.txt" }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(["zz/a\u{1F600}.txt"]);
    for (const k of ["zz/a\u{1F600}.txt", "zz/a\uFF08.txt", "zz/a\u3042.txt"]) em.deleteObject(SRC, k);
  });

  it("max-keys over 1000 is capped; a bad continuation token is InvalidArgument", async () => {
    expect((await role.send(new ListObjectsV2Command({ Bucket: SRC, MaxKeys: 5000 }))).MaxKeys).toBe(1000);
    expect((await failure(() => role.send(new ListObjectsV2Command({ Bucket: SRC, ContinuationToken: "bm9wZQ==" })))).name).toBe("InvalidArgument");
    expect((await failure(() => role.send(new ListObjectsV2Command({ Bucket: "no-such-bucket" })))).name).toBe("NoSuchBucket");
  });
});

describe("emulator listing at year scale", () => {
  it("pages through the year:2023 seed quickly (sorted index, not a scan per page)", async () => {
    const em = await startEmulator({ seed: "year:2023" });
    try {
      const role = s3(em, await assume(em));
      const total = em.objects(SRC).length;
      expect(total).toBeGreaterThan(1000);
      const t0 = Date.now();
      let n = 0;
      let token: string | undefined;
      do {
        const out = await role.send(new ListObjectsV2Command({ Bucket: SRC, ContinuationToken: token }));
        n += out.KeyCount ?? 0;
        token = out.NextContinuationToken;
      } while (token);
      expect(n).toBe(total);
      const days = await role.send(new ListObjectsV2Command({ Bucket: SRC, Prefix: "2023/06/", Delimiter: "/" }));
      expect(days.CommonPrefixes?.length).toBeGreaterThan(15);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await em.stop();
    }
  });
});
