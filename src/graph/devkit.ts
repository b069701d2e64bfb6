/**
 * What the graph code takes from Nx at run time, loaded cheaply.
 *
 * `@nx/devkit/internal` exports both `emitPluginWorkerLog` and
 * `workspaceDataDirectory`, but loading it costs a plugin worker about 0.4 s
 * (measured), more than a warm graph's whole work. Both come from modules of
 * `nx` that the plugin worker has already loaded (`nx/src/...` is in nx's
 * exports map), so they are taken from there, with `@nx/devkit/internal` as
 * the fallback and our own copy of Nx's rule as the last resort.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

type Level = 'log' | 'warn' | 'error';
type EmitLog = (level: Level, message: string) => void;

let emitLog: EmitLog | undefined;

function loadEmitLog(): EmitLog {
  for (const load of [
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => require('nx/src/project-graph/plugins/isolation/worker-streaming').emitPluginWorkerLog,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => require('@nx/devkit/internal').emitPluginWorkerLog,
  ]) {
    try {
      const fn = load();
      if (typeof fn === 'function') return fn as EmitLog;
    } catch {
      // next
    }
  }
  // eslint-disable-next-line no-console
  return (level, message) => console[level](message);
}

/**
 * A warning for the user's terminal. In a plugin worker it goes through
 * Nx's channel for plugins (`emitPluginWorkerLog`): the host process prints
 * it, or, when the host is the Nx daemon, forwards it to the terminal of the
 * command that asked for the graph (a plain `console.warn` or `logger.warn`
 * would only reach the daemon's log file). Elsewhere it is `console.warn`.
 */
export function warn(message: string): void {
  emit('warn', message);
}

/**
 * A line for NX_CONDA_GRAPH_STATS=true only (benchmarks, tests), on stderr
 * through the same channel as warn. Not NX_VERBOSE_LOGGING: the Nx daemon
 * always runs with it, and would pass the line to every command's terminal.
 */
export function graphStats(message: string): void {
  if (process.env.NX_CONDA_GRAPH_STATS === 'true') emit('warn', message);
}

function emit(level: Level, message: string): void {
  emitLog ??= loadEmitLog();
  try {
    emitLog(level, message);
  } catch {
    // eslint-disable-next-line no-console
    console[level](message);
  }
}

/**
 * Nx's own rule (nx/src/utils/cache-directory, Nx 24): the environment's
 * NX_WORKSPACE_DATA_DIRECTORY or NX_PROJECT_GRAPH_CACHE_DIRECTORY, else
 * `.nx/workspace-data`, or `node_modules/.cache/nx-workspace-data` in a
 * Lerna workspace without nx.json.
 */
function ownWorkspaceDataDirectory(workspaceRoot: string): string {
  const configured = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY;
  if (configured !== undefined) return isAbsolute(configured) ? configured : join(workspaceRoot, configured);
  if (existsSync(join(workspaceRoot, 'lerna.json')) && !existsSync(join(workspaceRoot, 'nx.json'))) {
    return join(workspaceRoot, 'node_modules', '.cache', 'nx-workspace-data');
  }
  return join(workspaceRoot, '.nx', 'workspace-data');
}

/**
 * The workspace data folder Nx itself uses for this workspace, or undefined
 * when Nx refuses it (a configured folder other users can write to): then
 * nothing is cached on disk.
 */
export function workspaceDataDirectory(workspaceRoot: string): string | undefined {
  let fn: ((root: string) => string) | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    fn = require('nx/src/utils/cache-directory').workspaceDataDirectoryForWorkspace;
  } catch {
    fn = undefined;
  }
  if (typeof fn !== 'function') return ownWorkspaceDataDirectory(workspaceRoot);
  try {
    return fn(workspaceRoot);
  } catch {
    return undefined;
  }
}
