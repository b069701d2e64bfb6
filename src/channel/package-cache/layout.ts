/**
 * The layout of the package cache, which both builders read as it is:
 *
 *   <root>/<channel key>/urls.txt            empty: conda takes the folder for a (read-only) package cache
 *   <root>/<channel key>/<name>-<version>-<build>/
 *       ...                                  the package, extracted
 *       info/repodata_record.json            the upstream record, as conda writes it (conda matches on it)
 *       .nx-conda-rattler.lock               rattler's cache lock: revision and sha256 (rattler checks it)
 *       .nx-conda-entry.json                 what was verified (file, size, sha256), written last
 *   <root>/.tmp/                             entries being written, renamed into place when complete
 *
 * One folder per upstream channel, since conda matches a cached package on
 * channel, subdir, name, version and build, never on its hash: two channels
 * may hold different packages with one file name.
 */
import { createHash } from 'node:crypto';
import { PACKAGE_FILE_PATTERN } from '../repodata';

export const ENTRY_MARKER = '.nx-conda-entry.json';
export const RATTLER_LOCK = '.nx-conda-rattler.lock';
export const TEMP_FOLDER = '.tmp';
export const CHANNEL_KEY_PATTERN = /^[0-9a-f]{16}$/;

/** The folder of an upstream channel (its base URL, without a trailing slash). */
export function channelKey(base: string): string {
  return createHash('sha256').update(base).digest('hex').slice(0, 16);
}

/** A package file's entry name (`name-version-build`), or undefined when the file name is not a package's. */
export function entryName(fileName: string): string | undefined {
  if (!PACKAGE_FILE_PATTERN.test(fileName)) return undefined;
  return fileName.replace(/\.(conda|tar\.bz2)$/, '');
}

/** An entry folder name as the cache and the builders' caches write them. */
export function isEntryName(name: string): boolean {
  return entryName(`${name}.conda`) !== undefined;
}

/** What nx-conda checked before an entry entered the cache. */
export interface EntryMarker {
  fn: string;
  subdir: string;
  size: number;
  sha256: string;
  /** Bytes of the extracted entry, for the size limit. */
  bytes: number;
}

export function parseMarker(text: string, entry: string): EntryMarker | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const m = parsed as Record<string, unknown>;
  if (
    typeof m.fn !== 'string' ||
    entryName(m.fn) !== entry ||
    typeof m.subdir !== 'string' ||
    typeof m.size !== 'number' ||
    typeof m.bytes !== 'number' ||
    typeof m.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(m.sha256)
  )
    return undefined;
  return { fn: m.fn, subdir: m.subdir, size: m.size, sha256: m.sha256, bytes: m.bytes };
}

/** rattler's cache lock file: the entry's revision (u64, big endian) and the package's sha256. */
export function rattlerLock(sha256: string): Buffer {
  const out = Buffer.alloc(40);
  out.writeBigUInt64BE(1n, 0);
  Buffer.from(sha256, 'hex').copy(out, 8);
  return out;
}

/**
 * info/repodata_record.json as conda writes it after a download: the
 * channel's record with the channel, file name and URL it came from.
 */
export function repodataRecord(
  record: Record<string, unknown>,
  base: string,
  subdir: string,
  fn: string,
): Record<string, unknown> {
  return { ...record, channel: `${base}/${subdir}`, subdir, fn, url: `${base}/${subdir}/${fn}` };
}
