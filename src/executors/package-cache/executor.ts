/**
 * nx-conda:package-cache — shows the machine-wide package cache (folder,
 * packages, size); with `verify`, re-checks every file against its
 * package's info/paths.json; with `purge`, empties it.
 */
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../core/logger';
import { PLUGIN_NAME } from '../../core/defaults';
import { UserError } from '../../core/errors';
import {
  checkPathsJson,
  purgeCache,
  removeEntry,
  resolvePackageCacheDir,
  scanCache,
} from '../../channel/package-cache';
import { runExecutor } from '../run-executor';
import type { PackageCacheExecutorSchema } from './schema';

/** The packageCache of the first nx-conda registration in nx.json, if any. */
function registered(context: ExecutorContext): unknown {
  for (const raw of context.nxJsonConfiguration?.plugins ?? []) {
    if (typeof raw === 'object' && raw && raw.plugin === PLUGIN_NAME) {
      const options = raw.options as { packageCache?: unknown } | undefined;
      if (options?.packageCache !== undefined) return options.packageCache;
    }
  }
  return undefined;
}

const megabytes = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

export default async function packageCacheExecutor(
  options: PackageCacheExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runExecutor(async () => {
    const root = resolvePackageCacheDir(options.packageCache ?? registered(context), context.root);
    if (!root) throw new UserError('the package cache is turned off (packageCache: false): there is nothing to show.');
    if (options.purge) {
      const removed = purgeCache(root);
      logger.info(`nx-conda: package cache ${root}: removed ${removed} package(s)`);
      return;
    }
    if (options.verify) {
      let removed = 0;
      for (const entry of scanCache(root).entries) {
        try {
          checkPathsJson(entry.path);
        } catch (e) {
          logger.warn(`nx-conda: package cache: removed ${entry.key}/${entry.name}: ${(e as Error).message}`);
          removeEntry(root, entry.path);
          removed++;
        }
      }
      logger.info(`nx-conda: package cache ${root}: verified, ${removed} entr${removed === 1 ? 'y' : 'ies'} removed`);
    }
    const { entries, broken } = scanCache(root);
    const total = entries.reduce((sum, e) => sum + e.marker.bytes, 0);
    const lines = [...entries]
      .sort((a, b) => a.key.localeCompare(b.key) || a.name.localeCompare(b.name))
      .map(
        (e) => `  ${e.key}/${e.name}  (${megabytes(e.marker.bytes)}, last used ${new Date(e.usedMs).toISOString()})`,
      );
    logger.info(
      `nx-conda: package cache ${root}: ${entries.length} package(s), ${megabytes(total)}` +
        (broken.length
          ? `, ${broken.length} incomplete entr${broken.length === 1 ? 'y' : 'ies'} (removed by the next build)`
          : '') +
        (lines.length ? `\n${lines.join('\n')}` : ''),
    );
  });
}
