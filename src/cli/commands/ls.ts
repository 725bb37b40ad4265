import { Command } from "commander";
import pLimit from "p-limit";
import { formatBytes } from "../../config/sizes.js";
import { listLevel, listObjects, type Listing } from "../../engine/listing.js";
import type { ObjInfo } from "../../engine/skip.js";
import { EXIT, EXIT_CODES_HELP, UsageError } from "../errors.js";
import { commandConfig, withConfigOptions } from "../options.js";
import { makeOutput, type OutputFlags } from "../common.js";
import { openSession } from "../session.js";

interface LsFlags extends OutputFlags {
  dest?: boolean;
  recursive?: boolean;
}

const EXAMPLES = `
Examples:
  flexcopy ls                          years and folders in the provider's bucket, with sizes
  flexcopy ls 2021/05                  the days of May 2021
  flexcopy ls testdata/2021 -r         every sample object of 2021
  flexcopy ls ConnectionSpec/Standard  connection specification versions
  flexcopy ls 2021/05 --dest           what you already have
Listings may show data outside your contract; copying it fails with AccessDenied.
${EXIT_CODES_HELP}`;

export function lsCommand(): Command {
  const cmd = new Command("ls")
    .description("list folders (with object counts and sizes) or objects in the provider's bucket, or yours with --dest")
    .argument("[prefix]", "folder to list, e.g. 2021/05 or testdata/2021", "")
    .option("--dest", "list your destination bucket instead of the provider's")
    .option("-r, --recursive", "list objects instead of folders")
    .option("--json", "one JSON object per line")
    .option("--debug", "print stack traces of unexpected errors (secrets stay redacted)");
  withConfigOptions(cmd);
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(async (prefix: string, flags: LsFlags, self: Command) => {
    process.exitCode = await ls(prefix, flags, self);
  });
  return cmd;
}

/** "2021/5" → "2021/5/": a folder; "" stays the bucket's root. */
export function folderPrefix(p: string): string {
  const t = p.trim().replace(/^\/+/, "");
  return t === "" || t.endsWith("/") ? t : `${t}/`;
}

async function ls(prefixArg: string, flags: LsFlags, self: Command): Promise<number> {
  const config = await commandConfig(self);
  const bucket = flags.dest ? config.destBucket : config.sourceBucket;
  if (!bucket) throw new UsageError("--dest needs --dest-bucket (or FLEXCOPY_DEST_BUCKET, or destBucket in flexcopy.config.json)");
  const out = makeOutput({ ...flags, quiet: true });
  const session = await openSession(config, out.emit);
  const l: Listing = { s3: session.s3, requester: session.requester(out.emit) };
  const side = flags.dest ? "dest" : "source";
  const prefix = folderPrefix(prefixArg);
  const print = (line: string) => process.stdout.write(line + "\n");
  let objects = 0;
  let bytes = 0;

  if (flags.recursive) {
    for await (const o of listObjects(l, bucket, prefix, side)) {
      objects += 1;
      bytes += o.size;
      if (flags.json) print(JSON.stringify({ key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified }));
      else print(`${o.lastModified?.toISOString().slice(0, 19).replace("T", " ") ?? "".padEnd(19)} ${formatBytes(o.size).padStart(10)}  ${o.key}`);
    }
  } else {
    const folders: string[] = [];
    const direct: ObjInfo[] = [];
    for await (const e of listLevel(l, bucket, prefix, side)) {
      if ("prefix" in e) folders.push(e.prefix);
      else direct.push(e.object);
    }
    const limit = pLimit(8);
    const sizes = await Promise.all(
      folders.map((f) =>
        limit(async () => {
          const t = { objects: 0, bytes: 0 };
          for await (const o of listObjects(l, bucket, f, side)) {
            t.objects += 1;
            t.bytes += o.size;
          }
          return t;
        }),
      ),
    );
    folders.forEach((f, i) => {
      const t = sizes[i]!;
      objects += t.objects;
      bytes += t.bytes;
      if (flags.json) print(JSON.stringify({ prefix: f, objects: t.objects, size: t.bytes }));
      else print(`DIR  ${String(t.objects).padStart(7)} objects ${formatBytes(t.bytes).padStart(10)}  ${f}`);
    });
    for (const o of direct) {
      objects += 1;
      bytes += o.size;
      if (flags.json) print(JSON.stringify({ key: o.key, size: o.size, etag: o.etag, lastModified: o.lastModified }));
      else print(`     ${"".padStart(15)} ${formatBytes(o.size).padStart(10)}  ${o.key}`);
    }
  }
  if (flags.json) print(JSON.stringify({ total: { objects, size: bytes } }));
  else print(`total: ${objects} objects, ${formatBytes(bytes)} in s3://${bucket}/${prefix}`);
  return EXIT.ok;
}
