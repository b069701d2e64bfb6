/**
 * Data from a build is bounded and checked before it is taken: a package
 * file has a size limit and is never sparse (a 2 GiB file of holes named like
 * a package would become 2 GiB of zeros in every copy), and its repodata
 * record is rebuilt from what the file is (name, file name, size, sha256)
 * with only the fields conda reads, never copied verbatim.
 */
import type { Stats } from 'node:fs';
import { OptionError, UserError } from '../core/errors';
import type { PackageRecord } from './repodata';

export class PackageCheckError extends UserError {}

export interface DataLimits {
  /** Largest package file taken, in bytes. */
  maxPackageBytes: number;
  /** Largest repodata.json read, in bytes. */
  maxIndexBytes: number;
}

const MiB = 1024 * 1024;
/** Defaults of the `maxPackageMegabytes` and `maxIndexMegabytes` options. */
export const DEFAULT_MAX_PACKAGE_MEGABYTES = 2048;
export const DEFAULT_MAX_INDEX_MEGABYTES = 256;
export const DEFAULT_DATA_LIMITS: DataLimits = {
  maxPackageBytes: DEFAULT_MAX_PACKAGE_MEGABYTES * MiB,
  maxIndexBytes: DEFAULT_MAX_INDEX_MEGABYTES * MiB,
};

/** The limits from the options (megabytes; undefined or 0: the default). */
export function dataLimits(options: { maxPackageMegabytes?: number; maxIndexMegabytes?: number }): DataLimits {
  const bytes = (value: number | undefined, fallback: number, name: string) => {
    if (value === undefined || value === 0) return fallback * MiB;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new OptionError(name, `${name} must be a positive number of megabytes, got ${JSON.stringify(value)}.`);
    return Math.floor(value * MiB);
  };
  return {
    maxPackageBytes: bytes(options.maxPackageMegabytes, DEFAULT_MAX_PACKAGE_MEGABYTES, 'maxPackageMegabytes'),
    maxIndexBytes: bytes(options.maxIndexMegabytes, DEFAULT_MAX_INDEX_MEGABYTES, 'maxIndexMegabytes'),
  };
}

/** A package file's size within the limit and no holes in it. */
export function checkPackageStat(path: string, stat: Stats, limits: DataLimits): void {
  if (stat.size > limits.maxPackageBytes)
    throw new PackageCheckError(
      `${path} is ${stat.size} bytes, more than the limit of ${limits.maxPackageBytes} (maxPackageMegabytes): refused.`,
    );
  // A package is compressed data: its blocks on disk cover its size. One with holes was made to be copied dense.
  const allocated = stat.blocks * 512;
  if (stat.size > MiB && allocated < stat.size / 2)
    throw new PackageCheckError(
      `${path} is a sparse file (${stat.size} bytes long, ${allocated} on disk): a package never is; refused.`,
    );
}

const STRING_FIELDS = [
  'name',
  'version',
  'build',
  'license',
  'license_family',
  'subdir',
  'platform',
  'arch',
  'track_features',
  'features',
  'python_site_packages_path',
] as const;
const LIST_FIELDS = ['depends', 'constrains'] as const;
/** A record holds what conda reads; more than this is not a record. */
const MAX_RECORD_BYTES = 256 * 1024;

/**
 * The record of package `file` in `subdir` as it goes into an index we
 * write: the fields conda reads, of the right types, checked against the
 * file (its name is `<name>-<version>-<build>`, `fn` if given is the file's
 * name, `size` and `sha256` are the file's), with `size`, `sha256` and `md5`
 * taken from the file itself. Throws a PackageCheckError naming the package.
 */
export function checkedRecord(
  record: PackageRecord,
  where: string,
  file: string,
  subdir: string,
  facts: { size: number; sha256?: string; md5?: string },
): PackageRecord {
  function refuse(why: string): never {
    throw new PackageCheckError(`The index record of ${where} ${why}: refused (the record must describe its file).`);
  }
  if (!record || typeof record !== 'object' || Array.isArray(record)) refuse('is not an object');
  let length = 0;
  try {
    length = JSON.stringify(record).length;
  } catch {
    refuse('cannot be written as JSON');
  }
  if (length > MAX_RECORD_BYTES) refuse(`is ${length} bytes long, more than ${MAX_RECORD_BYTES}`);
  const clean: PackageRecord = { name: '', version: '', build: '' };
  for (const field of STRING_FIELDS) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') refuse(`has a ${field} that is not a string`);
    clean[field] = value;
  }
  // `noarch` is `python` or `generic`, or true in old indexes.
  if (record.noarch !== undefined && record.noarch !== null) {
    if (typeof record.noarch !== 'string' && typeof record.noarch !== 'boolean')
      refuse('has a noarch that is not a string');
    clean.noarch = record.noarch;
  }
  for (const field of LIST_FIELDS) {
    const value = record[field];
    if (value === undefined) continue;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
      refuse(`has ${field} that is not a list of strings`);
    clean[field] = [...(value as string[])];
  }
  for (const field of ['build_number', 'timestamp'] as const) {
    const value = record[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
      refuse(`has a ${field} that is not a whole number`);
    clean[field] = value;
  }
  if (!clean.name || !clean.version || !clean.build) refuse('lacks its name, version or build');
  const stem = file.replace(/\.(conda|tar\.bz2)$/, '');
  if (stem !== `${clean.name}-${clean.version}-${clean.build}`)
    refuse(`names ${clean.name}-${clean.version}-${clean.build}, not the file ${file}`);
  if (record.fn !== undefined && record.fn !== file) refuse(`gives fn ${JSON.stringify(record.fn)}, not ${file}`);
  if (clean.subdir !== undefined && clean.subdir !== subdir) refuse(`gives subdir ${clean.subdir}, not ${subdir}`);
  if (record.size !== undefined && record.size !== facts.size)
    refuse(`gives size ${JSON.stringify(record.size)}, but the file is ${facts.size} bytes`);
  if (record.sha256 !== undefined && facts.sha256 !== undefined && record.sha256 !== facts.sha256)
    refuse('gives a sha256 that is not the file’s');
  if (record.md5 !== undefined && facts.md5 !== undefined && record.md5 !== facts.md5)
    refuse('gives an md5 that is not the file’s');
  clean.subdir = subdir;
  clean.size = facts.size;
  const sha256 = facts.sha256 ?? (typeof record.sha256 === 'string' ? record.sha256 : undefined);
  const md5 = facts.md5 ?? (typeof record.md5 === 'string' ? record.md5 : undefined);
  if (sha256 !== undefined) clean.sha256 = sha256;
  if (md5 !== undefined) clean.md5 = md5;
  return clean;
}
