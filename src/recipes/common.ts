import { RecipeReadError } from './errors';
import { isPackageName, packageNameOfSpec, recipeNameProblem } from './match-spec';

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function asName(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).trim().toLowerCase();
  return s.length > 0 ? s : undefined;
}

export function asText(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v).trim();
  return s.length > 0 ? s : undefined;
}

/**
 * The package names a list of match specs asks for, in order: only names a
 * package can have (anything else could match no recipe, and is never kept
 * to be shown).
 */
export function requirementNames(specs: unknown[]): string[] {
  const names: string[] = [];
  for (const spec of specs) {
    const name = packageNameOfSpec(spec);
    if (name && isPackageName(name)) names.push(name);
  }
  return names;
}

export function asList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v === null || v === undefined) return [];
  return [v];
}

/** A build number as the builders read it: a whole number ≥ 0, 0 when absent; NaN when it is not one (the caller decides). */
export function buildNumberOf(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  const text = String(v).trim();
  return /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * conda-build's truthiness of `build: skip` as PyYAML and Python see it:
 * YAML 1.1 booleans (`true`, `yes`, `on`...), numbers by value, any other
 * non-empty text true.
 */
export function isTrueSkip(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v !== 'string') return false;
  const s = v.trim();
  if (/^(true|yes|on|y)$/i.test(s)) return true;
  if (/^(false|no|off|n|null|~)?$/i.test(s)) return false;
  if (/^[-+]?(0+|0*\.0*|0x0+)$/i.test(s)) return false;
  return true;
}

/**
 * Refuses a recipe that names a package (top level or output) with a name
 * that is not a conda package name (see recipeNameProblem): like any broken
 * recipe, it is reported with its file and never becomes a project, a path
 * or a log line.
 */
export function checkPackageNames<T extends string | { name: string }>(file: string, names: readonly T[]): T[] {
  for (const n of names) {
    const problem = recipeNameProblem(typeof n === 'string' ? n : n.name);
    if (problem) throw new RecipeReadError(file, problem);
  }
  return [...names];
}
