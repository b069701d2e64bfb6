/**
 * Reading recipes: the only place in nx-conda that parses a recipe.
 *
 * - `meta.yaml` (conda-build): Jinja, then line selectors, then YAML.
 * - `recipe.yaml` (rattler-build, v1): YAML, then `context`, `${{ }}` and
 *   `if/then/else` selectors.
 */
import { isRecipeReadError, RecipeReadError } from './errors';
import { formatOfFile } from '../core/formats';
import type { PackageIdentity, RecipeInfo } from './types';

export { isRecipeReadError, RecipeReadError, type RecipeReadErrorData, toErrorData, fromErrorData } from './errors';
export {
  isPackageName,
  matchSpecName,
  packageNameOfSpec,
  PACKAGE_NAME_PATTERN,
  PACKAGE_NAME_RULE,
  recipeNameProblem,
  shownName,
} from './match-spec';
export { applySelectors, evalSelector, matchSelector, selectorNamespace } from './selectors';
export type { PackageIdentity, RecipeInfo, RecipeRequirements } from './types';

/**
 * Recipe files larger than this are refused unread (the public corpus's
 * largest meta.yaml is 17 KB).
 */
export const MAX_RECIPE_BYTES = 512 * 1024;

/** The reason a recipe file of `bytes` is refused, or undefined when its size is fine. */
export function oversizeReason(bytes: number): string | undefined {
  return bytes > MAX_RECIPE_BYTES
    ? `the file is ${Math.ceil(bytes / 1024)} KB, over nx-conda's limit of ${MAX_RECIPE_BYTES / 1024} KB for a recipe`
    : undefined;
}

/**
 * Reads a recipe for a platform (e.g. `linux-64`). Throws a RecipeReadError
 * (file, reason, line where known) when the recipe cannot be read.
 */
export function readRecipe(filePath: string, contents: string, platform: string): RecipeInfo {
  const format = formatOfFile(filePath);
  const oversize = oversizeReason(Buffer.byteLength(contents, 'utf8'));
  if (oversize) throw new RecipeReadError(filePath, oversize);
  try {
    // Loaded on first use: a warm graph parses nothing and need not load them.
    if (format === 'recipe')
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require('./v1') as typeof import('./v1')).readRecipeV1(filePath, contents, platform);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./meta') as typeof import('./meta')).readMetaYaml(filePath, contents, platform);
  } catch (e) {
    if (isRecipeReadError(e)) throw e;
    throw new RecipeReadError(filePath, e instanceof Error ? e.message : String(e));
  }
}

/**
 * The packages a recipe makes for a platform (name, version and build
 * number of every output). Throws a RecipeReadError like readRecipe.
 */
export function readRecipePackages(filePath: string, contents: string, platform: string): PackageIdentity[] {
  const format = formatOfFile(filePath);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (format === 'recipe') return (require('./v1') as typeof import('./v1')).v1Packages(filePath, contents, platform);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./meta') as typeof import('./meta')).metaPackages(filePath, contents, platform);
  } catch (e) {
    if (isRecipeReadError(e)) throw e;
    throw new RecipeReadError(filePath, e instanceof Error ? e.message : String(e));
  }
}
