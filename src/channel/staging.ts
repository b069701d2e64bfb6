import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyRepodata, findRecord, isPackageFile, readRepodata, repodataKey, Repodata, SUBDIR_PATTERN, writeRepodata } from './repodata';

/** Package files of a channel folder, by `<subdir>/<file>`, with what tells a rewrite apart. */
export type ChannelSnapshot = Map<string, { size: number; mtimeMs: number }>;

export interface ChannelPackage {
  subdir: string;
  file: string;
}

function subdirsOf(channelDir: string): string[] {
  if (!existsSync(channelDir)) return [];
  return readdirSync(channelDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && SUBDIR_PATTERN.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** Every package file directly inside a subdir of the channel; nothing deeper (never `src_cache`). */
export function listChannelPackages(channelDir: string): ChannelPackage[] {
  const found: ChannelPackage[] = [];
  for (const subdir of subdirsOf(channelDir)) {
    for (const file of readdirSync(join(channelDir, subdir)).sort()) {
      if (isPackageFile(file)) found.push({ subdir, file });
    }
  }
  return found;
}

export function snapshotChannel(channelDir: string): ChannelSnapshot {
  const snapshot: ChannelSnapshot = new Map();
  for (const { subdir, file } of listChannelPackages(channelDir)) {
    const stat = statSync(join(channelDir, subdir, file));
    snapshot.set(`${subdir}/${file}`, { size: stat.size, mtimeMs: stat.mtimeMs });
  }
  return snapshot;
}

/** A channel needs `noarch/` and the target platform's subdir, each with a repodata.json, even when empty. */
export function ensureChannelLayout(channelDir: string, platform: string): void {
  for (const subdir of new Set(['noarch', platform])) {
    const path = join(channelDir, subdir);
    mkdirSync(path, { recursive: true });
    if (!existsSync(join(path, 'repodata.json'))) writeRepodata(path, emptyRepodata(subdir));
  }
}

/** Copy-on-write where the filesystem allows it, a plain copy elsewhere: never a hard link, so a build cannot alter a dependency's output. */
function copyPackage(from: string, to: string): void {
  copyFileSync(from, to, constants.COPYFILE_FICLONE);
}

export interface AssembleResult {
  /** Packages now in the staging channel, as `<subdir>/<file>`. */
  packages: number;
  /** Package files a source folder holds without a record in its repodata.json. */
  unindexed: string[];
}

/**
 * Fills `stagingDir` with the packages of every source channel folder and
 * writes one merged repodata.json per subdir, so the staging channel is
 * usable without running an indexer. Records come from the sources' own
 * repodata.json, written by the indexer of the build that made them.
 */
export function assembleStagingChannel(stagingDir: string, sourceDirs: string[], platform: string): AssembleResult {
  const merged = new Map<string, Repodata>();
  const unindexed: string[] = [];
  let packages = 0;
  for (const sourceDir of sourceDirs) {
    for (const subdir of subdirsOf(sourceDir)) {
      const sourceSubdir = join(sourceDir, subdir);
      const sourceIndex = readRepodata(sourceSubdir, subdir);
      // Start from what the staging channel already lists (a shared staging channel keeps earlier builds).
      const target = merged.get(subdir) ?? readRepodata(join(stagingDir, subdir), subdir);
      merged.set(subdir, target);
      mkdirSync(join(stagingDir, subdir), { recursive: true });
      for (const file of readdirSync(sourceSubdir)) {
        if (!isPackageFile(file)) continue;
        copyPackage(join(sourceSubdir, file), join(stagingDir, subdir, file));
        packages++;
        const record = findRecord(sourceIndex, file);
        if (record) target[repodataKey(file)][file] = record;
        else unindexed.push(join(sourceSubdir, file));
      }
    }
  }
  for (const [subdir, repodata] of merged) writeRepodata(join(stagingDir, subdir), repodata);
  ensureChannelLayout(stagingDir, platform);
  return { packages, unindexed };
}

export interface CollectedPackage extends ChannelPackage {
  size: number;
}

export class MissingRecordError extends Error {}

/**
 * Moves the packages a build added to (or rewrote in) `stagingDir` into
 * `outputDir`, keeping each in the subdir the build put it in, and writes
 * `outputDir` as an indexed channel holding exactly those packages. A build
 * owns only the `noarch` and `platform` subdirs of its output folder: those
 * are replaced, anything else there (such as the output folder of a recipe
 * nested in this one's folder) is left alone. The records are those of the
 * staging channel's index, which the build refreshed after building, so a
 * package rebuilt under the same file name never keeps a stale sha256 or size.
 */
export function collectNewPackages(stagingDir: string, before: ChannelSnapshot, outputDir: string, platform: string): CollectedPackage[] {
  const owned = ownedSubdirs(platform);
  const after = snapshotChannel(stagingDir);
  const fresh = [...after].filter(([key, stat]) => {
    const old = before.get(key);
    return !old || old.size !== stat.size || old.mtimeMs !== stat.mtimeMs;
  });

  const indexes = new Map<string, Repodata>();
  const indexOf = (subdir: string) => {
    let index = indexes.get(subdir);
    if (!index) {
      index = readRepodata(join(stagingDir, subdir), subdir);
      indexes.set(subdir, index);
    }
    return index;
  };

  const collected: CollectedPackage[] = [];
  const outputIndexes = new Map(owned.map((subdir) => [subdir, emptyRepodata(subdir)]));
  for (const [key, stat] of fresh) {
    const [subdir, file] = key.split('/');
    const outIndex = outputIndexes.get(subdir);
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
    outIndex[repodataKey(file)][file] = record;
    collected.push({ subdir, file, size: stat.size });
  }
  if (collected.length === 0) return collected;

  for (const [subdir, index] of outputIndexes) {
    const path = join(outputDir, subdir);
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path, { recursive: true });
    writeRepodata(path, index);
  }
  for (const { subdir, file } of collected) copyPackage(join(stagingDir, subdir, file), join(outputDir, subdir, file));
  return collected;
}

/** The subdirs of a project's output folder that its build owns (and Nx caches): `noarch` and the target platform's. */
export function ownedSubdirs(platform: string): string[] {
  return platform === 'noarch' ? ['noarch'] : ['noarch', platform];
}

/** In a shared staging channel, which project put which package there (`<subdir>/<file>` → project). */
const OWNERS_FILE = '.nx-conda-owners.json';

function readOwners(stagingDir: string): Record<string, string> {
  const file = join(stagingDir, OWNERS_FILE);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
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
    rmSync(join(stagingDir, subdir, file), { force: true });
    bySubdir.set(subdir, [...(bySubdir.get(subdir) ?? []), file]);
    delete owners[key];
  }
  for (const [subdir, files] of bySubdir) {
    const path = join(stagingDir, subdir);
    if (!existsSync(path)) continue;
    const index = readRepodata(path, subdir);
    for (const file of files) delete index[repodataKey(file)][file];
    writeRepodata(path, index);
  }
  writeFileSync(join(stagingDir, OWNERS_FILE), JSON.stringify(owners, null, 1));
  return removed;
}

/** After a build in a shared staging channel: remembers which packages this project put there. */
export function recordOwnedPackages(stagingDir: string, project: string, packages: ChannelPackage[]): void {
  const owners = readOwners(stagingDir);
  for (const { subdir, file } of packages) owners[`${subdir}/${file}`] = project;
  writeFileSync(join(stagingDir, OWNERS_FILE), JSON.stringify(owners, null, 1));
}
