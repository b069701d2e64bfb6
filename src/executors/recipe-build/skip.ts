import type { ExecutorContext } from '@nx/devkit';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { dependencyOutputs, readSkipRecord, type SkipRecord } from '../../channel';
import { isRecipeReadError, readRecipe } from '../../recipes';
import { RecipeBuildError, type ResolvedOptions } from './options';

/** The skip record of this build when its recipe says `build: skip` for the platform (as nx-conda reads it). */
export function skipForPlatform(resolved: ResolvedOptions, root: string): SkipRecord | undefined {
  const file = join(resolved.recipeDir, resolved.recipeFile);
  try {
    const contents = readFileSync(file, 'utf8');
    // A recipe that never says "skip" is not skipped: no need to load the
    // YAML and Jinja readers, which would cost every build about 0.1 s.
    if (!contents.includes('skip')) return undefined;
    const info = readRecipe(file, contents, resolved.platform);
    return info.skip
      ? { project: resolved.projectName, recipe: relative(root, file), platform: resolved.platform }
      : undefined;
  } catch (e) {
    // The builder reads the recipe too, and says better what is wrong with it.
    if (isRecipeReadError(e) || (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * A dependency skipped for this platform has no package to build against:
 * say so, instead of starting a container whose solver fails on it.
 */
export function assertNoSkippedDependency(resolved: ResolvedOptions, context: ExecutorContext): void {
  const skipped = dependencyOutputs(context.projectGraph, resolved.projectName)
    .map(({ outputPath }) => readSkipRecord(resolve(context.root, outputPath), resolved.platform))
    .filter((r): r is SkipRecord => r !== undefined);
  if (skipped.length === 0) return;
  const which = skipped.map((r) => `${r.project} (${r.recipe})`).join(', ');
  throw new RecipeBuildError(
    `${resolved.projectName} cannot be built for ${resolved.platform}: it depends on ${which}, which ${skipped.length === 1 ? 'is' : 'are'} ` +
      `skipped for ${resolved.platform} (build: skip), so there is no package to build against. ` +
      `Skip ${resolved.projectName} for ${resolved.platform} too, or make the dependency build there.`,
  );
}
