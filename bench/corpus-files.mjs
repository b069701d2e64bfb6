// Finding and listing the public corpus (../shared/corpus, see its README) for
// the bench scripts. src/graph/corpus.spec.ts has its own copy (tests do not
// import bench code).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** NX_CONDA_CORPUS, else the first `shared/corpus` in a folder above the repository; undefined when there is none. */
export function findCorpus() {
  if (process.env.NX_CONDA_CORPUS) return resolve(process.env.NX_CONDA_CORPUS);
  for (let dir = dirname(repo); ; dir = dirname(dir)) {
    const c = join(dir, 'shared', 'corpus');
    if (existsSync(c)) return c;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every meta.yaml below `dir`, as sorted paths relative to it. */
export function corpusMetaYaml(dir) {
  return findMetaYaml(dir, '').sort();
}

function findMetaYaml(dir, rel) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(abs).isDirectory()) out.push(...findMetaYaml(abs, r));
    else if (name === 'meta.yaml') out.push(r);
  }
  return out;
}
