/**
 * Who started a container: the workspace and the run (process) it belongs
 * to, written as labels on the container, and read back to tell a crashed
 * run's leftovers from the containers of live runs and of other workspaces.
 * Nothing here runs the engine.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';

export const OWNER_LABELS = {
  /** 16 hex digits of the SHA-256 of the workspace root's real path. */
  workspace: 'nx-conda.workspace',
  /** The machine's host name. */
  host: 'nx-conda.host',
  /** Where the pid means something: the boot id and the PID namespace of the run (Linux; empty elsewhere). */
  pidNamespace: 'nx-conda.pid-ns',
  /** The process that started the container (it holds the container's stdin). */
  pid: 'nx-conda.pid',
  /** That process's start time (clock ticks after boot, Linux; empty elsewhere): a reused pid has another one. */
  pidStart: 'nx-conda.pid-start',
  /** The run's own folders (staging channel, build script), a JSON list of absolute paths. */
  scratch: 'nx-conda.scratch',
} as const;

/** The identity of a running process, as written in the labels. */
export interface RunIdentity {
  host: string;
  pidNamespace: string;
  pid: number;
  pidStart: string;
}

export function workspaceId(root: string): string {
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // a root that cannot be resolved is hashed as given
  }
  return createHash('sha256').update(real).digest('hex').slice(0, 16);
}

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** `<boot id>/<pid namespace inode>`, or '' where /proc does not say. */
export function pidNamespace(): string {
  try {
    const ns = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1];
    const boot = readTrimmed('/proc/sys/kernel/random/boot_id');
    return ns && boot ? `${boot}/${ns}` : '';
  } catch {
    return '';
  }
}

/**
 * The start time of a process: a string of clock ticks (from /proc), '' when
 * the process exists but its start is unknown (no /proc), undefined when
 * there is no such process.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields from 3 on; the command name (field 2, in parentheses) may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie has ended; only its exit status is left
    return fields[19] ?? ''; // field 22: starttime
  } catch {
    if (existsSync('/proc/self/stat')) return undefined; // /proc works and has no such pid
  }
  try {
    process.kill(pid, 0);
    return '';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? '' : undefined;
  }
}

export function currentRun(): RunIdentity {
  return {
    host: hostname(),
    pidNamespace: pidNamespace(),
    pid: process.pid,
    pidStart: processStart(process.pid) ?? '',
  };
}

/** The labels of a container started by `run` in the workspace at `root`, with the run's own folders. */
export function ownerLabels(root: string, run: RunIdentity, scratch: string[]): Record<string, string> {
  return {
    [OWNER_LABELS.workspace]: workspaceId(root),
    [OWNER_LABELS.host]: run.host,
    [OWNER_LABELS.pidNamespace]: run.pidNamespace,
    [OWNER_LABELS.pid]: String(run.pid),
    [OWNER_LABELS.pidStart]: run.pidStart,
    [OWNER_LABELS.scratch]: JSON.stringify(scratch),
  };
}

/**
 * - `live`: its run is a process of this machine that still runs;
 * - `gone`: its run was a process of this machine (same host name, boot and
 *   PID namespace) that no longer runs (no such pid, or a pid reused by a
 *   process that started at another time);
 * - `elsewhere`: another machine, boot or PID namespace, or labels we cannot
 *   read: nothing here can tell whether that run is alive.
 */
export type RunState = 'live' | 'gone' | 'elsewhere';

export function runState(
  labels: Record<string, string>,
  here: RunIdentity,
  startOf: (pid: number) => string | undefined = processStart,
): RunState {
  const pidText = labels[OWNER_LABELS.pid] ?? '';
  if (labels[OWNER_LABELS.host] !== here.host || labels[OWNER_LABELS.pidNamespace] !== here.pidNamespace)
    return 'elsewhere';
  if (!/^[1-9][0-9]{0,9}$/.test(pidText)) return 'elsewhere';
  const pid = Number(pidText);
  const start = startOf(pid);
  if (start === undefined) return 'gone';
  const labelled = labels[OWNER_LABELS.pidStart] ?? '';
  if (labelled && start && labelled !== start) return 'gone';
  return 'live';
}

/** The run's folders named by the scratch label (not yet checked: see the caller). */
export function scratchPaths(labels: Record<string, string>): string[] {
  try {
    const value: unknown = JSON.parse(labels[OWNER_LABELS.scratch] ?? '[]');
    return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}
