import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/** Why a file that was asked for cannot be read as one. */
export class FileReadError extends Error {
  constructor(
    readonly file: string,
    /** In words, e.g. "not a regular file (a FIFO)", "larger than 1 MiB", "permission denied". */
    readonly reason: string,
    readonly code: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = "FileReadError";
  }
}

const REASONS: Record<string, string> = { ENOENT: "not found", EACCES: "permission denied", EPERM: "not permitted", EISDIR: "a directory, not a file", ENOTDIR: "a part of its path is a file", EIO: "input/output error" };

const kindOf = (st: import("node:fs").Stats): string =>
  st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : st.isSocket() ? "a socket" : "not a file";

const mib = (n: number): string => `${Math.round(n / 2 ** 20)} MiB`;

/**
 * Reads a regular file of at most `maxBytes` as UTF-8. Anything else is refused at once with a
 * FileReadError: a FIFO (opened non-blocking, so no writer is waited for: `--config` naming a pipe
 * would hang), a device (`/dev/zero` never ends and would fill the memory), a directory, or a file
 * larger than the cap (checked by its size and again while reading, in case it grows).
 */
export function readRegularFile(file: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    throw new FileReadError(file, REASONS[code] ?? code, code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileReadError(file, `not a regular file (${kindOf(st)})`, "ENOTREG");
    if (st.size > maxBytes) throw new FileReadError(file, `larger than ${mib(maxBytes)}`, "ETOOBIG");
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(1 << 20, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw new FileReadError(file, `larger than ${mib(maxBytes)}`, "ETOOBIG");
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch (err) {
    if (err instanceof FileReadError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    throw new FileReadError(file, REASONS[code] ?? code, code);
  } finally {
    closeSync(fd);
  }
}
