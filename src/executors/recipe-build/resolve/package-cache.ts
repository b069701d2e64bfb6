/** The package-cache concern of recipe-build's options: where the machine-wide cache is, and its size limit. */
import { resolvePackageCacheDir, resolvePackageCacheLimit } from '../../../channel/package-cache';
import type { RecipeBuildOptions } from './types';

export interface PackageCacheSettings {
  root: string;
  maxBytes: number;
}

export function resolvePackageCache(
  options: RecipeBuildOptions,
  workspaceRoot: string,
  environment: NodeJS.ProcessEnv,
): PackageCacheSettings | undefined {
  const root = resolvePackageCacheDir(options.packageCache, workspaceRoot, environment);
  return root ? { root, maxBytes: resolvePackageCacheLimit(options.packageCacheMegabytes) } : undefined;
}
