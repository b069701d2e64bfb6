/**
 * One channel of many projects' packages (the `nx-conda:channel` executor):
 * the packages of every project's output folder gathered into one folder,
 * with one repodata.json per subdir as conda, mamba and rattler read it.
 *
 * Records come from the projects' own indexes (written by the builder's
 * indexer), so no package is opened. Incremental: a package whose copy has
 * the size and sha256 (from its record; size and mtime without one) of its
 * source is not copied again. A package that its
 * project's output no longer holds (or whose project is gone) is removed; a
 * project whose output folder is absent here (not built nor restored on this
 * machine, as with `nx affected`) keeps what it had in the channel.
 */
import { rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors';
import {
  emptyRepodata,
  findRecord,
  isValidPackageFile,
  readRepodata,
  repodataKey,
  SUBDIR_PATTERN,
  writeRepodata,
  type PackageRecord,
  type Repodata,
} from './repodata';
import {
  copyRegularFile,
  digestRegularFile,
  ensureRealDir,
  isRealDir,
  listEntries,
  readRegularFile,
  writeFileAtomic,
} from './safe-fs';
import { checkedRecord, checkPackageStat, DEFAULT_DATA_LIMITS, type DataLimits } from './package-check';

export class ChannelGatherError extends UserError {}

/** One project's output folder. */
export interface GatherSource {
  project: string;
  /** Absolute path of its output folder (a channel: noarch/, linux-64/, ... with repodata.json). */
  dir: string;
}

/** What the channel holds, by `<subdir>/<file>`: whose it is and the size and mtime of the source it was copied from. */
interface ChannelState {
  version: 1;
  files: Record<string, { project: string; size: number; mtimeMs: number; sha256?: string }>;
}

const STATE_FILE = '.nx-conda-channel.json';

export interface GatherResult {
  added: string[];
  updated: string[];
  unchanged: number;
  removed: string[];
  kept: number;
  subdirs: string[];
}

function readState(channelDir: string): ChannelState {
  const content = readRegularFile(join(channelDir, STATE_FILE), 'reading the channel state');
  if (!content) return { version: 1, files: Object.create(null) };
  try {
    const parsed = JSON.parse(content.toString('utf8'));
    if (parsed && typeof parsed.files === 'object' && parsed.files !== null) {
      // Keys become paths (removals, index subdirs): only `<known subdir>/<package file>` with a project name is kept.
      const files: ChannelState['files'] = Object.create(null);
      for (const [key, value] of Object.entries(parsed.files as Record<string, unknown>)) {
        const [subdir, file, ...rest] = key.split('/');
        const entry = value as ChannelState['files'][string] | null;
        if (rest.length || !SUBDIR_PATTERN.test(subdir ?? '') || !isValidPackageFile(file ?? '')) continue;
        if (!entry || typeof entry !== 'object' || typeof entry.project !== 'string') continue;
        files[key] = entry;
      }
      return { version: 1, files };
    }
  } catch {
    // A broken state: every package is copied again, nothing is lost.
  }
  return { version: 1, files: Object.create(null) };
}

/**
 * Gathers `sources` into `channelDir`. `known` is every project that can
 * contribute (a project of the state that is not in it is gone, and its
 * packages are removed). The caller holds the channel's lock.
 */
export function gatherChannel(
  channelDir: string,
  sources: GatherSource[],
  known: Set<string>,
  limits: DataLimits = DEFAULT_DATA_LIMITS,
): GatherResult {
  ensureRealDir(channelDir);
  const state = readState(channelDir);
  const result: GatherResult = { added: [], updated: [], unchanged: 0, removed: [], kept: 0, subdirs: [] };
  const indexes = new Map<string, Repodata>();
  const indexOf = (subdir: string) => {
    let index = indexes.get(subdir);
    if (!index) {
      index = isRealDir(join(channelDir, subdir))
        ? readRepodata(join(channelDir, subdir), subdir, limits.maxIndexBytes)
        : emptyRepodata(subdir);
      indexes.set(subdir, index);
    }
    return index;
  };

  // What each present source offers now.
  const offered = new Map<
    string,
    { project: string; from: string; record: PackageRecord; size: number; mtimeMs: number }
  >();
  const present = new Set<string>();
  for (const source of sources) {
    if (!isRealDir(source.dir)) continue;
    present.add(source.project);
    for (const { name: subdir, stat } of listEntries(source.dir)) {
      if (!stat.isDirectory() || !SUBDIR_PATTERN.test(subdir)) continue;
      const sourceIndex = readRepodata(join(source.dir, subdir), subdir, limits.maxIndexBytes);
      for (const { name: file, stat: fileStat } of listEntries(join(source.dir, subdir))) {
        if (!fileStat.isFile() || !isValidPackageFile(file)) continue;
        const record = findRecord(sourceIndex, file);
        if (!record) {
          throw new ChannelGatherError(
            `${join(source.dir, subdir, file)} has no record in its folder's repodata.json; rebuild ${source.project} (nx run ${source.project}:build-recipe --skip-nx-cache).`,
          );
        }
        checkPackageStat(join(source.dir, subdir, file), fileStat, limits);
        const key = `${subdir}/${file}`;
        const other = offered.get(key);
        if (other && other.project !== source.project) {
          throw new ChannelGatherError(
            `${key} is made by both ${other.project} and ${source.project}; one channel can hold only one file of that name.`,
          );
        }
        offered.set(key, {
          project: source.project,
          from: join(source.dir, subdir, file),
          record,
          size: fileStat.size,
          mtimeMs: fileStat.mtimeMs,
        });
      }
    }
  }

  // Packages first (each through a temporary name), the indexes after.
  for (const [key, offer] of offered) {
    const [subdir, file] = key.split('/');
    const had = Object.prototype.hasOwnProperty.call(state.files, key) ? state.files[key] : undefined;
    const target = join(channelDir, subdir, file);
    let current: { size: number; mtimeMs: number } | undefined;
    try {
      current = statSync(target);
    } catch {
      current = undefined;
    }
    // The record's sha256 when the index has one (a restore from Nx's cache rewrites
    // files with new mtimes, not new content), else size and mtime, within
    // one millisecond (file systems keep mtimes at different precisions).
    const near = (a: number, b: number) => Math.abs(a - b) < 1;
    const sha = typeof offer.record.sha256 === 'string' ? offer.record.sha256 : undefined;
    const same =
      had &&
      current &&
      current.size === offer.size &&
      had.size === offer.size &&
      (sha && had.sha256
        ? had.sha256 === sha
        : near(had.mtimeMs, offer.mtimeMs) && near(current.mtimeMs, offer.mtimeMs));
    // The record is checked against the file it describes (the copy in the channel, checked when it was copied).
    const facts = same
      ? { size: offer.size, sha256: had.sha256 }
      : digestRegularFile(offer.from, 'gathering a package');
    if (!facts) throw new ChannelGatherError(`${offer.from} disappeared while the channel was being gathered.`);
    const record = checkedRecord(offer.record, `${key} of ${offer.project}`, file, subdir, facts);
    if (same) {
      result.unchanged++;
    } else {
      ensureRealDir(join(channelDir, subdir));
      copyRegularFile(offer.from, target, 'gathering a package');
      // The copy carries its source's mtime, which is what the next run compares.
      utimesSync(target, Date.now() / 1000, offer.mtimeMs / 1000);
      (had ? result.updated : result.added).push(key);
    }
    state.files[key] = {
      project: offer.project,
      size: offer.size,
      mtimeMs: offer.mtimeMs,
      ...(record.sha256 ? { sha256: record.sha256 } : {}),
    };
    const index = indexOf(subdir);
    index[repodataKey(file)][file] = record;
  }

  // What the channel had that is no longer offered.
  for (const [key, entry] of Object.entries(state.files)) {
    if (offered.has(key)) continue;
    const [subdir, file] = key.split('/');
    if (present.has(entry.project) || !known.has(entry.project)) {
      rmSync(join(channelDir, subdir, file), { force: true });
      delete indexOf(subdir)[repodataKey(file)][file];
      delete state.files[key];
      result.removed.push(key);
    } else {
      result.kept++;
    }
  }

  // conda needs noarch/ in every channel; every subdir that has or had packages gets its index.
  indexOf('noarch');
  for (const [subdir, index] of [...indexes].sort(([a], [b]) => a.localeCompare(b))) {
    ensureRealDir(join(channelDir, subdir));
    writeRepodata(join(channelDir, subdir), { ...index, info: { subdir }, repodata_version: 1 });
    result.subdirs.push(subdir);
  }
  writeFileAtomic(join(channelDir, STATE_FILE), JSON.stringify(state, null, 1) + '\n');
  return result;
}
