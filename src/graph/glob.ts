/**
 * `include` / `exclude` of the plugin options, matched as Nx matches a
 * plugin registration's `include` / `exclude` in nx.json (Nx 24,
 * project-configuration-utils `createMatcher`): minimatch with `dot: true`;
 * patterns in order, a later match overriding an earlier one, a pattern
 * starting with `!` unselecting what it matches, and a list starting with
 * `!` starting from "everything". So `recipes/[ab]*`, `recipes/!(old)`,
 * `{a,b}/**` and `!recipes/old/**` mean what they mean to Nx.
 *
 * A recipe is matched when its folder path or its recipe file path
 * (workspace-relative) is: `recipes/*` and `recipes/*\/meta.yaml` both
 * select `recipes/foo/meta.yaml`. A folder pattern does not select the
 * folders below it (write `recipes/foo/**` for those).
 */
import type { Minimatch } from 'minimatch';

type PathMatcher = (path: string) => boolean;

function compile(patterns: readonly string[], emptyValue: boolean): PathMatcher {
  if (patterns.length === 0) return () => emptyValue;
  // Loaded only for a registration with include/exclude.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Minimatch: M } = require('minimatch') as typeof import('minimatch');
  const compiled: Array<{ negated: boolean; m: Minimatch }> = patterns.map((p) => {
    const negated = p.startsWith('!');
    return { negated, m: new M(negated ? p.slice(1) : p, { dot: true }) };
  });
  if (!compiled.some((c) => c.negated)) return (path) => compiled.some((c) => c.m.match(path));
  const initial = compiled[0].negated;
  return (path) => {
    let matched = initial;
    for (const { negated, m } of compiled) if (m.match(path)) matched = !negated;
    return matched;
  };
}

/** Whether a recipe (its folder and its file, workspace-relative) is selected by include/exclude. */
export type RecipeFilter = (root: string, file: string) => boolean;

export function recipeFilter(include: readonly string[], exclude: readonly string[]): RecipeFilter {
  if (include.length === 0 && exclude.length === 0) return () => true;
  const inc = compile(include, true);
  const exc = compile(exclude, false);
  return (root, file) => (inc(root) || inc(file)) && !(exc(root) || exc(file));
}
