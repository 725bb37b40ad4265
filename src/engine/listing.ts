import type { ListPage, ObjInfo, ObjectStore } from "./storage.js";
import type { Requester } from "./request.js";

/** A store and the Requester its calls go through (one identity's view of S3). */
export interface Listing {
  store: ObjectStore;
  requester: Requester;
}

/**
 * Objects under a prefix, page by page (memory holds two pages), in S3's key order. The next page
 * is requested while the current one is consumed, so a long listing never waits on itself.
 */
export async function* listObjects(l: Listing, bucket: string, prefix: string, side: "source" | "dest"): AsyncGenerator<ObjInfo> {
  const page = (token?: string): Promise<ListPage> =>
    l.requester.send("ListObjectsV2", prefix, side, () => l.store.listObjects({ bucket, prefix, token }));
  let next: Promise<ListPage> | undefined = page();
  while (next) {
    const current: ListPage = await next;
    next = current.next ? page(current.next) : undefined;
    // A consumer that stops early must not leave the prefetched page's rejection unhandled.
    next?.catch(() => undefined);
    for (const o of current.objects) {
      if (o.key.endsWith("/")) continue; // console-made "folder" markers carry no data
      yield o;
    }
  }
}

export type LevelEntry = { prefix: string } | { object: ObjInfo };

/** One delimiter level below a prefix: its "folders" (CommonPrefixes) and the objects directly in it. */
export async function* listLevel(l: Listing, bucket: string, prefix: string, side: "source" | "dest"): AsyncGenerator<LevelEntry> {
  let token: string | undefined;
  do {
    const page = await l.requester.send("ListObjectsV2", prefix, side, () => l.store.listObjects({ bucket, prefix, delimiter: "/", token }));
    for (const p of page.prefixes) yield { prefix: p };
    for (const o of page.objects) if (o.key !== prefix) yield { object: o };
    token = page.next;
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
