/**
 * conda-build's line selectors (`- foo  # [linux and not aarch64]`), evaluated
 * for one platform with conda-build's rules.
 */

export type SelectorValue = boolean | number | string | SelectorValue[];

/** The default Python version of the selector namespace (`py` is 312). */
export const DEFAULT_PYTHON = '3.12';

/**
 * The names conda-build defines for a platform (its `ns_cfg`): `linux`,
 * `linux64`, `osx`, `win`, `unix`, `x86`, `x86_64`, `aarch64`, `arm64`,
 * `ppc64le`, `py`, `py3k`, `py27`, ... Every other name is unknown, and an
 * unknown name is false.
 */
export function selectorNamespace(platform: string, python = DEFAULT_PYTHON): Record<string, SelectorValue> {
  const [os = '', arch = ''] = platform.split('-', 2);
  const [pyMajor, pyMinor] = python.split('.').map((x) => Number.parseInt(x, 10));
  const py = Number.parseInt(`${pyMajor}${pyMinor}`, 10);
  const ns: Record<string, SelectorValue> = {
    linux: os === 'linux',
    linux32: platform === 'linux-32',
    linux64: platform === 'linux-64',
    arm: platform.startsWith('linux-arm'),
    osx: os === 'osx',
    unix: os === 'linux' || os === 'osx' || os === 'emscripten',
    win: os === 'win',
    win32: platform === 'win-32',
    win64: platform === 'win-64',
    x86: arch === '32' || arch === '64',
    x86_64: arch === '64',
    aarch64: arch === 'aarch64',
    arm64: arch === 'arm64',
    ppc64le: arch === 'ppc64le',
    ppc64: arch === 'ppc64',
    riscv64: arch === 'riscv64',
    s390x: arch === 's390x',
    armv6l: arch === 'armv6l',
    armv7l: arch === 'armv7l',
    target_platform: platform,
    build_platform: platform,
    host_platform: platform,
    subdir: platform,
    py,
    py3k: pyMajor === 3,
    py2k: pyMajor === 2,
    nomkl: false,
    debug: false,
  };
  for (const v of [26, 27, 33, 34, 35, 36, 37, 38, 39, 310, 311, 312, 313]) ns[`py${v}`] = py === v;
  return ns;
}

// ---------------------------------------------------------------------------
// A small evaluator for the Python expressions selectors use: names, numbers,
// strings, `and`/`or`/`not`, comparisons (chained), `in`/`not in`, tuples and
// parentheses. Python's semantics: `True == 1`, an unknown name is False (as
// conda-build replaces it), a non-empty tuple is true.

type Tok = { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'name'; v: string } | { t: 'op'; v: string };

class SelectorSyntaxError extends Error {}

const TRAILING_SPACE = /\s*$/y;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  const re =
    /\s*(?:(\d+(?:\.\d*)?|\.\d+)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|([A-Za-z_][A-Za-z0-9_.]*)|(==|!=|<=|>=|<|>|\(|\)|,))/y;
  let i = 0;
  while (i < src.length) {
    TRAILING_SPACE.lastIndex = i;
    if (TRAILING_SPACE.test(src)) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new SelectorSyntaxError(`unexpected character at ${i}`);
    i = re.lastIndex;
    if (m[1] !== undefined) out.push({ t: 'num', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'str', v: m[2].slice(1, -1) });
    else if (m[3] !== undefined) {
      const w = m[3];
      if (['and', 'or', 'not', 'in', 'is'].includes(w)) out.push({ t: 'op', v: w });
      else out.push({ t: 'name', v: w });
    } else out.push({ t: 'op', v: m[4] });
  }
  return out;
}

function truthy(v: SelectorValue): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

function num(v: SelectorValue): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  return undefined;
}

function equal(a: SelectorValue, b: SelectorValue): boolean {
  const na = num(a);
  const nb = num(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  return a === b;
}

function compare(op: string, a: SelectorValue, b: SelectorValue): boolean {
  switch (op) {
    case '==':
      return equal(a, b);
    case '!=':
      return !equal(a, b);
    case 'in':
    case 'not in': {
      let r: boolean;
      if (typeof b === 'string' && typeof a === 'string') r = b.includes(a);
      else if (Array.isArray(b)) r = b.some((x) => equal(a, x));
      else throw new SelectorSyntaxError(`'in' needs a string or tuple`);
      return op === 'in' ? r : !r;
    }
    case 'is':
      return a === b;
    case 'is not':
      return a !== b;
  }
  const na = num(a);
  const nb = num(b);
  let x: number | string;
  let y: number | string;
  if (na !== undefined && nb !== undefined) {
    x = na;
    y = nb;
  } else if (typeof a === 'string' && typeof b === 'string') {
    x = a;
    y = b;
  } else throw new SelectorSyntaxError(`cannot compare with ${op}`);
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly ns: Record<string, SelectorValue>,
  ) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private isOp(v: string, k = 0): boolean {
    const t = this.toks[this.i + k];
    return t !== undefined && t.t === 'op' && t.v === v;
  }

  parseAll(): SelectorValue {
    const v = this.tuple();
    if (this.i !== this.toks.length) throw new SelectorSyntaxError('trailing tokens');
    return v;
  }
  private tuple(): SelectorValue {
    const first = this.or();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.i++;
      if (this.peek() === undefined || this.isOp(')')) break;
      items.push(this.or());
    }
    return items;
  }
  private or(): SelectorValue {
    let v = this.and();
    while (this.isOp('or')) {
      this.i++;
      const r = this.and();
      v = truthy(v) ? v : r;
    }
    return v;
  }
  private and(): SelectorValue {
    let v = this.not();
    while (this.isOp('and')) {
      this.i++;
      const r = this.not();
      v = truthy(v) ? r : v;
    }
    return v;
  }
  private not(): SelectorValue {
    if (this.isOp('not')) {
      this.i++;
      return !truthy(this.not());
    }
    return this.comparison();
  }
  private comparison(): SelectorValue {
    let left = this.atom();
    let result: boolean | undefined;
    for (;;) {
      let op: string | undefined;
      const t = this.peek();
      if (t && t.t === 'op' && ['==', '!=', '<', '<=', '>', '>=', 'in'].includes(t.v)) {
        op = t.v;
        this.i++;
      } else if (this.isOp('not') && this.isOp('in', 1)) {
        op = 'not in';
        this.i += 2;
      } else if (this.isOp('is')) {
        this.i++;
        op = 'is';
        if (this.isOp('not')) {
          this.i++;
          op = 'is not';
        }
      }
      if (op === undefined) break;
      const right = this.atom();
      const r = compare(op, left, right);
      result = result === undefined ? r : result && r;
      left = right;
    }
    return result === undefined ? left : result;
  }
  private atom(): SelectorValue {
    const t = this.peek();
    if (!t) throw new SelectorSyntaxError('unexpected end');
    this.i++;
    if (t.t === 'num' || t.t === 'str') return t.v;
    if (t.t === 'name') {
      if (t.v === 'True') return true;
      if (t.v === 'False' || t.v === 'None') return false;
      return Object.prototype.hasOwnProperty.call(this.ns, t.v) ? this.ns[t.v] : false;
    }
    if (t.v === '(') {
      if (this.isOp(')')) {
        this.i++;
        return [];
      }
      const v = this.tuple();
      if (!this.isOp(')')) throw new SelectorSyntaxError('missing )');
      this.i++;
      return v;
    }
    throw new SelectorSyntaxError(`unexpected '${t.v}'`);
  }
}

/**
 * Evaluates a selector expression. Returns undefined when the expression is
 * not one this evaluator (or Python) can read.
 */
export function evalSelector(expr: string, ns: Record<string, SelectorValue>): boolean | undefined {
  try {
    return truthy(new Parser(tokenize(expr), ns).parseAll());
  } catch {
    return undefined;
  }
}

/**
 * The names a selector expression reads (`linux`, `py`, ...), or undefined
 * when the expression is not one this evaluator can read.
 */
export function selectorNames(expr: string): string[] | undefined {
  let toks: Tok[];
  try {
    toks = tokenize(expr);
  } catch {
    return undefined;
  }
  const names = toks
    .filter((t) => t.t === 'name' && !['True', 'False', 'None'].includes(t.v))
    .map((t) => t.v as string);
  return [...new Set(names)];
}

/** Selector results by namespace and expression: recipes repeat a few selectors. */
const selectorResults = new WeakMap<Record<string, SelectorValue>, Map<string, boolean | undefined>>();

function evalSelectorCached(expr: string, ns: Record<string, SelectorValue>): boolean | undefined {
  let results = selectorResults.get(ns);
  if (!results) selectorResults.set(ns, (results = new Map()));
  if (results.has(expr)) return results.get(expr);
  const r = evalSelector(expr, ns);
  if (results.size < 10000 && expr.length <= 200) results.set(expr, r);
  return r;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\f' || c === '\v' || c === '\r';

/** A line's selector, split as conda-build's RE_SELECTOR splits it. */
export interface SelectorMatch {
  /** The line before the selector (RE_SELECTOR's group 1). */
  head: string;
  /** The expression between the brackets (group 3). */
  expr: string;
  /** True when the selector sits in a `#` comment (group 2 matched). */
  inComment: boolean;
}

/**
 * conda-build's `RE_SELECTOR.match(line)`, where RE_SELECTOR is
 * `(.+?)\s*(#.*)?\[([^\[\]]+)\](?(2)[^\(\)]*)$`, computed in one pass
 * over the line instead of by backtracking (that regex, run by a
 * backtracking engine, takes seconds on a line of a few kilobytes).
 *
 * What the regex finds, in its order of trials: the smallest group 1 (at
 * least one character) after which, past any whitespace, either
 * - a `#` starts a comment holding, somewhere after it, `[expr]` (no
 *   brackets inside) followed only by characters other than `(` and `)`;
 *   the greedy `#.*` takes the last such `[expr]`; or
 * - `[expr]` ends the line.
 */
export function matchSelector(line: string): SelectorMatch | undefined {
  const n = line.length;
  // The last `[expr]` followed by no parenthesis (for a selector in a comment).
  let lastParen = -1;
  for (let i = n - 1; i >= 0; i--) {
    const c = line[i];
    if (c === '(' || c === ')') {
      lastParen = i;
      break;
    }
  }
  let commentOpen = -1;
  let commentClose = -1;
  for (let r = n - 1; r > lastParen;) {
    if (line[r] !== ']') {
      r--;
      continue;
    }
    // The expression may hold parentheses; only what follows `]` may not.
    let j = r - 1;
    while (j >= 0 && line[j] !== '[' && line[j] !== ']') j--;
    if (j >= 0 && line[j] === '[' && j < r - 1) {
      commentOpen = j;
      commentClose = r;
      break;
    }
    if (j < 0) break;
    r = j; // the next candidate `]` is at or left of j (each character is looked at once)
  }
  // A bare `[expr]` ending the line.
  let bareOpen = -1;
  if (n > 0 && line[n - 1] === ']') {
    let j = n - 2;
    while (j >= 0 && line[j] !== '[' && line[j] !== ']') j--;
    if (j >= 0 && line[j] === '[' && j < n - 2) bareOpen = j;
  }
  // The first position (past group 1's first character) where one applies.
  const firstHash = line.indexOf('#', 1);
  const hashOk = firstHash >= 1 && commentOpen > firstHash;
  const bareOk = bareOpen >= 1;
  if (!hashOk && !bareOk) return undefined;
  const inComment = hashOk && (!bareOk || firstHash < bareOpen);
  const at = inComment ? firstHash : bareOpen;
  let k = at;
  while (k > 1 && isSpace(line[k - 1])) k--;
  return inComment
    ? { head: line.slice(0, k), expr: line.slice(commentOpen + 1, commentClose), inComment }
    : { head: line.slice(0, k), expr: line.slice(bareOpen + 1, n - 1), inComment };
}

/**
 * Applies line selectors as conda-build does: a line that is only a comment
 * becomes empty, a line with a selector is kept (without the selector) only
 * where the selector is true. Line numbers are preserved.
 *
 * Our rule where conda-build would stop with "Invalid selector": a selector
 * written in a comment (`# [...]`) that cannot be evaluated is false; a bare
 * trailing `[...]` that cannot be evaluated is not a selector (the line stays).
 */
export function applySelectors(text: string, ns: Record<string, SelectorValue>): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    if (line.length === 0 || line.trimStart().startsWith('#')) {
      out[i] = '';
      continue;
    }
    if (!line.endsWith(']') && !line.includes('#')) {
      out[i] = line;
      continue;
    }
    const last = line[line.length - 1];
    const trailingQuote = last === "'" || last === '"' ? last : '';
    const m = matchSelector(line);
    if (!m) {
      out[i] = line;
      continue;
    }
    const keep = evalSelectorCached(m.expr, ns);
    if (keep === undefined) out[i] = m.inComment ? '' : line;
    else out[i] = keep ? m.head + trailingQuote : '';
  }
  return out.join('\n') + '\n';
}
