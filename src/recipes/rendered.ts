/**
 * A recipe rendered once for a platform (as rattler-build renders a recipe
 * into one typed model), and the small pure functions that derive from it
 * what the rest of nx-conda reads: the graph's RecipeInfo and the packages
 * skipExisting looks up.
 *
 * A recipe.yaml value is rendered when the recipe is, but an expression that
 * fails is kept as its error (an `Evaluated` that is not ok) and thrown only
 * by a derivation that needs that value, in the order it needs them: each
 * derivation fails on the same recipes, with the same error, as if it had
 * rendered alone.
 */
import type { RecipeFormat } from '../core/formats';
import { checkPackageNames } from './common';
import { isRecipeReadError, RecipeReadError } from './errors';
import type { PackageIdentity, RecipeInfo, RecipeRequirements } from './types';

/** A rendered value, or the error its rendering raised. */
export type Evaluated<T> = { ok: true; value: T } | { ok: false; error: RecipeReadError };

export function evaluated<T>(value: T): Evaluated<T> {
  return { ok: true, value };
}

/** Runs `fn`, keeping what it throws as the value's error (a RecipeReadError of `file`). */
export function evaluate<T>(file: string, fn: () => T): Evaluated<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (isRecipeReadError(e)) return { ok: false, error: e };
    return { ok: false, error: new RecipeReadError(file, e instanceof Error ? e.message : String(e)) };
  }
}

/** The value, or its error thrown. */
export function valueOf<T>(v: Evaluated<T>): T {
  if (!v.ok) throw v.error;
  return v.value;
}

/** One package of a recipe (its top level, or an output) as the recipe writes it, rendered. */
export interface RenderedPackage {
  /** Lower-cased, unchecked; undefined when the recipe gives none. */
  name: Evaluated<string | undefined>;
  version: Evaluated<string | undefined>;
  /** Absent when the recipe writes no build number here (an output then has its top level's). */
  buildNumber?: Evaluated<number>;
  /** `build.string` where the recipe writes one. */
  buildString: Evaluated<string | undefined>;
  /** Requirement package names by section, in recipe order (names a package can have only). */
  requirements: Record<keyof RecipeRequirements, Evaluated<string[]>>;
}

export interface RenderedRecipe {
  file: string;
  format: RecipeFormat;
  /** `package` (recipe.yaml: or `recipe`), with the top-level `build` and `requirements`. */
  top: RenderedPackage;
  /** Every output that is a mapping, in order (unnamed ones too). */
  outputs: Evaluated<RenderedPackage[]>;
  /** `build: skip` holds for the platform. */
  skip: Evaluated<boolean>;
  /** The top-level `build: noarch` is set (the recipe is built once, on the primary platform). Absent: false. */
  noarch?: Evaluated<boolean>;
  /** `extra: additional-platforms` (bioconda's rule), its text values as written. Absent: none. */
  additionalPlatforms?: Evaluated<string[]>;
}

/** At most this many `additional-platforms` values are read (a real recipe lists two). */
export const MAX_ADDITIONAL_PLATFORMS = 16;

/** `extra: additional-platforms` as the graph keeps it: text values only, bounded in count and length. */
export function additionalPlatformsOf(extra: unknown, value: (v: unknown) => unknown = (v) => v): string[] {
  if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) return [];
  const list = (extra as Record<string, unknown>)['additional-platforms'];
  const items = Array.isArray(list) ? list : list === undefined || list === null ? [] : [list];
  const out: string[] = [];
  for (const item of items.slice(0, MAX_ADDITIONAL_PLATFORMS)) {
    const v = value(item);
    if (typeof v === 'string' && v.trim() && !out.includes(v.trim())) out.push(v.trim().slice(0, 64));
  }
  return out;
}

/** A `build: noarch` value that makes the package noarch (`python`, `generic`, or conda-build's old `true`). */
export function isNoarchValue(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return false;
  const s = v.trim().toLowerCase();
  return s !== '' && !/^(false|no|off|n|null|~|0)$/.test(s);
}

export const SECTIONS = ['build', 'host', 'run'] as const;

function noPackageReason(format: RecipeFormat): string {
  return format === 'recipe'
    ? 'no package.name or recipe.name (and no named outputs)'
    : 'no package.name (and no named outputs)';
}

/** What the graph reads: names (top level first, unique, checked), version, requirements merged, skip. */
export function recipeInfoOf(r: RenderedRecipe): RecipeInfo {
  const names: string[] = [];
  const top = valueOf(r.top.name);
  if (top) names.push(top);
  const reqs = { build: new Set<string>(), host: new Set<string>(), run: new Set<string>() };
  const addReqs = (p: RenderedPackage) => {
    for (const section of SECTIONS) for (const n of valueOf(p.requirements[section])) reqs[section].add(n);
  };
  addReqs(r.top);
  for (const out of valueOf(r.outputs)) {
    const n = valueOf(out.name);
    if (n && !names.includes(n)) names.push(n);
    addReqs(out);
  }
  if (names.length === 0) throw new RecipeReadError(r.file, noPackageReason(r.format));
  checkPackageNames(r.file, names);
  const version = valueOf(r.top.version);
  const skip = valueOf(r.skip);
  // Neither is needed to build on the primary platform: a value that fails to render is none (lint says why).
  const noarch = r.noarch?.ok === true && r.noarch.value;
  const additionalPlatforms = r.additionalPlatforms?.ok ? r.additionalPlatforms.value : [];
  return {
    format: r.format,
    packageName: names[0],
    ...(version !== undefined ? { version } : {}),
    names,
    requirements: { build: [...reqs.build].sort(), host: [...reqs.host].sort(), run: [...reqs.run].sort() },
    ...(skip ? { skip: true as const } : {}),
    ...(noarch ? { noarch: true as const } : {}),
    ...(additionalPlatforms.length ? { additionalPlatforms } : {}),
  };
}

/**
 * The packages the builder makes: each named output (its own version and
 * build number, else the top level's), or the top-level package when there
 * are no named outputs. Names checked.
 */
export function packagesOf(r: RenderedRecipe): PackageIdentity[] {
  const top: PackageIdentity = {
    name: valueOf(r.top.name) ?? '',
    version: valueOf(r.top.version),
    buildNumber: r.top.buildNumber ? valueOf(r.top.buildNumber) : 0,
  };
  const outputs: PackageIdentity[] = [];
  for (const out of valueOf(r.outputs)) {
    const name = valueOf(out.name);
    if (!name) continue;
    outputs.push({
      name,
      version: valueOf(out.version) ?? top.version,
      buildNumber: out.buildNumber ? valueOf(out.buildNumber) : top.buildNumber,
    });
  }
  if (outputs.length) return checkPackageNames(r.file, outputs);
  if (!top.name) throw new RecipeReadError(r.file, noPackageReason(r.format));
  return checkPackageNames(r.file, [top]);
}
