/**
 * Limits and hardening of a build container, and the `runArgs` escape hatch
 * for engine flags nx-conda does not model. Pure: turns options into `run`
 * arguments, refusing what would hand the container the host.
 */
import { HardeningError, validateRunArgs, type MountPolicy } from './run-args';

export { HardeningError, validateRunArgs, isEngineSocketPath, ALLOWED_RUN_FLAGS, type MountPolicy } from './run-args';

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
  /** Where runArgs' bind mounts may come from (default: the current folder as the workspace, nothing else). */
  mounts?: MountPolicy;
}

const MEMORY = /^[1-9][0-9]*(\.[0-9]+)?[bkmg]?$/i;

/** The `run` arguments of the hardening options, checked. */
export function hardeningArgs(
  h: Hardening,
  environment: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string[] {
  const args: string[] = [];
  if (h.memory !== undefined && h.memory !== '') {
    if (!MEMORY.test(h.memory))
      throw new HardeningError(`memory ${JSON.stringify(h.memory)} is not a size such as 512m or 8g`, 'memory');
    args.push(`--memory=${h.memory}`);
  }
  if (h.cpus !== undefined && h.cpus !== 0) {
    if (!(typeof h.cpus === 'number' && h.cpus > 0 && Number.isFinite(h.cpus)))
      throw new HardeningError(`cpus must be a positive number, got ${h.cpus}`, 'cpus');
    args.push(`--cpus=${h.cpus}`);
  }
  if (h.pidsLimit !== undefined && h.pidsLimit !== 0) {
    if (!Number.isInteger(h.pidsLimit) || h.pidsLimit < 1)
      throw new HardeningError(
        `pidsLimit must be a whole number of 1 or more (0: the engine's default), got ${h.pidsLimit}`,
        'pidsLimit',
      );
    args.push(`--pids-limit=${h.pidsLimit}`);
  }
  if (h.noNewPrivileges !== false) args.push('--security-opt=no-new-privileges');
  args.push(...validateRunArgs(h.runArgs, environment, cwd, h.mounts));
  return args;
}
