import type { Builder } from '../core/formats';

/** What a builder needs to know to write its build script and command line. */
export interface BuildPlan {
  builder: Builder;
  /** The recipe file inside the container, e.g. /opt/recipe/meta.yaml. */
  recipeFile: string;
  /** The recipe folder inside the container (mounted read-only). */
  recipeDir: string;
  /** The staging channel inside the container (mounted read-write). */
  stagingDir: string;
  /** Upstream channels (names or URLs), searched after the staging channel, in this order. */
  channels: string[];
  platform: string;
  /** Variant config files inside the container (conda-build -m, rattler-build -m). */
  variantConfigFiles: string[];
  /** conda-build exclusive config files (-e); rattler-build has none. */
  exclusiveConfigFiles: string[];
  /** Extra arguments for the build command, one word each. */
  buildArgs: string[];
  /** conda-build only: `conda mambabuild` instead of `conda build`. */
  mambabuild: boolean;
  /** conda-build only: `conda` or `tar.bz2`; undefined leaves the builder's default. */
  packageFormat?: string;
  /** rattler-build only: skip the recipe's tests. */
  skipTests: boolean;
}

export interface BuilderDefinition {
  /** The default script template; placeholders as documented in README.md. */
  defaultTemplate: string;
  /** The build command, one word each, as the script runs it. */
  command(plan: BuildPlan): string[];
  /**
   * A command that solves the build's environments without building (no
   * build script runs), printing what it solved on stdout, with `outputDir`
   * as its scratch output folder; absent when the builder has none.
   */
  solveCommand?(plan: BuildPlan, outputDir: string): string[];
}
