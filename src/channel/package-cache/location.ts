/**
 * Where the machine-wide package cache lives: the `packageCache` option (a
 * folder, or false for none), by default `nx-conda/pkgs` in the user's cache
 * folder ($XDG_CACHE_HOME, else ~/.cache), shared by every workspace.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { OptionError } from '../../core/errors';

/** Default size limit of the cache, in megabytes (4 GiB). */
export const DEFAULT_PACKAGE_CACHE_MEGABYTES = 4096;

export function defaultPackageCacheDir(environment: NodeJS.ProcessEnv = process.env): string {
  const xdg = environment.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(environment.HOME || homedir(), '.cache');
  return join(base, 'nx-conda', 'pkgs');
}

/**
 * The cache folder for an option value: undefined when turned off (`false`),
 * the default for `true`/unset, else the folder (relative to the workspace).
 */
export function resolvePackageCacheDir(
  option: unknown,
  workspaceRoot: string,
  environment: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (option === false || option === 'false') return undefined;
  if (option === undefined || option === null || option === true || option === 'true' || option === '')
    return defaultPackageCacheDir(environment);
  if (typeof option !== 'string' || /[\0\n\r:,]/.test(option))
    throw new OptionError(
      'packageCache',
      `packageCache must be a folder (without : , or control characters) or false, got ${JSON.stringify(option)}.`,
    );
  return resolve(workspaceRoot, option);
}

/** The size limit in bytes for the `packageCacheMegabytes` option. */
export function resolvePackageCacheLimit(option: unknown): number {
  if (option === undefined || option === null) return DEFAULT_PACKAGE_CACHE_MEGABYTES * 1024 * 1024;
  const n = Number(option);
  if (!Number.isFinite(n) || n < 0)
    throw new OptionError('packageCacheMegabytes', `packageCacheMegabytes must be a number of megabytes ≥ 0.`);
  return Math.floor(n * 1024 * 1024);
}
