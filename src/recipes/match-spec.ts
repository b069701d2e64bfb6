/**
 * The package name of a conda match spec, in every form recipes use:
 * `foo`, `foo >=1,<2`, `foo 1.2.*`, `foo=1.2=h0`, `foo>=1`, `conda-forge::foo`,
 * `conda-forge/linux-64::foo`, `foo[version='>=1']`, `foo [build_number=2]`.
 *
 * Rule (the reference graph's): drop any `channel::` prefix and any `[...]`
 * brackets, then take the text before the first space or `<>=!~`; lower-cased.
 * Returns undefined for an empty or non-string spec.
 */
export function packageNameOfSpec(spec: unknown): string | undefined {
  if (typeof spec !== 'string') return undefined;
  let s = spec.trim();
  const channel = s.lastIndexOf('::');
  if (channel >= 0) s = s.slice(channel + 2);
  s = s.replace(/\[[^\]]*\]?/g, ' ').trim();
  const m = /^[^\s<>=!~]+/.exec(s);
  if (!m) return undefined;
  const name = m[0].toLowerCase();
  return name.length > 0 ? name : undefined;
}
