/**
 * Atomic file writes: through a fresh temporary name (O_EXCL | O_NOFOLLOW)
 * in the target folder, synced, then renamed over the final name. A killed
 * process never leaves half a file, and a link planted at the final name is
 * replaced instead of written through. The target folder must be a real
 * folder, never a link to one.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/** A file in a channel folder that is not what it claims to be (a link, a FIFO, a device, a folder, an odd name). */
export class UnsafeFileError extends UserError {}

/** Prefix of our temporary names; never a package or repodata name. */
export const TEMP_PREFIX = '.nx-conda-tmp-';

export function kindOf(stat: Stats): string {
  if (stat.isFile()) return 'regular file';
  if (stat.isSymbolicLink()) return 'symbolic link';
  if (stat.isDirectory()) return 'folder';
  if (stat.isFIFO()) return 'FIFO';
  if (stat.isSocket()) return 'socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  return 'special file';
}

/** The lstat of `path` (a link is not followed), or undefined when nothing has that name. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * A folder we write into: made when missing, refused when the name is a
 * link or anything else than a real folder (a planted `noarch -> /home/me`
 * must not receive our files).
 */
export function ensureRealDir(path: string): void {
  const stat = lstatOrUndefined(path);
  if (!stat) {
    mkdirSync(path, { recursive: true });
    return ensureRealDir(path);
  }
  if (!stat.isDirectory()) {
    throw new UnsafeFileError(
      `${path} is a ${kindOf(stat)}, not a folder: refused (nx-conda writes into it). Remove it and build again.`,
    );
  }
}

function tempNameIn(dir: string, forName: string): string {
  return join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${basename(forName)}`);
}

export interface AtomicWriteOptions {
  /** fsync before the rename (default true); false for files no crash of the machine needs to survive (a cache, a scratch folder). */
  sync?: boolean;
  /**
   * The folder is ours alone (no build container can write it), so it may be
   * a link (a workspace data folder moved elsewhere); it is made when missing.
   * Default false: the folder must be a real folder, never a link.
   */
  trustedFolder?: boolean;
}

/** Writes through a fresh temporary file, synced (unless `sync` is false), then renamed over `path`. */
export function writeViaTemp(path: string, write: (fd: number) => void, options: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (options.trustedFolder) mkdirSync(dir, { recursive: true });
  else ensureRealDir(dir);
  const temp = tempNameIn(dir, path);
  const fd = openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try {
    try {
      write(fd);
      if (options.sync ?? true) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/** Writes `data` to `path` through a fresh temporary file in the same folder, synced, then renamed over it. */
export function writeFileAtomic(path: string, data: string | Buffer, options: AtomicWriteOptions = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  writeViaTemp(
    path,
    (fd) => {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    },
    options,
  );
}
