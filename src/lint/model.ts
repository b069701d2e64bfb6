/**
 * A recipe as the checks see it: one vocabulary over meta.yaml and
 * recipe.yaml (where each keeps its home page, tests, run_exports, VCS
 * sources), built from the reading layer's view.
 */
import { asList, asText, isMapping } from '../recipes/common';
import type { LineSelector, LintReadFailure, RecipeView } from '../recipes/lint-view';
import type { KeyPath, PositionIndex } from '../recipes/positions';
import type { RecipeFormat } from '../core/formats';
import { packageNameOfSpec } from '../recipes/match-spec';

export type Section = 'build' | 'host' | 'run';

export interface Requirement {
  /** The spec after rendering, e.g. `python >=3.8`. */
  spec: string;
  name: string;
  section: Section;
  path: KeyPath;
}

/** One package the recipe makes: the top level, or one output (with its key path). */
export interface PackagePart {
  node: Record<string, unknown>;
  path: KeyPath;
}

export interface SourceEntry {
  node: Record<string, unknown>;
  path: KeyPath;
}

export interface LintRecipe {
  /** Workspace-relative recipe file. */
  file: string;
  /** Workspace-relative recipe folder. */
  dir: string;
  format: RecipeFormat;
  lines: string[];
  selectors: LineSelector[];
  positions: PositionIndex;
  failure?: LintReadFailure;
  doc: Record<string, unknown>;
  /** The names of the files in the recipe folder (not in subfolders). */
  files: string[];
  /** A file of the recipe folder, read (bounded) on demand; undefined when absent. */
  readFile(name: string): string | undefined;
  /** `package` (v1: or `recipe`). */
  pkg: Record<string, unknown>;
  build: Record<string, unknown>;
  about: Record<string, unknown>;
  extra: Record<string, unknown>;
  outputs: PackagePart[];
  requirements: Requirement[];
  sources: SourceEntry[];
  /** Selector names that are not unknown (platform namespace, conda-build's, the workspace's variant keys). */
  knownSelectors: ReadonlySet<string>;
  /** 1-based line of `path` (or its nearest ancestor), else 1. */
  lineOf(path: KeyPath): number;
  /** Requirements of the recipe on another platform it lists that no recipe of the tree builds there (lint-recipe's executor). */
  platformGaps?: readonly PlatformGap[];
}

/** On `platform`, the recipe requires `name`, which the tree's `provider` builds on other platforms only. */
export interface PlatformGap {
  platform: string;
  name: string;
  /** The providing recipe's file, workspace-relative. */
  provider: string;
}

const mapping = (v: unknown): Record<string, unknown> => (isMapping(v) ? v : {});

function requirementsOf(r: unknown, base: KeyPath, out: Requirement[]): void {
  const add = (section: Section, list: unknown, path: KeyPath) => {
    asList(list).forEach((spec, i) => {
      const text = asText(spec);
      const name = packageNameOfSpec(text);
      if (text && name) out.push({ spec: text, name, section, path: [...path, i] });
    });
  };
  // An output's flat requirement list is its run requirements (conda-build).
  if (Array.isArray(r)) return add('run', r, [...base, 'requirements']);
  if (!isMapping(r)) return;
  for (const section of ['build', 'host', 'run'] as const) add(section, r[section], [...base, 'requirements', section]);
}

export function lintRecipeOf(
  file: string,
  dir: string,
  view: RecipeView,
  files: string[],
  readFile: (name: string) => string | undefined,
  knownSelectors: ReadonlySet<string>,
): LintRecipe {
  const doc = view.doc ?? {};
  const v1 = view.format === 'recipe';
  const outputs: PackagePart[] = [];
  asList(doc.outputs).forEach((o, i) => {
    if (isMapping(o)) outputs.push({ node: o, path: ['outputs', i] });
  });
  const requirements: Requirement[] = [];
  requirementsOf(doc.requirements, [], requirements);
  for (const o of outputs) requirementsOf(o.node.requirements, o.path, requirements);
  const sources: SourceEntry[] = [];
  if (Array.isArray(doc.source))
    doc.source.forEach((s, i) => isMapping(s) && sources.push({ node: s, path: ['source', i] }));
  else if (isMapping(doc.source)) sources.push({ node: doc.source, path: ['source'] });
  const pkg = mapping(doc.package);
  return {
    file,
    dir,
    format: view.format,
    lines: view.lines,
    selectors: view.selectors,
    positions: view.positions,
    ...(view.failure ? { failure: view.failure } : {}),
    doc,
    files,
    readFile,
    pkg: v1 && !isMapping(doc.package) ? mapping(doc.recipe) : pkg,
    build: mapping(doc.build),
    about: mapping(doc.about),
    extra: mapping(doc.extra),
    outputs,
    requirements,
    sources,
    knownSelectors,
    lineOf: (path) => view.positions.lineOf(path) ?? 1,
  };
}

/** Package names to the requirements that name them (bioconda's `deps`). */
export function depsOf(recipe: LintRecipe): Map<string, Requirement[]> {
  const deps = new Map<string, Requirement[]>();
  for (const r of recipe.requirements) {
    const list = deps.get(r.name);
    if (list) list.push(r);
    else deps.set(r.name, [r]);
  }
  return deps;
}

export function usesCompiler(recipe: LintRecipe): boolean {
  return recipe.requirements.some((r) => r.name.startsWith('compiler_'));
}

/** A value as a builder's YAML reads it for truth: empty, `false`, `no`, `0` are false. */
export function isTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  const s = String(v).trim();
  return !/^(|false|no|off|0|none|null|~)$/i.test(s);
}

/** `build: noarch:` of the recipe: `python`, `generic`, or undefined when not noarch. */
export function noarchOf(recipe: LintRecipe): string | undefined {
  const n = recipe.build.noarch;
  if (!isTruthy(n)) return undefined;
  return String(n).trim().toLowerCase() === 'python' ? 'python' : 'generic';
}

/**
 * The 1-based lines of a top-level section of the source text (`source:`
 * up to the next top-level key), for what only the text shows (selectors).
 */
export function topLevelBlock(recipe: LintRecipe, key: string): { start: number; end: number } | undefined {
  const head = new RegExp(`^${key}\\s*:`);
  const start = recipe.lines.findIndex((l) => head.test(l));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < recipe.lines.length && !/^[A-Za-z_{]/.test(recipe.lines[end])) end++;
  return { start: start + 1, end };
}

/** Finds `text` in the source lines from `from` (1-based): for list items whose position rendering moved. */
export function lineOfText(recipe: LintRecipe, text: string, from: number): number | undefined {
  for (let i = Math.max(0, from - 1); i < recipe.lines.length; i++) if (recipe.lines[i].includes(text)) return i + 1;
  return undefined;
}
