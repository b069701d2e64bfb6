/**
 * File operations on folders a build container could write (the staging
 * channel): nothing is followed or opened that is not a regular file, and
 * nothing is written in place. A name is checked with lstat, then opened
 * with O_NOFOLLOW | O_NONBLOCK (a link swapped in meanwhile fails, a FIFO
 * cannot block) and checked again on the open descriptor. Writes go to a
 * fresh temporary name (O_EXCL | O_NOFOLLOW) in the target folder and are
 * renamed over the final name, which replaces a planted link instead of
 * writing through it.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors';
import {
  ensureRealDir,
  kindOf,
  lstatOrUndefined,
  TEMP_PREFIX,
  UnsafeFileError,
  writeFileAtomic,
  writeViaTemp,
} from '../core/atomic-write';

export { ensureRealDir, kindOf, TEMP_PREFIX, UnsafeFileError, writeFileAtomic };

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

function refuse(path: string, stat: Stats, what: string): never {
  throw new UnsafeFileError(
    `${path} is a ${kindOf(stat)}, not a regular file: refused (${what}). A build may only leave regular files in the staging channel; ` +
      "nothing was read through it. Check the recipe's build script.",
  );
}

/** Opens a regular file for reading without following a link or blocking on a FIFO; undefined when it does not exist. */
function openRegular(path: string, what: string): { fd: number; stat: Stats } | undefined {
  const seen = lstatOrUndefined(path);
  if (!seen) return undefined;
  if (!seen.isFile()) refuse(path, seen, what);
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') refuse(path, lstatSync(path), what);
    if (code === 'ENOENT') return undefined;
    throw e;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile() || stat.ino !== seen.ino || stat.dev !== seen.dev) {
    closeSync(fd);
    refuse(path, stat, `${what}; it changed while being opened`);
  }
  return { fd, stat };
}

/** A file larger than nx-conda takes (a package or an index beyond its limit). */
export class TooLargeError extends UserError {}

/**
 * The content of a regular file, never through a link; undefined when it
 * does not exist. A file of more than `maxBytes` is refused unread.
 */
export function readRegularFile(path: string, what = 'reading it', maxBytes = Infinity): Buffer | undefined {
  const opened = openRegular(path, what);
  if (!opened) return undefined;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (opened.stat.size > maxBytes)
      throw new TooLargeError(`${path} holds ${opened.stat.size} bytes, more than the limit of ${maxBytes} (${what}).`);
    const buffer = Buffer.alloc(1 << 16);
    for (;;) {
      const n = readSync(opened.fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      total += n;
      // It may grow while being read.
      if (total > maxBytes)
        throw new TooLargeError(`${path} holds more than the limit of ${maxBytes} bytes (${what}).`);
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
  } finally {
    closeSync(opened.fd);
  }
  return Buffer.concat(chunks);
}

/** One copy buffer for every copy (they are synchronous): a fresh 1 MB zeroed buffer per file cost more than a small file's copy. */
let copyBuffer: Buffer | undefined;

/**
 * Copies a regular file (never a link, FIFO or device) to `to` through a
 * temporary name. Returns the size copied. A plain copy, never a hard link:
 * a later build cannot alter a dependency's output through it. `sync: false`
 * skips the fsync, for scratch folders that no crash needs to survive (the
 * staging channel, removed after the build): an fsync per package was most
 * of the staging time (bench/build.mjs, docs/benchmarks.md).
 */
export function copyRegularFile(
  from: string,
  to: string,
  what = 'copying it',
  options: { sync?: boolean } = {},
): number {
  const opened = openRegular(from, what);
  if (!opened) throw new UnsafeFileError(`${from} disappeared before it could be copied.`);
  let size = 0;
  try {
    writeViaTemp(
      to,
      (out) => {
        const buffer = (copyBuffer ??= Buffer.allocUnsafe(1 << 20));
        for (;;) {
          const n = readSync(opened.fd, buffer, 0, buffer.length, null);
          if (n === 0) break;
          let offset = 0;
          while (offset < n) offset += writeSync(out, buffer, offset, n - offset);
          size += n;
        }
      },
      { sync: options.sync ?? true },
    );
  } finally {
    closeSync(opened.fd);
  }
  return size;
}

/** Size and digests of a regular file, read without following a link; undefined when it does not exist. */
export function digestRegularFile(
  path: string,
  what = 'reading it',
): { size: number; sha256: string; md5: string } | undefined {
  const opened = openRegular(path, what);
  if (!opened) return undefined;
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  try {
    const buffer = (copyBuffer ??= Buffer.allocUnsafe(1 << 20));
    for (;;) {
      const n = readSync(opened.fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      sha256.update(buffer.subarray(0, n));
      md5.update(buffer.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(opened.fd);
  }
  return { size, sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

/** Entries of a real folder with their lstat (links are reported as links, never followed). */
export function listEntries(dir: string): { name: string; stat: Stats }[] {
  const stat = lstatOrUndefined(dir);
  if (!stat || !stat.isDirectory()) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const entry = lstatOrUndefined(join(dir, name));
      return entry ? [{ name, stat: entry }] : [];
    });
}

/** Whether anything (a link too, never followed) has this name. */
export function pathExists(path: string): boolean {
  return lstatOrUndefined(path) !== undefined;
}

/** Whether `path` is a real folder (not a link to one). */
export function isRealDir(path: string): boolean {
  return lstatOrUndefined(path)?.isDirectory() ?? false;
}
