/**
 * Each build's own folders (staging channel, build script), recorded where
 * no container can write: `tmp/nx-conda/runs/`. A run killed with SIGKILL
 * has no chance to remove its folders, and its container removes itself
 * (`--rm`), so the container's `nx-conda.scratch` label is gone with it: the
 * record is how the next build (or purge-containers) still finds them. A run
 * that ends normally removes its record with its folders.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKeyedHash, keyedHash, workspaceSecret } from '../channel/secret';
import { currentRun, ownerLabels } from './owner';
import { writeFileAtomic } from '../core/atomic-write';
import { RUN_RECORDS_FOLDER } from '../core/defaults';

export { RUN_RECORDS_FOLDER };
const RECORD_NAME = /^[1-9][0-9]*-[0-9a-f]{8}\.json$/;

/**
 * Writes this run's record (its owner labels, the folders included);
 * returns its removal. Best effort: without a record, a crash leaves the
 * folders, as before.
 */
export function recordRun(root: string, folders: string[]): () => void {
  const run = currentRun();
  const dir = join(root, RUN_RECORDS_FOLDER);
  const file = join(dir, `${run.pid}-${randomBytes(4).toString('hex')}.json`);
  try {
    writeFileAtomic(file, JSON.stringify(ownerLabels(root, run, folders)), { sync: false, trustedFolder: true });
  } catch {
    return () => undefined;
  }
  return () => rmSync(file, { force: true });
}

export interface RunRecord {
  file: string;
  labels: Record<string, string>;
}

/** The records in the workspace: small regular files of our names holding an object of strings; anything else is skipped. */
export function readRunRecords(root: string): RunRecord[] {
  const dir = join(root, RUN_RECORDS_FOLDER);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const records: RunRecord[] = [];
  for (const name of names.filter((n) => RECORD_NAME.test(n)).sort()) {
    const file = join(dir, name);
    try {
      const stat = lstatSync(file);
      if (!stat.isFile() || stat.size > 64 * 1024) continue;
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) continue;
      const labels = Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'string')) as Record<
        string,
        string
      >;
      records.push({ file, labels });
    } catch {
      // unreadable or not JSON: not a record
    }
  }
  return records;
}

/**
 * The marker nx-conda leaves in each folder a run makes (staging channel,
 * build script folder): a keyed hash of the folder's real path with the
 * workspace's secret (see channel/secret.ts), which no build can compute.
 * Leftovers are removed only where it is found (a regular file, read without
 * following links) and right: a forged run record, or a marker copied or
 * committed elsewhere, removes nothing.
 */
export const RUN_MARKER = '.nx-conda-run';

function markerText(root: string, realFolder: string): string {
  return keyedHash(workspaceSecret(root), `run-folder\0${realFolder}`);
}

/** Marks `folder` (just made by this run) as ours. */
export function markRunFolder(root: string, folder: string): void {
  writeFileSync(join(folder, RUN_MARKER), markerText(root, realpathSync(folder)), { flag: 'wx', mode: 0o644 });
}

/** Whether the real folder `realFolder` holds our marker for it (never through a link). */
export function hasRunMarker(root: string, realFolder: string): boolean {
  const file = join(realFolder, RUN_MARKER);
  try {
    const stat = lstatSync(file);
    if (!stat.isFile() || stat.size > 256) return false;
    return isKeyedHash(workspaceSecret(root), `run-folder\0${realFolder}`, readFileSync(file, 'latin1'));
  } catch {
    return false;
  }
}
