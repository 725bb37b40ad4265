import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from "@aws-sdk/client-s3";
import type { ObjInfo } from "./skip.js";
import type { Requester } from "./request.js";

export interface Listing {
  s3: S3Client;
  requester: Requester;
}

/**
 * Objects under a prefix, page by page (memory holds two pages), in S3's key order. The next page
 * is requested while the current one is consumed, so a long listing never waits on itself.
 */
export async function* listObjects(l: Listing, bucket: string, prefix: string, side: "source" | "dest"): AsyncGenerator<ObjInfo> {
  const page = (token?: string): Promise<ListObjectsV2CommandOutput> =>
    l.requester.send("ListObjectsV2", prefix, side, () =>
      l.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
  let next: Promise<ListObjectsV2CommandOutput> | undefined = page();
  while (next) {
    const current: ListObjectsV2CommandOutput = await next;
    next = current.IsTruncated && current.NextContinuationToken ? page(current.NextContinuationToken) : undefined;
    // A consumer that stops early must not leave the prefetched page's rejection unhandled.
    next?.catch(() => undefined);
    for (const o of current.Contents ?? []) {
      if (o.Key === undefined || o.Key.endsWith("/")) continue; // console-made "folder" markers carry no data
      yield { key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified, storageClass: o.StorageClass };
    }
  }
}

export type LevelEntry = { prefix: string } | { object: ObjInfo };

/** One delimiter level below a prefix: its "folders" (CommonPrefixes) and the objects directly in it. */
export async function* listLevel(l: Listing, bucket: string, prefix: string, side: "source" | "dest"): AsyncGenerator<LevelEntry> {
  let token: string | undefined;
  do {
    const page = await l.requester.send("ListObjectsV2", prefix, side, () =>
      l.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: "/", ContinuationToken: token })),
    );
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) yield { prefix: p.Prefix };
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined || o.Key === prefix) continue;
      yield { object: { key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified, storageClass: o.StorageClass } };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** The "folders" one delimiter level below a prefix. */
export async function* listPrefixes(l: Listing, bucket: string, prefix: string, side: "source" | "dest"): AsyncGenerator<string> {
  for await (const e of listLevel(l, bucket, prefix, side)) if ("prefix" in e) yield e.prefix;
}

/** S3 orders keys by their UTF-8 bytes; JavaScript's `<` orders UTF-16 units, which differs above U+FFFF. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Walks two listings in key order together (a merge join): each source object comes with its
 * destination counterpart, if any. Memory stays flat however many objects a prefix holds.
 */
export async function* pairListings(
  source: AsyncIterable<ObjInfo>,
  dest: AsyncIterable<ObjInfo>,
): AsyncGenerator<[ObjInfo, ObjInfo | undefined]> {
  const it = dest[Symbol.asyncIterator]();
  let d = await it.next();
  for await (const s of source) {
    while (!d.done && compareKeys(d.value.key, s.key) < 0) d = await it.next();
    if (!d.done && d.value.key === s.key) yield [s, d.value];
    else yield [s, undefined];
  }
  await it.return?.();
}
