/**
 * Replacing a project's output subdirs so that no fault loses the previous
 * packages: the new subdir is made complete (packages copied and synced,
 * repodata.json written) in a temporary folder inside the output folder,
 * then swapped in with two renames; the old one is deleted only after. A
 * run interrupted between the two renames leaves the old subdir under
 * `.nx-conda-previous-<subdir>`, which the next run (or the next
 * collection) puts back before anything else.
 */
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { emptyRepodata, type Repodata, writeRepodata } from './repodata';
import { copyRegularFile, ensureRealDir, listEntries, pathExists } from './safe-fs';

const NEXT_PREFIX = '.nx-conda-next-';
const PREVIOUS_PREFIX = '.nx-conda-previous-';

/**
 * Puts back a subdir left aside by an interrupted replacement and removes
 * unfinished new ones. Safe to call at any time when no other run of the
 * same project is replacing its output (the project lock ensures that).
 */
export function recoverOutput(outputDir: string): void {
  for (const { name } of listEntries(outputDir)) {
    const path = join(outputDir, name);
    if (name.startsWith(NEXT_PREFIX)) rmSync(path, { recursive: true, force: true });
    else if (name.startsWith(PREVIOUS_PREFIX)) {
      const original = join(outputDir, name.slice(PREVIOUS_PREFIX.length));
      if (pathExists(original)) rmSync(path, { recursive: true, force: true });
      else renameSync(path, original);
    }
  }
}

export interface SubdirContent {
  subdir: string;
  index: Repodata;
  /** Package files to copy in: `from` a regular file (never followed), named `file` in the subdir. */
  files: { file: string; from: string }[];
}

/** `sync: false` writes without fsync (an empty channel: nothing in it a crash could lose). */
export function replaceOutputSubdirs(
  outputDir: string,
  subdirs: SubdirContent[],
  options: { sync?: boolean } = {},
): void {
  ensureRealDir(outputDir);
  recoverOutput(outputDir);
  const next = mkdtempSync(join(outputDir, NEXT_PREFIX));
  try {
    for (const { subdir, index, files } of subdirs) {
      const dir = join(next, subdir);
      ensureRealDir(dir);
      for (const { file, from } of files) copyRegularFile(from, join(dir, file), 'collecting a package', options);
      writeRepodata(dir, index, options);
    }
    for (const { subdir } of subdirs) {
      const current = join(outputDir, subdir);
      const previous = join(outputDir, `${PREVIOUS_PREFIX}${subdir}`);
      const hadOne = pathExists(current);
      if (hadOne) renameSync(current, previous);
      renameSync(join(next, subdir), current);
      if (hadOne) rmSync(previous, { recursive: true, force: true });
    }
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
}

/**
 * The subdirs of a project's output folder that a build for `platform` owns
 * (replaces, and Nx caches): `noarch` and the platform's. A build for
 * another platform than the workspace's `primary` one (`build-recipe-<P>`)
 * shares the output folder with the primary `build-recipe`, which owns
 * `noarch/` (the graph's outputs and the noarch dependencies' edges say so):
 * it owns its platform's subdir only.
 */
export function ownedSubdirs(platform: string, primary = platform): string[] {
  if (platform === 'noarch') return ['noarch'];
  return platform === primary ? ['noarch', platform] : [platform];
}

/**
 * Makes `outputDir` an empty channel in the `owned` subdirs (see
 * ownedSubdirs): each is replaced (see replaceOutputSubdirs) by an empty,
 * indexed one; anything else in the folder is left alone. For a build that
 * is skipped, not run.
 * Without fsync: an empty index holds nothing to lose, and a skipExisting
 * run writes one per skipped task (two fsyncs each were 0.6 s of a
 * 440-task batch).
 */
export function replaceWithEmptyChannel(outputDir: string, owned: readonly string[]): void {
  replaceOutputSubdirs(
    outputDir,
    owned.map((subdir) => ({ subdir, index: emptyRepodata(subdir), files: [] })),
    { sync: false },
  );
}
