import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownedSubdirs, replaceWithEmptyChannel } from './output';
import { writeFileAtomic } from './safe-fs';

/**
 * A recipe skipped for a platform (`build: skip`) still ends with an output
 * folder: an empty, indexed channel plus this record in `<platform>/`, so Nx
 * caches and restores the skip like a build, and dependents can say why the
 * package they need does not exist.
 */
export const SKIP_RECORD_FILE = '.nx-conda-skipped.json';

export interface SkipRecord {
  project: string;
  /** The recipe file, workspace-relative. */
  recipe: string;
  platform: string;
}

/**
 * Replaces the `owned` subdirs of `outputDir` (see ownedSubdirs) with empty
 * indexed ones and records the skip (through a temporary file, so a killed
 * run never leaves half a record).
 */
export function writeSkipRecord(
  outputDir: string,
  record: SkipRecord,
  owned: readonly string[] = ownedSubdirs(record.platform),
): void {
  replaceWithEmptyChannel(outputDir, owned);
  writeFileAtomic(join(outputDir, record.platform, SKIP_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** The skip record of a project's output folder for `platform`, if that project was skipped there. */
export function readSkipRecord(outputDir: string, platform: string): SkipRecord | undefined {
  const file = join(outputDir, platform, SKIP_RECORD_FILE);
  try {
    // Our own file in the host's output folder; still, only a small regular file is read.
    const stat = lstatSync(file);
    if (!stat.isFile() || stat.size > 64 * 1024) return undefined;
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed === null || typeof parsed !== 'object') return undefined;
    const { project, recipe } = parsed as Record<string, unknown>;
    if (typeof project !== 'string' || typeof recipe !== 'string') return undefined;
    return { project, recipe, platform };
  } catch {
    return undefined;
  }
}
