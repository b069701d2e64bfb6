import type { RecipeFormat } from '../core/formats';

export interface RecipeRequirements {
  build: string[];
  host: string[];
  run: string[];
}

/** What the rest of nx-conda needs to know about a recipe. */
export interface RecipeInfo {
  /** `meta` (meta.yaml, conda-build) or `recipe` (recipe.yaml, rattler-build): see src/formats.ts. */
  format: RecipeFormat;
  /** The recipe's package name, lower-cased (`package.name`; v1: or `recipe.name`). */
  packageName: string;
  version?: string;
  /** Every package the recipe provides: top level and outputs, lower-cased, unique. */
  names: string[];
  /** Requirement package names of the top level and of every output, merged, unique, sorted. */
  requirements: RecipeRequirements;
  /** Present (true) when `build: skip` holds for the platform: the builder makes nothing there. */
  skip?: true;
  /** Present (true) when the top-level `build: noarch` is set: built once, on the primary platform. */
  noarch?: true;
  /** `extra: additional-platforms` (bioconda's rule): text values as written, unchecked. */
  additionalPlatforms?: string[];
}

/** One package a recipe makes, as its repodata record will name it. */
export interface PackageIdentity {
  name: string;
  /** Undefined when the recipe gives none (the build would fail). */
  version?: string;
  /** NaN when the recipe's build number is not a whole number after rendering. */
  buildNumber: number;
}
