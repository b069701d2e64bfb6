import { rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { replaceOutputSubdirs } from './output';
import {
  emptyRepodata,
  findRecord,
  isPackageFile,
  isValidPackageFile,
  readRepodata,
  repodataKey,
  Repodata,
  SUBDIR_PATTERN,
  writeRepodata,
} from './repodata';
import {
  copyRegularFile,
  digestRegularFile,
  ensureRealDir,
  isRealDir,
  kindOf,
  listEntries,
  readRegularFile,
  UnsafeFileError,
  writeFileAtomic,
} from './safe-fs';
import { UserError } from '../core/errors';
import { checkedRecord, checkPackageStat, DEFAULT_DATA_LIMITS, type DataLimits } from './package-check';

/** Package files of a channel folder, by `<subdir>/<file>`, with what tells a rewrite apart. */
export type ChannelSnapshot = Map<string, { size: number; mtimeMs: number; ino: number }>;

export interface ChannelPackage {
  subdir: string;
  file: string;
}

interface ChannelScan {
  packages: (ChannelPackage & { stat: Stats })[];
  /** Links, FIFOs, devices in known subdirs (or in their place), and package-like names that are not regular files with a package name. */
  refused: { path: string; why: string }[];
  /** Package-like files outside the known subdirs: never taken. */
  ignored: string[];
}

/**
 * Looks at a channel folder without following anything: regular files with
 * conda package names directly inside a known subdir are packages; a link,
 * FIFO, device or folder named like a package, or an odd package-like name,
 * is refused; package-like names elsewhere (the channel's top, `src_cache`,
 * `conda-bld`, unknown folders) are ignored.
 */
function scanChannel(channelDir: string): ChannelScan {
  const scan: ChannelScan = { packages: [], refused: [], ignored: [] };
  for (const top of listEntries(channelDir)) {
    const topPath = join(channelDir, top.name);
    const known = SUBDIR_PATTERN.test(top.name);
    if (!top.stat.isDirectory()) {
      // `noarch -> /home/me` would make the next build write there.
      if (known)
        scan.refused.push({ path: topPath, why: `a ${kindOf(top.stat)} named like a channel subdir, not a folder` });
      else if (isPackageFile(top.name)) scan.ignored.push(topPath);
      continue;
    }
    for (const { name, stat } of listEntries(topPath)) {
      const path = join(topPath, name);
      // In a subdir nothing but files and folders: `repodata.json -> ~/.aws/credentials` would be read or overwritten later.
      if (known && !stat.isFile() && !stat.isDirectory()) {
        scan.refused.push({ path, why: `a ${kindOf(stat)}, not a regular file` });
        continue;
      }
      if (!isPackageFile(name)) continue;
      if (!known) scan.ignored.push(path);
      else if (!stat.isFile()) scan.refused.push({ path, why: `a ${kindOf(stat)}, not a regular file` });
      else if (!isValidPackageFile(name))
        scan.refused.push({ path, why: 'not a conda package file name (<name>-<version>-<build>.conda or .tar.bz2)' });
      else scan.packages.push({ subdir: top.name, file: name, stat });
    }
  }
  return scan;
}

/** Every package file directly inside a subdir of the channel; nothing deeper (never `src_cache`), nothing that is not a regular file. */
export function listChannelPackages(channelDir: string): ChannelPackage[] {
  return scanChannel(channelDir).packages.map(({ subdir, file }) => ({ subdir, file }));
}

export function snapshotChannel(channelDir: string): ChannelSnapshot {
  const snapshot: ChannelSnapshot = new Map();
  for (const { subdir, file, stat } of scanChannel(channelDir).packages) {
    snapshot.set(`${subdir}/${file}`, { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino });
  }
  return snapshot;
}

/** A channel needs `noarch/` and the target platform's subdir, each with a repodata.json, even when empty. */
export function ensureChannelLayout(channelDir: string, platform: string, options: { sync?: boolean } = {}): void {
  for (const subdir of new Set(['noarch', platform])) {
    const path = join(channelDir, subdir);
    ensureRealDir(path);
    if (readRegularFile(join(path, 'repodata.json'), 'reading a channel index') === undefined)
      writeRepodata(path, emptyRepodata(subdir), options);
  }
}

export interface AssembleResult {
  /** Packages now in the staging channel, as `<subdir>/<file>`. */
  packages: number;
  /** Package files a source folder holds without a record in its repodata.json. */
  unindexed: string[];
}

/**
 * Fills `stagingDir` with the `noarch/` and `platform` packages of every source channel folder and
 * writes one merged repodata.json per subdir, so the staging channel is
 * usable without running an indexer. Records come from the sources' own
 * repodata.json, written by the indexer of the build that made them. Only
 * regular files are copied, each through a temporary name, so a link a
 * build left in a shared staging channel is replaced, never written through.
 */
export function assembleStagingChannel(stagingDir: string, sourceDirs: string[], platform: string): AssembleResult {
  const merged = new Map<string, Repodata>();
  const unindexed: string[] = [];
  let packages = 0;
  const wanted = new Set(['noarch', platform]);
  ensureRealDir(stagingDir);
  for (const sourceDir of sourceDirs) {
    const scan = scanChannel(sourceDir);
    if (scan.refused.length) throw refusal(scan.refused);
    const sourceIndexes = new Map<string, Repodata>();
    for (const { subdir, file } of scan.packages) {
      // A build for one platform sees its own subdir and noarch/ only, never another platform's packages.
      if (!wanted.has(subdir)) continue;
      const sourceSubdir = join(sourceDir, subdir);
      let sourceIndex = sourceIndexes.get(subdir);
      if (!sourceIndex) sourceIndexes.set(subdir, (sourceIndex = readRepodata(sourceSubdir, subdir)));
      // Start from what the staging channel already lists (a shared staging channel keeps earlier builds).
      let target = merged.get(subdir);
      if (!target) {
        ensureRealDir(join(stagingDir, subdir));
        merged.set(subdir, (target = readRepodata(join(stagingDir, subdir), subdir)));
      }
      // No fsync: the staging channel is scratch, removed after the build (an fsync per package was most of the time).
      copyRegularFile(join(sourceSubdir, file), join(stagingDir, subdir, file), 'copying it', { sync: false });
      packages++;
      const record = findRecord(sourceIndex, file);
      if (record) target[repodataKey(file)][file] = record;
      else unindexed.push(join(sourceSubdir, file));
    }
  }
  // No fsync for the indexes either (two fsyncs were ~25 ms of a trivial build's own time, issue 17).
  for (const [subdir, repodata] of merged) writeRepodata(join(stagingDir, subdir), repodata, { sync: false });
  ensureChannelLayout(stagingDir, platform, { sync: false });
  return { packages, unindexed };
}

export interface CollectedPackage extends ChannelPackage {
  size: number;
}

/** A build left a package the staging channel's index does not list, or one for a subdir the build does not own. */
export class MissingRecordError extends UserError {}

function refusal(refused: { path: string; why: string }[]): UnsafeFileError {
  return new UnsafeFileError(
    `refused ${refused.length} file(s) the build left in the staging channel, named like packages but not taken:\n` +
      refused.map(({ path, why }) => `  ${JSON.stringify(path)}: ${why}`).join('\n') +
      '\nOnly regular files with conda package names leave the staging channel; nothing was read through them, and they were removed from it.',
  );
}

export interface CollectResult {
  packages: CollectedPackage[];
  /** Package-like files outside the known subdirs, which were not taken. */
  ignored: string[];
  /** New noarch packages of a build that does not own noarch/ (see ownedSubdirs): not taken. */
  dropped: ChannelPackage[];
}

/**
 * Moves the packages a build added to (or rewrote in) `stagingDir` into
 * `outputDir`, keeping each in the subdir the build put it in, and writes
 * `outputDir` as an indexed channel holding exactly those packages. A build
 * owns only the `owned` subdirs of its output folder (see ownedSubdirs):
 * those are replaced, atomically per subdir (see replaceOutputSubdirs),
 * anything else there (such as the output folder of a recipe nested in this
 * one's folder, or noarch/ for a build that does not own it) is left alone.
 * A new noarch package of a build that does not own noarch/ is dropped
 * (never read, never copied): the primary build makes it. The records are
 * those of the staging channel's index, which the build refreshed after
 * building, so a package rebuilt under the same file name never keeps a
 * stale sha256 or size.
 *
 * Anything named like a package that is not a regular file with a package
 * name is refused (and removed from staging): the whole collection fails
 * and the output folder is left as it was.
 */
export function collectNewPackages(
  stagingDir: string,
  before: ChannelSnapshot,
  outputDir: string,
  owned: readonly string[],
  limits: DataLimits = DEFAULT_DATA_LIMITS,
): CollectResult {
  const scan = scanChannel(stagingDir);
  if (scan.refused.length) {
    for (const { path } of scan.refused) rmSync(path, { recursive: true, force: true });
    throw refusal(scan.refused);
  }
  const fresh = scan.packages.filter(({ subdir, file, stat }) => {
    const old = before.get(`${subdir}/${file}`);
    return !old || old.size !== stat.size || old.mtimeMs !== stat.mtimeMs || old.ino !== stat.ino;
  });

  const indexes = new Map<string, Repodata>();
  const indexOf = (subdir: string) => {
    let index = indexes.get(subdir);
    if (!index) {
      index = readRepodata(join(stagingDir, subdir), subdir, limits.maxIndexBytes);
      indexes.set(subdir, index);
    }
    return index;
  };

  const collected: CollectedPackage[] = [];
  const dropped: ChannelPackage[] = [];
  const outputIndexes = new Map(owned.map((subdir) => [subdir, emptyRepodata(subdir)]));
  for (const { subdir, file, stat } of fresh) {
    const key = `${subdir}/${file}`;
    const outIndex = outputIndexes.get(subdir);
    if (!outIndex && subdir === 'noarch') {
      dropped.push({ subdir, file });
      continue;
    }
    if (!outIndex) {
      throw new MissingRecordError(
        `The build made ${key}, for subdir ${subdir}, but this build is for ${owned.join(' and ')}. ` +
          'Set the platform option to the platform the builder targets.',
      );
    }
    const record = findRecord(indexOf(subdir), file);
    if (!record) {
      throw new MissingRecordError(
        `The build made ${key} but the staging channel's index has no record of it. ` +
          'The build script must index its output folder after building (conda index, or rattler-build, which indexes by itself).',
      );
    }
    const path = join(stagingDir, subdir, file);
    checkPackageStat(path, stat, limits);
    const facts = digestRegularFile(path, 'collecting a package');
    if (!facts) throw new MissingRecordError(`${key} disappeared while it was being collected.`);
    outIndex[repodataKey(file)][file] = checkedRecord(record, `${key} (made by this build)`, file, subdir, facts);
    collected.push({ subdir, file, size: stat.size });
  }
  // Nothing new: the output folder stays as it was, and the caller says so. Only dropped ones: empty owned subdirs.
  if (collected.length === 0 && dropped.length === 0) return { packages: collected, ignored: scan.ignored, dropped };

  replaceOutputSubdirs(
    outputDir,
    [...outputIndexes].map(([subdir, index]) => ({
      subdir,
      index,
      files: collected
        .filter((p) => p.subdir === subdir)
        .map(({ file }) => ({ file, from: join(stagingDir, subdir, file) })),
    })),
  );
  return { packages: collected, ignored: scan.ignored, dropped };
}

/** Where a shared staging channel's control files live: beside it, never inside the folder a container can write. */
export function controlDirOf(stagingDir: string): string {
  return `${stagingDir.replace(/\/+$/, '')}.nx-conda`;
}

/** In a shared staging channel, which project put which package there (`<subdir>/<file>` → project). */
const OWNERS_FILE = 'owners.json';
/** Where older versions kept it: inside the staging channel, writable by every build. Never read; removed. */
const OLD_OWNERS_FILE = '.nx-conda-owners.json';

function readOwners(stagingDir: string): Record<string, string> {
  rmSync(join(stagingDir, OLD_OWNERS_FILE), { force: true });
  // Keys and projects come from a file beside a folder builds write: a null-prototype map.
  const owners: Record<string, string> = Object.create(null);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readRegularFile(join(controlDirOf(stagingDir), OWNERS_FILE))?.toString('utf8') ?? '{}');
  } catch {
    return owners;
  }
  if (!parsed || typeof parsed !== 'object') return owners;
  for (const [key, project] of Object.entries(parsed as Record<string, unknown>)) {
    const [subdir, file, ...rest] = key.split('/');
    if (
      typeof project === 'string' &&
      rest.length === 0 &&
      SUBDIR_PATTERN.test(subdir) &&
      isValidPackageFile(file ?? '')
    )
      owners[key] = project;
  }
  return owners;
}

function writeOwners(stagingDir: string, owners: Record<string, string>): void {
  writeFileAtomic(join(controlDirOf(stagingDir), OWNERS_FILE), JSON.stringify(owners, null, 1));
}

/**
 * Before a build in a shared staging channel: removes the packages this
 * project built there before, files and records. Indexers skip a file name
 * they already list, so a package rebuilt under the same name would keep the
 * old record (sha256, size, depends) if the old one stayed.
 */
export function removeOwnedPackages(stagingDir: string, project: string): string[] {
  const owners = readOwners(stagingDir);
  const removed = Object.keys(owners).filter((key) => owners[key] === project);
  const bySubdir = new Map<string, string[]>();
  for (const key of removed) {
    const [subdir, file] = key.split('/');
    delete owners[key];
    if (!isRealDir(join(stagingDir, subdir))) continue;
    rmSync(join(stagingDir, subdir, file), { recursive: true, force: true });
    bySubdir.set(subdir, [...(bySubdir.get(subdir) ?? []), file]);
  }
  for (const [subdir, files] of bySubdir) {
    const path = join(stagingDir, subdir);
    const index = readRepodata(path, subdir);
    for (const file of files) delete index[repodataKey(file)][file];
    writeRepodata(path, index);
  }
  writeOwners(stagingDir, owners);
  return removed;
}

/** After a build in a shared staging channel: remembers which packages this project put there. */
export function recordOwnedPackages(stagingDir: string, project: string, packages: ChannelPackage[]): void {
  const owners = readOwners(stagingDir);
  for (const { subdir, file } of packages) owners[`${subdir}/${file}`] = project;
  writeOwners(stagingDir, owners);
}
