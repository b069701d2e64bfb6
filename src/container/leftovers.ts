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
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { hasRunMarker, readRunRecords } from './run-records';
import { DEFAULT_STAGING_ROOT, type EngineName } from '../core/defaults';
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

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The default stagingRoot of the workspace at `root` (purge, which has no recipe-build options). */
export function defaultStagingRoot(root: string): string {
  return resolve(root, DEFAULT_STAGING_ROOT);
}

/**
 * The real path of a folder a run made for itself, or undefined: what a
 * label or record names is untrusted, so it must be an absolute path whose
 * name is what mkdtemp gives (`<project>-XXXXXX`), directly inside the real
 * `stagingRoot`, a real folder (not a link), holding our marker for that
 * real path (see RUN_MARKER). Anything else is left alone.
 */
export function runFolderOf(root: string, path: string, stagingRoot: string): string | undefined {
  if (!isAbsolute(path) || !/^[A-Za-z0-9_.-]+-[A-Za-z0-9]{6}$/.test(basename(path))) return undefined;
  const realRoot = real(stagingRoot);
  if (realRoot === undefined || real(dirname(path)) !== realRoot) return undefined;
  const folder = join(realRoot, basename(path));
  try {
    if (!lstatSync(folder).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  return hasRunMarker(root, folder) ? folder : undefined;
}

/** Whether `path` names a run folder (see runFolderOf). */
export function isRunFolder(root: string, path: string, stagingRoot = defaultStagingRoot(root)): boolean {
  return runFolderOf(root, path, stagingRoot) !== undefined;
}

/**
 * Removes the containers of the workspace at `root` whose run has ended
 * (with `all`, every container of the workspace: purge), and the folders of
 * those whose run is not alive here.
 */
export async function removeLeftovers(
  engine: EngineName,
  root: string,
  options: { all?: boolean; stagingRoot?: string } = {},
): Promise<Leftovers> {
  const stagingRoot = options.stagingRoot ?? defaultStagingRoot(root);
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
    removeRunFolders(root, stagingRoot, container.labels, result);
  }
  removeEndedRecords(root, stagingRoot, result);
  return result;
}

/** Runs whose container is already gone (SIGKILL: it removed itself) left only their record. */
export function removeEndedRecords(
  root: string,
  stagingRoot: string,
  result: Leftovers,
  here = currentRun(),
  state: typeof runState = runState,
): void {
  for (const record of readRunRecords(root)) {
    if (state(record.labels, here) !== 'gone') continue;
    removeRunFolders(root, stagingRoot, record.labels, result);
    rmSync(record.file, { force: true });
  }
}

/** The folders a run's labels name, when they are run folders of this workspace (see runFolderOf). */
function removeRunFolders(root: string, stagingRoot: string, labels: Record<string, string>, result: Leftovers): void {
  for (const named of scratchPaths(labels)) {
    const folder = runFolderOf(root, named, stagingRoot);
    if (folder === undefined) continue;
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
