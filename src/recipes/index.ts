/**
 * Reading recipes: the only place in nx-conda that parses a recipe.
 *
 * - `meta.yaml` (conda-build): Jinja, then line selectors, then YAML.
 * - `recipe.yaml` (rattler-build, v1): YAML, then `context`, `${{ }}` and
 *   `if/then/else` selectors.
 */
import { isRecipeReadError, RecipeReadError } from './errors';
import { formatOfFile } from '../core/formats';
import { packagesOf, recipeInfoOf, type RenderedRecipe } from './rendered';
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
export { packagesOf, recipeInfoOf, type Evaluated, type RenderedPackage, type RenderedRecipe } from './rendered';

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
 * Renders a recipe for a platform (e.g. `linux-64`) into the model that
 * readRecipe and readRecipePackages derive from: the one dispatch on the
 * format. Throws a RecipeReadError (file, reason, line where known) when the
 * recipe cannot be read at all.
 */
export function renderRecipe(filePath: string, contents: string, platform: string): RenderedRecipe {
  const oversize = oversizeReason(Buffer.byteLength(contents, 'utf8'));
  if (oversize) throw new RecipeReadError(filePath, oversize);
  return asRecipeReadError(filePath, () =>
    // Loaded on first use: a warm graph parses nothing and need not load them.
    formatOfFile(filePath) === 'recipe'
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('./v1') as typeof import('./v1')).renderV1Recipe(filePath, contents, platform)
      : // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('./meta') as typeof import('./meta')).renderMetaRecipe(filePath, contents, platform),
  );
}

function asRecipeReadError<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isRecipeReadError(e)) throw e;
    throw new RecipeReadError(file, e instanceof Error ? e.message : String(e));
  }
}

/**
 * Reads a recipe for a platform (e.g. `linux-64`). Throws a RecipeReadError
 * (file, reason, line where known) when the recipe cannot be read.
 */
export function readRecipe(filePath: string, contents: string, platform: string): RecipeInfo {
  const rendered = renderRecipe(filePath, contents, platform);
  return asRecipeReadError(filePath, () => recipeInfoOf(rendered));
}

/**
 * The packages a recipe makes for a platform (name, version and build
 * number of every output). Throws a RecipeReadError like readRecipe.
 */
export function readRecipePackages(filePath: string, contents: string, platform: string): PackageIdentity[] {
  const rendered = renderRecipe(filePath, contents, platform);
  return asRecipeReadError(filePath, () => packagesOf(rendered));
}
