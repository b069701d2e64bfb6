export interface BumpRecipeExecutorSchema {
  /** The recipe file, workspace-relative. Default: recipe.yaml or meta.yaml in the project's root. */
  recipeFile?: string;
  /** Bump to this version instead of the upstream's newest. */
  newVersion?: string;
  /** Only check; fail when the recipe is behind. */
  check?: boolean;
  /** Print the change as a diff, write nothing. */
  dryRun?: boolean;
  includePrerelease?: boolean;
  keepBuildNumber?: boolean;
  format?: 'text' | 'json';
  /** What {{ cran_mirror }} stands for. */
  cranMirror?: string;
}
