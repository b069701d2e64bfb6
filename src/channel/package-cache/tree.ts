/**
 * Checks a freshly extracted package before it enters the cache: only
 * folders, regular files and symbolic links (kept as they are, never
 * followed), within bounds, and every file that info/paths.json lists with a
 * sha256 holds exactly those bytes. Makes it readable by any container user.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, openSync, readdirSync, readSync } from 'node:fs';
import { join, posix } from 'node:path';
import { kindOf, lstatOrUndefined } from '../../core/atomic-write';
import { readRegularFile } from '../safe-fs';

export interface TreeLimits {
  maxBytes: number;
  maxEntries: number;
}

export class EntryCheckError extends Error {}

/** Walks `dir` without following links; fixes modes (folders 0755, files readable); returns the bytes of its files. */
export function checkTree(dir: string, limits: TreeLimits): number {
  let bytes = 0;
  let entries = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const folder = stack.pop() as string;
    chmodSync(folder, 0o755);
    for (const name of readdirSync(folder)) {
      if (++entries > limits.maxEntries) throw new EntryCheckError(`more than ${limits.maxEntries} entries`);
      const path = join(folder, name);
      const stat = lstatOrUndefined(path);
      if (!stat) throw new EntryCheckError(`${name} vanished`);
      if (stat.isDirectory()) stack.push(path);
      else if (stat.isFile()) {
        bytes += stat.size;
        if (bytes > limits.maxBytes) throw new EntryCheckError(`more than ${limits.maxBytes} bytes once extracted`);
        chmodSync(path, stat.mode & 0o111 ? 0o755 : 0o644);
      } else if (!stat.isSymbolicLink()) throw new EntryCheckError(`${JSON.stringify(name)} is a ${kindOf(stat)}`);
    }
  }
  return bytes;
}

function sha256Of(path: string): { sha256: string; size: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let size = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest('hex'), size };
}

/** A path of paths.json as a relative path inside the entry, or undefined when it could leave it. */
function insidePath(p: unknown): string | undefined {
  if (typeof p !== 'string' || p === '' || p.includes('\0') || p.startsWith('/')) return undefined;
  const normal = posix.normalize(p);
  return normal === '..' || normal.startsWith('../') ? undefined : normal;
}

/**
 * Every file info/paths.json lists with a sha256 matches it (regular file,
 * size and digest). A package without paths.json cannot be checked: refused.
 */
export function checkPathsJson(dir: string): void {
  const text = readRegularFile(join(dir, 'info', 'paths.json'), 'reading info/paths.json', 64 * 1024 * 1024);
  if (!text) throw new EntryCheckError('no info/paths.json to check the files against');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch {
    throw new EntryCheckError('info/paths.json is not JSON');
  }
  const paths = (parsed as { paths?: unknown })?.paths;
  if (!Array.isArray(paths)) throw new EntryCheckError('info/paths.json has no paths list');
  for (const item of paths as Record<string, unknown>[]) {
    const rel = insidePath(item?._path);
    if (!rel) throw new EntryCheckError(`info/paths.json names ${JSON.stringify(item?._path)}, outside the package`);
    if (item.path_type === 'softlink' || typeof item.sha256 !== 'string') continue;
    const stat = lstatOrUndefined(join(dir, rel));
    if (!stat?.isFile()) throw new EntryCheckError(`${rel} is missing or not a regular file`);
    const got = sha256Of(join(dir, rel));
    if (
      !got ||
      got.sha256 !== item.sha256.toLowerCase() ||
      (typeof item.size_in_bytes === 'number' && got.size !== item.size_in_bytes)
    )
      throw new EntryCheckError(`${rel} does not match its sha256 in info/paths.json`);
  }
}
