/**
 * Minimal glob matching for include/exclude on recipe folder paths:
 * `**` (any number of segments), `*` (within a segment), `?`, `{a,b}`.
 * A pattern also matches everything below a matching folder.
 */
const cache = new Map<string, RegExp>();

function toRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let braces = 0;
  const g = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  while (i < g.length) {
    const c = g[i];
    if (c === '*') {
      if (g[i + 1] === '*') {
        i += 2;
        if (g[i] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    i++;
  }
  return new RegExp(`^${re}(?:/.*)?$`);
}

export function matchesGlob(path: string, glob: string): boolean {
  let re = cache.get(glob);
  if (!re) {
    re = toRegExp(glob);
    cache.set(glob, re);
  }
  return re.test(path);
}

/** True when `path` passes `include` (empty: everything) and no `exclude`. */
export function isSelected(path: string, include: string[], exclude: string[]): boolean {
  if (include.length > 0 && !include.some((g) => matchesGlob(path, g))) return false;
  return !exclude.some((g) => matchesGlob(path, g));
}
