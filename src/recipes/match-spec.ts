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
 * The name of a package a recipe builds. Recipe text is untrusted, and this
 * name becomes a project name, a folder name and a log line, so it must be a
 * conda package name, by the rule the builders apply:
 * - conda-build's "Package naming conventions": "lowercase alpha characters,
 *   numeric digits, underscores, hyphens, or dots" (docs.conda.io, conda-build,
 *   concepts/package-naming-conv); rattler-build's `PackageName` accepts
 *   `[a-zA-Z0-9_.-]` and lower-cases it (we lower-case first, as it does);
 * - not starting with `.` or `-` (PACKAGE_NAME_PATTERN): `..` is a path, `-x`
 *   an option to every command it reaches;
 * - not starting with `__`: conda reserves that for virtual packages
 *   (`__glibc`, `__cuda`, `__unix`), which the solver provides and no recipe
 *   can build; it also keeps out `__proto__`.
 * Returns why `name` is refused, or undefined when it is fine.
 */
export function recipeNameProblem(name: string): string | undefined {
  if (!isPackageName(name)) return `package name ${shownName(name)} is not a conda package name: ${PACKAGE_NAME_RULE}`;
  if (name.startsWith('__'))
    return `package name ${shownName(name)} starts with "__", which conda reserves for virtual packages (__glibc, __cuda): no recipe can build one`;
  return undefined;
}

/**
 * An untrusted name as it may be printed: quoted, every control, format or
 * non-ASCII character as a `\uXXXX` escape (a recipe's `ESC]0;title BEL`
 * never reaches a terminal), at most 80 characters.
 */
export function shownName(name: string): string {
  const escaped = name
    .slice(0, 80)
    .replace(/[^\x20-\x7e]|["\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"${name.length > 80 ? '…' : ''}`;
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
