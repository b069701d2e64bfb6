import { logger } from '../../core/logger';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { maskCredentials } from '../../container';
import {
  describePackage,
  lookupExisting,
  replaceWithEmptyChannel,
  withOutputLock,
  type LookupOptions,
} from '../../channel';
import { workspaceSecret } from '../../channel/secret';
import { PLUGIN_VERSION } from '../../core/version';
import { isRecipeReadError, readRecipePackages } from '../../recipes';
import { STAGING_FOLDER } from '../../core/defaults';
import { RecipeBuildError, type ResolvedOptions } from './options';

/**
 * skipExisting: before any container, looks up every package the recipe
 * makes in the upstream channels. When all are there the build is skipped:
 * the project's output folder becomes an empty channel (its dependents then
 * resolve those packages from the upstream channel, which they search too),
 * and one line says where they are. Returns whether it skipped. `loaded`
 * holds the indexes this process already read (a batch reads each once).
 */
export async function skipIfPublished(
  resolved: ResolvedOptions,
  root: string,
  loaded?: LookupOptions['loaded'],
): Promise<boolean> {
  const file = join(resolved.recipeDir, resolved.recipeFile);
  let packages;
  try {
    packages = readRecipePackages(relative(root, file), readFileSync(file, 'utf8'), resolved.platform);
  } catch (e) {
    if (isRecipeReadError(e))
      throw new RecipeBuildError(`skipExisting cannot tell what ${resolved.projectName} makes: ${e.message}`);
    throw e;
  }
  const lookup = await lookupExisting(packages, resolved.channels, resolved.platform, {
    cacheRoot: join(root, STAGING_FOLDER, 'repodata'),
    userAgent: `nx-conda/${PLUGIN_VERSION}`,
    lockTimeoutSeconds: resolved.lockTimeoutSeconds,
    onWait: (other) => logger.info(`nx-conda: skipExisting: waiting for ${other}, which reads the same upstream index`),
    onRetry: (why) => logger.warn(`nx-conda: skipExisting: ${why}`),
    loaded,
  });
  if (resolved.verbose) {
    for (const index of lookup.indexes) {
      logger.info(
        `nx-conda: repodata ${maskCredentials(index.channel)}/${index.subdir}: ${index.how}, ${index.bytes} bytes, ${Object.keys(index.index).length} package names`,
      );
    }
  }
  if (!lookup.all) {
    const missing = lookup.found.filter((f) => !f.channel).map((f) => describePackage(f.pkg));
    logger.info(
      `nx-conda: skipExisting: building ${resolved.projectName}: not in the upstream channels: ${missing.join(', ')}`,
    );
    return false;
  }
  await withOutputLock(
    resolved.outputDir,
    async () => replaceWithEmptyChannel(resolved.outputDir, resolved.ownedSubdirs),
    {
      what: `the output folder of ${resolved.projectName}`,
      holder: `project ${resolved.projectName} (skipExisting)`,
      timeoutSeconds: resolved.lockTimeoutSeconds,
      onWait: (other) => logger.info(`nx-conda: skipExisting: waiting for ${other}, which uses the same output folder`),
      secret: workspaceSecret(root),
    },
  );
  const where = [...new Set(lookup.found.map((f) => maskCredentials(`${f.channel}`)))].join(', ');
  logger.info(
    `nx-conda: skipped ${resolved.projectName}: ${lookup.found.map((f) => `${describePackage(f.pkg)} in ${f.subdir}`).join(', ')} already in ${where} (skipExisting)`,
  );
  return true;
}
