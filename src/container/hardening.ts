/**
 * Limits and hardening of a build container, and the `runArgs` escape hatch
 * for engine flags nx-conda does not model. Pure: turns options into `run`
 * arguments, refusing what would hand the container the host.
 */
import { posix } from 'node:path';

export interface Hardening {
  /** `--memory`, e.g. `8g`. */
  memory?: string;
  /** `--cpus`, e.g. 2 or 1.5. */
  cpus?: number;
  /** `--pids-limit`; 0 or undefined: the engine's default. */
  pidsLimit?: number;
  /** `--security-opt=no-new-privileges` (setuid programs cannot gain privileges). */
  noNewPrivileges?: boolean;
  /** Extra engine flags, each `--name` or `--name=value` (see validateRunArgs). */
  runArgs?: string[];
}

/** A problem with a hardening option or a run arg: a message for the user. */
export class HardeningError extends Error {}

const MEMORY = /^[1-9][0-9]*(\.[0-9]+)?[bkmg]?$/i;

/**
 * Flags a runArgs item may not set: the ones nx-conda sets itself (its
 * bookkeeping, cleanup and the env that never travels on a command line),
 * and the ones that hand the container the host.
 */
const OWN_FLAGS = new Set([
  'rm',
  'init',
  'interactive',
  'i',
  'tty',
  't',
  'detach',
  'd',
  'name',
  'env',
  'e',
  'env-file',
  'network',
  'net',
  'label',
  'l',
]);
const HOST_FLAGS = new Set(['privileged', 'volumes-from']);
const HOST_NAMESPACES = new Set(['pid', 'ipc', 'uts', 'userns', 'cgroupns']);
const MOUNT_FLAGS = new Set(['volume', 'v', 'mount']);

/**
 * Host paths that are, or hold, a container engine's socket: mounting one
 * gives the build container the engine, i.e. the host.
 */
export function isEngineSocketPath(path: string, environment: NodeJS.ProcessEnv = process.env): boolean {
  const p = posix.normalize(path).replace(/\/+$/, '') || '/';
  if (['/', '/var', '/run', '/var/run', '/var/lib', '/run/user'].includes(p)) return true;
  if (/(^|\/)(docker|podman|containerd|crio|buildkit)(\.sock)?$/.test(p) || /\.sock$/.test(p)) return true;
  if (
    /^\/(var\/)?run\/(docker|podman|containerd|crio|buildkit)(\/|$)/.test(p) ||
    /^\/var\/lib\/(docker|containers|containerd)(\/|$)/.test(p)
  )
    return true;
  if (/^\/run\/user\/[0-9]+(\/(podman|docker)(\/|$)|$)/.test(p)) return true;
  const runtime = environment.XDG_RUNTIME_DIR?.replace(/\/+$/, '');
  if (runtime && (p === runtime || p.startsWith(`${runtime}/podman`) || p.startsWith(`${runtime}/docker`))) return true;
  const dockerHost = environment.DOCKER_HOST ?? environment.CONTAINER_HOST;
  const socket = dockerHost?.startsWith('unix://') ? dockerHost.slice('unix://'.length) : undefined;
  if (socket && (p === socket || socket.startsWith(`${p}/`))) return true;
  return false;
}

function mountSource(flag: string, value: string): string | undefined {
  if (flag === 'mount') {
    const source = value.split(',').find((part) => /^(source|src)=/.test(part));
    return source?.slice(source.indexOf('=') + 1);
  }
  const [source, target] = value.split(':');
  // `-v /container/path` alone is an anonymous volume; `name:/path` a named volume.
  return target === undefined || !source.startsWith('/') ? undefined : source;
}

/** Checks runArgs; returns them unchanged. */
export function validateRunArgs(runArgs: unknown, environment: NodeJS.ProcessEnv = process.env): string[] {
  if (runArgs === undefined) return [];
  if (!Array.isArray(runArgs) || !runArgs.every((a) => typeof a === 'string'))
    throw new HardeningError('runArgs must be a list of strings');
  for (const arg of runArgs as string[]) {
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      throw new HardeningError(
        `runArgs item ${JSON.stringify(arg)} is not one engine option in the form --name or --name=value ` +
          '(one item each, values after "=": nothing else can reach the engine command line).',
      );
    }
    const [, flag, value = ''] = match;
    if (/[\0\n]/.test(value)) throw new HardeningError(`runArgs item --${flag} holds a control character`);
    if (OWN_FLAGS.has(flag)) {
      throw new HardeningError(
        `runArgs cannot set --${flag}: nx-conda sets it itself (use the network or env options where they apply).`,
      );
    }
    if (HOST_FLAGS.has(flag))
      throw new HardeningError(`runArgs cannot set --${flag}: it hands the build container the host.`);
    if (HOST_NAMESPACES.has(flag) && /^host$/i.test(value))
      throw new HardeningError(`runArgs cannot set --${flag}=host: it hands the build container the host.`);
    if (flag === 'security-opt' && /^no-new-privileges(?::|=)false$/i.test(value)) {
      throw new HardeningError(
        'runArgs cannot turn no-new-privileges off: set the noNewPrivileges option to false instead.',
      );
    }
    if (MOUNT_FLAGS.has(flag)) {
      const source = mountSource(flag, value);
      if (source !== undefined && isEngineSocketPath(source, environment)) {
        throw new HardeningError(
          `runArgs cannot mount ${source}: it is (or holds) a container engine socket, which would give the build container the host.`,
        );
      }
    }
  }
  return runArgs as string[];
}

/** The `run` arguments of the hardening options, checked. */
export function hardeningArgs(h: Hardening, environment: NodeJS.ProcessEnv = process.env): string[] {
  const args: string[] = [];
  if (h.memory !== undefined && h.memory !== '') {
    if (!MEMORY.test(h.memory))
      throw new HardeningError(`memory ${JSON.stringify(h.memory)} is not a size such as 512m or 8g`);
    args.push(`--memory=${h.memory}`);
  }
  if (h.cpus !== undefined && h.cpus !== 0) {
    if (!(typeof h.cpus === 'number' && h.cpus > 0 && Number.isFinite(h.cpus)))
      throw new HardeningError(`cpus must be a positive number, got ${h.cpus}`);
    args.push(`--cpus=${h.cpus}`);
  }
  if (h.pidsLimit !== undefined && h.pidsLimit !== 0) {
    if (!Number.isInteger(h.pidsLimit) || h.pidsLimit < 1)
      throw new HardeningError(
        `pidsLimit must be a whole number of 1 or more (0: the engine's default), got ${h.pidsLimit}`,
      );
    args.push(`--pids-limit=${h.pidsLimit}`);
  }
  if (h.noNewPrivileges !== false) args.push('--security-opt=no-new-privileges');
  args.push(...validateRunArgs(h.runArgs, environment));
  return args;
}
