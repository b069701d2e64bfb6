/**
 * The two recipe formats and their builders: one vocabulary, one table.
 *
 * - A recipe *format* is named after its file: `meta` (meta.yaml) and
 *   `recipe` (recipe.yaml, the format rattler-build calls "v1").
 * - A *builder* is the program that builds it: `conda-build` and
 *   `rattler-build`.
 *
 * The graph, the executors and the generators read the mapping between the
 * two from here, and nowhere else.
 */

export interface RecipeFormatInfo {
  /** The recipe file in a recipe folder. */
  file: string;
  /** The builder that builds this format. */
  builder: 'conda-build' | 'rattler-build';
  /** The workspace-root variant/pinning file the builder reads by default. */
  variantFile: string;
}

export const RECIPE_FORMATS = {
  meta: { file: 'meta.yaml', builder: 'conda-build', variantFile: 'conda_build_config.yaml' },
  recipe: { file: 'recipe.yaml', builder: 'rattler-build', variantFile: 'variants.yaml' },
} as const satisfies Record<string, RecipeFormatInfo>;

export type RecipeFormat = keyof typeof RECIPE_FORMATS;
export type Builder = (typeof RECIPE_FORMATS)[RecipeFormat]['builder'];

/**
 * The formats in order of precedence: a folder holding both files is a
 * rattler-build recipe (recipe.yaml wins, meta.yaml is ignored).
 */
export const FORMATS: readonly RecipeFormat[] = ['recipe', 'meta'];

/** The builders, in the order users read them (conda-build, the default, first). */
export const BUILDERS: readonly Builder[] = ['conda-build', 'rattler-build'];

/** The recipe file names, in order of precedence. */
export const RECIPE_FILE_NAMES: readonly string[] = FORMATS.map((f) => RECIPE_FORMATS[f].file);

export function isRecipeFormat(value: unknown): value is RecipeFormat {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RECIPE_FORMATS, value);
}

export function isBuilder(value: unknown): value is Builder {
  return typeof value === 'string' && (BUILDERS as readonly string[]).includes(value);
}

/** The format of a recipe file, by its base name, or undefined if it is not a recipe file. */
export function formatOfFile(filePath: string): RecipeFormat | undefined {
  const base = filePath.slice(Math.max(filePath.lastIndexOf('/'), filePath.lastIndexOf('\\')) + 1);
  return FORMATS.find((f) => RECIPE_FORMATS[f].file === base);
}

/** The format a builder builds. */
export function formatOfBuilder(builder: Builder): RecipeFormat {
  return FORMATS.find((f) => RECIPE_FORMATS[f].builder === builder)!;
}

/** The builder of a format. */
export function builderOf(format: RecipeFormat): Builder {
  return RECIPE_FORMATS[format].builder;
}
