/**
 * conda package names and the name of a conda match spec: the one rule for
 * the graph (edges), the recipe generator and purge-image.
 */

/**
 * conda's package-name rule: lower-case letters, digits, `-`, `_` and `.`,
 * starting with a letter, a digit or `_` (conda's own `_libgcc_mutex`,
 * `_openmp_mutex`).
 */
export const PACKAGE_NAME_PATTERN = /^[a-z0-9_][a-z0-9_.-]*$/;

/** The rule in words, for error messages. */
export const PACKAGE_NAME_RULE =
  'a conda package name uses only lower-case letters, digits, "-", "_" and ".", and starts with a letter, a digit or "_"';

export function isPackageName(name: string): boolean {
  return PACKAGE_NAME_PATTERN.test(name);
}

/**
 * The name of a conda match spec as written, in every form recipes use:
 * `foo`, `foo >=1,<2`, `foo 1.2.*`, `foo=1.2=h0`, `foo>=1`, `conda-forge::foo`,
 * `conda-forge/linux-64::foo`, `foo[version='>=1']`, `foo [build_number=2]`.
 *
 * Rule (the reference graph's): drop any `channel::` prefix and any `[...]`
 * brackets, then take the text before the first space or `<>=!~`.
 * Returns undefined for an empty or non-string spec.
 */
export function matchSpecName(spec: unknown): string | undefined {
  if (typeof spec !== 'string') return undefined;
  let s = spec.trim();
  const channel = s.lastIndexOf('::');
  if (channel >= 0) s = s.slice(channel + 2);
  s = s.replace(/\[[^\]]*\]?/g, ' ').trim();
  const m = /^[^\s<>=!~]+/.exec(s);
  return m ? m[0] : undefined;
}

/** The package name a match spec asks for: its name, lower-cased (conda's names are). */
export function packageNameOfSpec(spec: unknown): string | undefined {
  return matchSpecName(spec)?.toLowerCase();
}
