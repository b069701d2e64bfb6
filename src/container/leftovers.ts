/**
 * What a crashed run left behind: its containers (a container stops by
 * itself when its run dies, but one that was being created, or a run of an
 * older nx-conda, may remain) and its own folders (staging channel, build
 * script). Only containers of this workspace are looked at, and of those
 * only the ones whose run is a process of this machine that has ended are
 * removed (see runState): containers of other workspaces, of live runs and
 * of other machines are never touched.
 */
import { lstatSync, realpathSync, rmSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { readRunRecords } from './run-records';
import type { EngineName } from '../core/defaults';
import { removeContainer } from './images';
import { workspaceContainers, type OwnedContainer } from './owned';
import { currentRun, OWNER_LABELS, runState, scratchPaths, type RunState } from './owner';

export interface Leftovers {
  /** Containers removed, with the state of their run. */
  containers: Array<OwnedContainer & { run: RunState }>;
  /** Folders of ended runs removed (absolute paths). */
  folders: string[];
  /** What could not be removed, one line each. */
  failures: string[];
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * A folder a run made for itself: an absolute path strictly inside the
 * workspace whose name is what mkdtemp gives (`<project>-XXXXXX`), a real
 * folder (not a link). Anything else a label names is left alone.
 */
export function isRunFolder(root: string, path: string): boolean {
  if (!isAbsolute(path) || !/^[A-Za-z0-9_.-]+-[A-Za-z0-9]{6}$/.test(basename(path))) return false;
  const rel = relative(real(root), real(path));
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return false;
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Removes the containers of the workspace at `root` whose run has ended
 * (with `all`, every container of the workspace: purge), and the folders of
 * those whose run is not alive here.
 */
export async function removeLeftovers(
  engine: EngineName,
  root: string,
  options: { all?: boolean } = {},
): Promise<Leftovers> {
  const here = currentRun();
  const result: Leftovers = { containers: [], folders: [], failures: [] };
  for (const container of await workspaceContainers(engine, root)) {
    const run = runState(container.labels, here);
    if (run !== 'gone' && !options.all) continue;
    try {
      await removeContainer(engine, container.id);
    } catch (e) {
      result.failures.push(`container ${container.name}: ${(e as Error).message}`);
      continue;
    }
    result.containers.push({ ...container, run });
    if (run === 'live') continue; // a live run removes its own folders when it ends
    removeRunFolders(root, container.labels, result);
  }
  // Runs whose container is already gone (SIGKILL: it removed itself) left only their record.
  for (const record of readRunRecords(root)) {
    if (runState(record.labels, here) !== 'gone') continue;
    removeRunFolders(root, record.labels, result);
    rmSync(record.file, { force: true });
  }
  return result;
}

/** The folders a run's labels name, when they are run folders of this workspace (see isRunFolder). */
function removeRunFolders(root: string, labels: Record<string, string>, result: Leftovers): void {
  for (const folder of scratchPaths(labels)) {
    if (!isRunFolder(root, folder)) continue;
    try {
      rmSync(folder, { recursive: true, force: true });
      result.folders.push(folder);
    } catch (e) {
      result.failures.push(`folder ${folder}: ${(e as Error).message}`);
    }
  }
}

/** One line for the log: `N container(s) ... (name: run pid P on H), and folder(s) ...`. */
export function describeLeftovers(root: string, found: Leftovers): string {
  const containers = found.containers
    .map(
      (c) =>
        `${c.name} (pid ${c.labels[OWNER_LABELS.pid] || '?'} on ${c.labels[OWNER_LABELS.host] || '?'}, ${c.run === 'gone' ? 'ended' : c.run === 'live' ? 'running' : 'unknown here'})`,
    )
    .join(', ');
  const folders = found.folders.map((f) => relative(root, f) || f).join(', ');
  if (found.containers.length === 0) return `folder(s): ${folders}`;
  return `${found.containers.length} container(s): ${containers}` + (folders ? `; folder(s): ${folders}` : '');
}
