/** The limits concern of recipe-build's options: the build container's hardening, the time and data bounds. */
import { dataLimits, type DataLimits } from '../../../channel/package-check';
import { hardeningArgs, validateRunArgs, type Hardening } from '../../../container/hardening';
import { OptionError } from '../../../core/errors';
import type { RecipeBuildOptions } from './types';

export interface ResolvedLimits {
  /** Limits, no-new-privileges and extra engine flags of the build container, checked. */
  hardening: Hardening;
  timeoutSeconds: number;
  lockTimeoutSeconds: number;
  /** Bounds of what the build leaves (maxPackageMegabytes, maxIndexMegabytes). */
  limits: DataLimits;
}

function seconds(options: RecipeBuildOptions, option: 'timeoutSeconds' | 'lockTimeoutSeconds'): number {
  const value = options[option];
  if (!(value >= 0)) throw new OptionError(option, `${option} must be 0 or more, got ${value}.`);
  return value;
}

function mountSources(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '' && !/[\0\n]/.test(v)))
    throw new OptionError('mountSources', `mountSources must be a list of host folders, got ${JSON.stringify(value)}.`);
  return value as string[];
}

export function resolveLimits(
  options: RecipeBuildOptions,
  environment: NodeJS.ProcessEnv,
  root: string,
): ResolvedLimits {
  const mounts = { workspace: root, allowed: mountSources(options.mountSources) };
  const hardening: Hardening = {
    memory: options.memory || undefined,
    cpus: options.cpus || undefined,
    pidsLimit: options.pidsLimit,
    noNewPrivileges: options.noNewPrivileges,
    // Relative mount sources are made absolute against the workspace, whatever folder the engine later runs in.
    runArgs: validateRunArgs(options.runArgs, environment, root, mounts),
    mounts,
  };
  hardeningArgs(hardening, environment, root);
  return {
    hardening,
    timeoutSeconds: seconds(options, 'timeoutSeconds'),
    lockTimeoutSeconds: seconds(options, 'lockTimeoutSeconds'),
    limits: dataLimits(options),
  };
}
