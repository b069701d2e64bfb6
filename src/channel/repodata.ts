import { join } from 'node:path';
import { UserError } from '../core/errors';
import { readRegularFile, writeFileAtomic } from './safe-fs';

/** A repodata.json that is not one (a message for the user, naming the file). */
export class RepodataReadError extends UserError {}

/** One package's entry in a channel subdir's repodata.json. */
export interface PackageRecord {
  name: string;
  version: string;
  build: string;
  build_number?: number;
  depends?: string[];
  subdir?: string;
  sha256?: string;
  md5?: string;
  size?: number;
  [key: string]: unknown;
}

/** The parts of repodata.json nx-conda reads and writes. */
export interface Repodata {
  info: { subdir: string };
  packages: Record<string, PackageRecord>;
  'packages.conda': Record<string, PackageRecord>;
  removed: string[];
  repodata_version: number;
}

/**
 * conda subdirs: `noarch` and `<os>-<arch>` for the operating systems conda
 * knows (`linux-64`, `osx-arm64`, `win-64`, `emscripten-wasm32`, ...). Not
 * `src_cache`, and not a `conda-bld` folder inside a shared staging channel.
 */
export const SUBDIR_PATTERN = /^(noarch|(linux|osx|win|emscripten|wasi|zos|freebsd)-[a-z0-9_]+)$/;

/** A name that claims to be a package: what collection looks at (and refuses when it is not a valid one). */
export function isPackageFile(fileName: string): boolean {
  return fileName.endsWith('.conda') || fileName.endsWith('.tar.bz2');
}

/**
 * A conda package file name, `<name>-<version>-<build>.conda|.tar.bz2`: conda
 * name characters, a version and a build string without `-`, nothing that
 * could be a path (`/`, `..` alone, a leading dot) or a control character.
 */
export const PACKAGE_FILE_PATTERN =
  /^[A-Za-z0-9_][A-Za-z0-9_.+-]*-[A-Za-z0-9_.+!]+-[A-Za-z0-9_.+]+\.(?:conda|tar\.bz2)$/;

export function isValidPackageFile(fileName: string): boolean {
  return PACKAGE_FILE_PATTERN.test(fileName);
}

export function emptyRepodata(subdir: string): Repodata {
  return { info: { subdir }, packages: {}, 'packages.conda': {}, removed: [], repodata_version: 1 };
}

/** Which repodata map a package file belongs in. */
export function repodataKey(fileName: string): 'packages' | 'packages.conda' {
  return fileName.endsWith('.conda') ? 'packages.conda' : 'packages';
}

/** Largest repodata.json read when the caller gives no limit (see maxIndexMegabytes). */
const DEFAULT_MAX_INDEX_BYTES = 256 * 1024 * 1024;

export function readRepodata(subdirPath: string, subdir: string, maxBytes = DEFAULT_MAX_INDEX_BYTES): Repodata {
  const file = join(subdirPath, 'repodata.json');
  // Never through a link: a build could plant `repodata.json -> ~/.aws/credentials`.
  const content = readRegularFile(file, 'reading a channel index; maxIndexMegabytes raises the limit', maxBytes);
  if (content === undefined) return emptyRepodata(subdir);
  let parsed: Partial<Repodata>;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch (e) {
    // Not the parser's message: it quotes the file's first bytes, which a build wrote (terminal escapes) or a link hid.
    throw corruptIndex(file, 'not JSON', e);
  }
  if (!isObject(parsed)) throw corruptIndex(file, 'not a JSON object');
  for (const key of ['packages', 'packages.conda'] as const)
    if (parsed[key] !== undefined && !isObject(parsed[key])) throw corruptIndex(file, `its ${key} is not an object`);
  return {
    ...emptyRepodata(subdir),
    ...parsed,
    packages: { ...(parsed.packages ?? {}) },
    'packages.conda': { ...(parsed['packages.conda'] ?? {}) },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The error of a repodata.json that is not one: names the file, says what is wrong and what to do. */
export function corruptIndex(file: string, problem: string, cause?: unknown): RepodataReadError {
  const error = new RepodataReadError(
    `Cannot read the channel index ${file}: ${problem}. Delete the folder it is in and run the target that wrote it again (the project's build-recipe, or channel).`,
  );
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** `sync: false` for a scratch channel (a build's staging channel): no fsync, the folder does not outlive the build. */
export function writeRepodata(subdirPath: string, repodata: Repodata, options: { sync?: boolean } = {}): void {
  // A temporary file renamed over the old one: never written through a link, never half-written.
  writeFileAtomic(join(subdirPath, 'repodata.json'), JSON.stringify(repodata, null, 1) + '\n', options);
}

/** The record of `fileName` in `repodata`, if the index has one. */
export function findRecord(repodata: Repodata, fileName: string): PackageRecord | undefined {
  const records = repodata[repodataKey(fileName)];
  return Object.prototype.hasOwnProperty.call(records, fileName) ? records[fileName] : undefined;
}
