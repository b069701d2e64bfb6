// Finding and listing the public corpus (../shared/corpus, see its README) for
// the bench scripts, and the npm files of a bench workspace. src/graph/corpus.spec.ts has its own copy (tests do not
// import bench code).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * package.json and a package-lock.json naming nx and nx-conda, as a user's
 * workspace that installed them with npm has: Nx then hashes nx-conda's
 * lockfile entry into its tasks, so the plugin adds no version tag to each
 * project (src/graph/version-hash.ts). Every plugin of a bench sees the same files.
 */
export function writeNpmFiles(dir, name) {
  const devDependencies = { nx: '24.0.6', 'nx-conda': '0.1.0' };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, devDependencies }));
  const packages = { '': { name, devDependencies } };
  for (const [pkg, version] of Object.entries(devDependencies))
    packages[`node_modules/${pkg}`] = {
      version,
      resolved: `file:${pkg}-${version}.tgz`,
      integrity: `sha512-${Buffer.from(`${pkg}@${version}`).toString('base64')}`,
      dev: true,
    };
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}
