/**
 * Version strings ordered as conda orders them (conda's VersionOrder): an
 * optional epoch `N!`, components split at `.` and `_` (and `-`, which conda
 * refuses but upstreams such as CRAN write), each component a run of numbers
 * and words; a word sorts below any number (`1.0rc1` < `1.0`), `dev` below
 * every other word, `post` above every number; missing components are 0
 * (`1.0` = `1.0.0`); a local part `+...` breaks ties.
 */

type Part = number | string;

interface Parsed {
  version: Part[][];
  local: Part[][];
}

/** A version we take from an upstream or an option: no space, quote, Jinja or YAML syntax, 64 characters at most. */
export const VERSION_SHAPE = /^[0-9A-Za-z][0-9A-Za-z._+!-]{0,63}$/;

const DEV = 'DEV'; // upper case sorts below every lower-case word, as in conda

function component(text: string): Part[] | undefined {
  const runs = text.match(/[0-9]+|\*+|[^0-9*]+/g);
  if (!runs) return undefined;
  const parts: Part[] = runs.map((run) => {
    if (/^[0-9]+$/.test(run)) return Number(run);
    if (run === 'post') return Infinity;
    if (run === 'dev') return DEV;
    return run;
  });
  if (typeof parts[0] === 'string') parts.unshift(0);
  return parts;
}

function components(text: string): Part[][] | undefined {
  const out: Part[][] = [];
  for (const piece of text.split(/[._-]/)) {
    const c = component(piece);
    if (!c) return undefined;
    out.push(c);
  }
  return out;
}

/** The parsed version, or undefined when conda would refuse it (empty component, odd characters). */
function parse(raw: string): Parsed | undefined {
  const text = raw.trim().toLowerCase();
  if (!/^[0-9a-z.*+!_-]+$/.test(text)) return undefined;
  const bang = text.split('!');
  if (bang.length > 2 || (bang.length === 2 && !/^[0-9]+$/.test(bang[0]))) return undefined;
  const epoch = bang.length === 2 ? Number(bang[0]) : 0;
  const plus = bang[bang.length - 1].split('+');
  if (plus.length > 2 || plus[0] === '') return undefined;
  const version = components(plus[0]);
  const local = plus.length === 2 ? components(plus[1]) : [];
  if (!version || !local) return undefined;
  return { version: [[epoch], ...version], local };
}

/** Whether conda can order this version string. */
export function isOrderableVersion(version: string): boolean {
  return parse(version) !== undefined;
}

function comparePart(a: Part, b: Part): number {
  if (a === b) return 0;
  if (typeof a === 'string' && typeof b !== 'string') return -1;
  if (typeof b === 'string' && typeof a !== 'string') return 1;
  return a < b ? -1 : 1;
}

function compareLists(a: Part[][], b: Part[][]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? [];
    const y = b[i] ?? [];
    for (let j = 0; j < Math.max(x.length, y.length); j++) {
      const c = comparePart(x[j] ?? 0, y[j] ?? 0);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/**
 * Negative when `a` is older than `b`, positive when newer, 0 when conda
 * takes them as equal. A version conda cannot parse sorts below every other
 * (and such versions among themselves by their text).
 */
export function compareVersions(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return x ? 1 : y ? -1 : a < b ? -1 : a > b ? 1 : 0;
  return compareLists(x.version, y.version) || compareLists(x.local, y.local);
}

/** Words that mark a pre-release (PEP 440's, CPAN's TRIAL and the usual ones). */
const PRE_RELEASE_WORDS = new Set(['a', 'alpha', 'b', 'beta', 'c', 'rc', 'pre', 'preview', 'dev', 'snapshot', 'trial']);

/** `1.0rc1`, `2.0.0-beta.2`, `1.1.dev0`: a version an upstream has not released as final. */
export function isPreRelease(version: string): boolean {
  const words = version.toLowerCase().match(/[a-z]+/g) ?? [];
  return words.some((w) => PRE_RELEASE_WORDS.has(w));
}

/**
 * An upstream's version name (a tag, a release name) as the recipe would
 * write it: a leading `v` is dropped when the recipe's version has none.
 */
export function asRecipeVersion(upstream: string, recipeVersion: string): string {
  if (/^[vV][0-9]/.test(upstream) && !/^[vV]/.test(recipeVersion)) return upstream.slice(1);
  return upstream;
}

/**
 * The newest of `candidates` (recipe-shaped version strings), skipping
 * pre-releases unless `includePreRelease`, names that do not start with a
 * digit (`nightly`, `latest`) and versions conda cannot order.
 */
export function newestVersion(candidates: Iterable<string>, includePreRelease: boolean): string | undefined {
  let best: string | undefined;
  for (const v of candidates) {
    if (!VERSION_SHAPE.test(v) || !/^[0-9]/.test(v) || !isOrderableVersion(v)) continue;
    if (!includePreRelease && isPreRelease(v)) continue;
    if (best === undefined || compareVersions(v, best) > 0) best = v;
  }
  return best;
}
