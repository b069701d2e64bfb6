/**
 * Whether Nx puts nx-conda's version into every recipe task's hash by
 * itself, so that an upgrade (new build scripts, new staging rules) rebuilds
 * without the plugin adding anything to 10,000 projects.
 *
 * Nx 24 hashes the npm package that provides a task's executor: its node in
 * the project graph, made from the lockfile (checked on Nx 24.0.6: changing
 * `node_modules/nx-conda`'s integrity in package-lock.json turned a cache hit
 * of an nx-conda task into a miss). Nx reads the lockfile when the workspace
 * has a package.json, unless `pluginsConfig["@nx/js"].analyzeLockfile` is
 * false. A workspace installed the `nx init` way, without package.json,
 * names the plugin's version in nx.json (`installation.plugins`), which Nx
 * hashes into every task. Anywhere else (a package.json without a lockfile)
 * the projects carry the version as a tag, which Nx hashes too.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The lockfiles Nx 24 reads for the package graph. */
const LOCKFILES = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'];

export function nxHashesPluginVersion(workspaceRoot: string, nxJson: unknown): boolean {
  const config = (nxJson ?? {}) as {
    installation?: { plugins?: Record<string, unknown> };
    pluginsConfig?: Record<string, { analyzeLockfile?: unknown } | undefined>;
  };
  const installed = config.installation?.plugins;
  if (installed && typeof installed === 'object' && typeof installed['nx-conda'] === 'string') return true;
  if (config.pluginsConfig?.['@nx/js']?.analyzeLockfile === false) return false;
  if (!existsSync(join(workspaceRoot, 'package.json'))) return false;
  return LOCKFILES.some((f) => existsSync(join(workspaceRoot, f)));
}
