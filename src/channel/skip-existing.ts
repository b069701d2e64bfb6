/**
 * skipExisting: is every package a recipe makes already in an upstream
 * channel? Looked up by name, version and build number in the channel's
 * subdir for the platform and in its noarch (the build string holds a hash
 * of the variant, which only the builder computes).
 */
import type { PackageIdentity } from '../recipes';
import { upstreamIndex, versionsOf, type FetchOptions, type SubdirIndex } from './repodata-cache';

export interface ExistingLookup {
  /** For each package: the channel and subdir that has it, or undefined. */
  found: { pkg: PackageIdentity; channel?: string; subdir?: string }[];
  /** All of them are there: the build can be skipped. */
  all: boolean;
  /** The subdir indexes read, for the report. */
  indexes: SubdirIndex[];
}

export function hasPackage(index: SubdirIndex, pkg: PackageIdentity): boolean {
  if (pkg.version === undefined || Number.isNaN(pkg.buildNumber)) return false;
  return versionsOf(index.index, pkg.name)?.includes(`${pkg.version}#${pkg.buildNumber}`) ?? false;
}

export interface LookupOptions extends FetchOptions {
  /**
   * The indexes this process already loaded, by channel and subdir: a batch
   * of builds loads each one once and decides every skip in memory.
   */
  loaded?: Map<string, Promise<SubdirIndex>>;
}

function indexOf(channel: string, subdir: string, options: LookupOptions): Promise<SubdirIndex> {
  if (!options.loaded) return upstreamIndex(channel, subdir, options);
  const key = `${channel}\n${subdir}`;
  let index = options.loaded.get(key);
  if (!index) {
    index = upstreamIndex(channel, subdir, options);
    options.loaded.set(key, index);
    // A failed load is not kept: the next task tries again and says why itself.
    index.catch(() => options.loaded?.delete(key));
  }
  return index;
}

/** Looks `packages` up in `channels` (priority order), subdir `platform` then `noarch`. */
export async function lookupExisting(
  packages: PackageIdentity[],
  channels: string[],
  platform: string,
  options: LookupOptions,
): Promise<ExistingLookup> {
  const subdirs = platform === 'noarch' ? ['noarch'] : [platform, 'noarch'];
  const indexes: SubdirIndex[] = [];
  for (const channel of channels) for (const subdir of subdirs) indexes.push(await indexOf(channel, subdir, options));
  const found = packages.map((pkg) => {
    const where = indexes.find((index) => hasPackage(index, pkg));
    return where ? { pkg, channel: where.channel, subdir: where.subdir } : { pkg };
  });
  return { found, all: packages.length > 0 && found.every((f) => f.channel !== undefined), indexes };
}

/** `name version (build N)` */
export function describePackage(pkg: PackageIdentity): string {
  return `${pkg.name} ${pkg.version ?? '(no version)'} (build ${Number.isNaN(pkg.buildNumber) ? '?' : pkg.buildNumber})`;
}
