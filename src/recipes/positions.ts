/**
 * Where each key of a recipe's YAML is: a parse of the same text the reader
 * loads (after Jinja and selectors for meta.yaml), kept with positions, for
 * messages that say `file:line` and for keys written twice in one mapping
 * (which both builders accept silently: the last one wins).
 */
import { FAILSAFE_SCHEMA, load as loadJsYaml } from 'js-yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export type KeyPath = readonly (string | number)[];

/** A key written a second time in the same mapping. */
export interface DuplicateKey {
  /** Dotted path of the key, e.g. `build.number`. */
  path: string;
  /** 1-based line of the repeated key. */
  line: number;
  /** 1-based line of its first occurrence. */
  firstLine: number;
}

export interface PositionIndex {
  /** 1-based line of the key (or list item) at `path`, or of its nearest ancestor that has one. */
  lineOf(path: KeyPath): number | undefined;
  duplicates: DuplicateKey[];
}

/** Bounds: a real recipe has a few hundred nodes. */
const MAX_NODES = 50_000;
const MAX_DEPTH = 64;

const SEP = '\u0000';

/**
 * False when `text` surely has no key written twice: js-yaml (about 20 times
 * faster than the positioned parse) refuses duplicates when not in JSON mode.
 */
function mayHaveDuplicates(text: string): boolean {
  try {
    loadJsYaml(text, { schema: FAILSAFE_SCHEMA, json: false });
    return false;
  } catch {
    return true;
  }
}

/**
 * Positions of `text`'s keys, computed on first use: the line of a top-level
 * key from the text (a block mapping's keys start in column 0), anything
 * deeper, and duplicates, from a full parse with positions, made only when
 * asked (it costs most of a lint). Never throws: text the parser cannot read
 * has no positions (the reader reports the error itself).
 */
export function positionsOf(text: string, version: '1.1' | '1.2'): PositionIndex {
  let full: PositionIndex | undefined;
  const parsed = () => (full ??= parsePositions(text, version));
  let topLevel: Map<string, number> | undefined;
  // Flow-style or indented top-level mappings are left to the full parse.
  const topLevelComplete = !/^[{\s]*\{/.test(text) && !/^ +[A-Za-z_][\w.-]*\s*:/.test(text);
  const topLine = (key: string) => {
    if (!topLevel) {
      topLevel = new Map();
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const m = /^([A-Za-z_][\w.-]*)\s*:(\s|$)/.exec(lines[i]);
        if (m) topLevel.set(m[1], i + 1);
      }
    }
    return topLevel.get(key);
  };
  let duplicates: DuplicateKey[] | undefined;
  return {
    get duplicates() {
      return (duplicates ??= mayHaveDuplicates(text) ? parsed().duplicates : []);
    },
    lineOf(path: KeyPath) {
      if (path.length === 0) return undefined;
      const top = topLine(String(path[0]));
      // A key absent from the text's top level has no line, nor anything under it.
      if (path.length === 1 || top === undefined) return top ?? (topLevelComplete ? undefined : parsed().lineOf(path));
      return parsed().lineOf(path);
    },
  };
}

function parsePositions(text: string, version: '1.1' | '1.2'): PositionIndex {
  const lines = new Map<string, number>();
  const duplicates: DuplicateKey[] = [];
  const counter = new LineCounter();
  let nodes = 0;
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : counter.linePos(offset).line);
  const walk = (node: Node | null | undefined, path: string[], depth: number) => {
    if (!node || depth > MAX_DEPTH || ++nodes > MAX_NODES) return;
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        const line = lineAt((pair.key as Node).range?.[0]);
        if (line === undefined) continue;
        const childPath = [...path, key];
        const first = seen.get(key);
        if (first !== undefined) duplicates.push({ path: childPath.join('.'), line, firstLine: first });
        else seen.set(key, line);
        lines.set(childPath.join(SEP), line);
        walk(pair.value as Node | null, childPath, depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const childPath = [...path, String(i)];
        const line = lineAt((item as Node | null)?.range?.[0]);
        if (line !== undefined) lines.set(childPath.join(SEP), line);
        walk(item as Node | null, childPath, depth + 1);
      });
    }
  };
  try {
    const doc = parseDocument(text, {
      version,
      lineCounter: counter,
      uniqueKeys: false,
      strict: false,
      logLevel: 'silent',
    });
    if (doc.errors.length === 0) walk(doc.contents as Node | null, [], 0);
  } catch {
    // no positions
  }
  return {
    duplicates,
    lineOf(path: KeyPath) {
      for (let n = path.length; n > 0; n--) {
        const line = lines.get(path.slice(0, n).map(String).join(SEP));
        if (line !== undefined) return line;
      }
      return undefined;
    },
  };
}
