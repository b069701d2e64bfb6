/**
 * Imports run downward only, by the folder order of DESIGN.md's Layout:
 * generators and executors, then graph / image / channel / builders /
 * container, then recipes / text, then core (which imports nothing of ours).
 * The plugin entry (src/index.ts) is on top: nothing imports it. One
 * executor or generator never imports another's folder: what two of them
 * share lives in a lower layer (or beside them, as executors/run-executor.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Each top folder of src/ and its layer: a file may import its own layer or a lower one. */
const LAYERS: Record<string, number> = {
  core: 0,
  recipes: 1,
  text: 1,
  graph: 2,
  image: 2,
  channel: 2,
  builders: 2,
  container: 2,
  lint: 2,
  upstream: 2,
  executors: 3,
  generators: 3,
  'index.ts': 4,
};
/** Folders whose subfolders are siblings that must not import each other. */
const SIBLING_FOLDERS = ['executors', 'generators'];

const src = __dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The relative module names a file imports (import, export ... from, require, import()). */
export function relativeImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(
    /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|^import\s+)'(\.{1,2}\/[^']*|\.{1,2})'/gm,
  )) {
    found.push(m[1]);
  }
  return found;
}

/** `path`'s place under src/: its top folder (or file) and, below executors/ and generators/, its subfolder. */
function placeOf(path: string): { top: string; sub?: string } {
  const parts = relative(src, path).split(/[\\/]/);
  return { top: parts[0], sub: parts.length > 2 ? parts[1] : undefined };
}

function upwardImports(): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = placeOf(file);
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const to = placeOf(target);
      const where = `${relative(src, file)} imports '${spec}'`;
      if (!(from.top in LAYERS)) problems.push(`${where}: ${from.top} is not a folder of the layout`);
      else if (!(to.top in LAYERS)) problems.push(`${where}: ${to.top} is not a folder of the layout`);
      else if (LAYERS[to.top] > LAYERS[from.top]) problems.push(`${where}: upward (${from.top} -> ${to.top})`);
      else if (from.top === to.top && SIBLING_FOLDERS.includes(from.top) && from.sub && to.sub && from.sub !== to.sub)
        problems.push(`${where}: ${from.top}/${from.sub} -> ${to.top}/${to.sub}`);
    }
  }
  return problems;
}

describe('layers', () => {
  it('no source file imports a higher layer or a sibling executor or generator', () => {
    expect(upwardImports()).toEqual([]);
  });

  it('has every top folder of src/ in the layout', () => {
    const tops = readdirSync(src).filter((name) => !/\.spec\.ts$/.test(name));
    expect(tops.filter((name) => !(name in LAYERS))).toEqual([]);
  });

  it('sees every form of import', () => {
    const text = [
      "import { a } from '../core/a';",
      "export { b } from './b';",
      "import type { C } from '../../c';",
      "const d = require('../d');",
      "const e = await import('./e');",
      "import './f';",
      "import { g } from 'node:fs';",
    ].join('\n');
    expect(relativeImports(text)).toEqual(['../core/a', './b', '../../c', '../d', './e', './f']);
  });
});
