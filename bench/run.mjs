// Benchmark of the inference plugin: `nx show projects`, cold and warm, for
// generated workspaces of realistic recipes, against a no-op plugin making the
// same projects (Nx's own floor). Usage: node bench/run.mjs [sizes...]
// Env: BENCH_RUNS (default 3), BENCH_LIB (an already built plugin folder),
// BENCH_KEEP (keep the workspaces), BENCH_GENERATE_ONLY (only write them).
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [1000, 10000];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

// The plugin is built into its own folder (never lib/, which e2e runs may be
// using at the same time), unless BENCH_LIB points at an already built one
// (a folder with lib/index.js, package.json and node_modules).
function buildPlugin() {
  if (process.env.BENCH_LIB) return resolve(process.env.BENCH_LIB);
  const out = join(tmpdir(), 'nx-conda-bench-plugin');
  console.log(`building the plugin into ${out}...`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(out, 'lib')], {
    cwd: repo,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  copyFileSync(join(repo, 'package.json'), join(out, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
}
const pluginEntry = join(buildPlugin(), 'lib', 'index.js');
const noopEntry = join(repo, 'bench', 'noop-plugin.js');
// The same, with a createDependencies returning no edges: what Nx itself
// costs a plugin that has a createDependencies (it sends it every project and
// the file map). Reported beside the goal's floor, not instead of it.
const noopDepsEntry = join(repo, 'bench', 'noop-plugin-deps.js');
const nxBin = join(repo, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');

// Deterministic pseudo-random numbers.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (arr) => arr[Math.floor(rand() * arr.length)];

const EXTERNAL = ['python', 'numpy', 'zlib', 'openssl', 'libcurl', 'r-base', 'perl', 'xz', 'bzip2', 'htslib'];

function metaYaml(name, version, deps, outputs) {
  const lines = [
    `{% set name = "${name}" %}`,
    `{% set version = "${version}" %}`,
    `{% set sha256 = "${'ab'.repeat(32)}" %}`,
    '',
    'package:',
    '  name: {{ name|lower }}',
    '  version: {{ version }}',
    '',
    'source:',
    '  url: https://example.org/{{ name }}/{{ name }}-{{ version }}.tar.gz',
    '  sha256: {{ sha256 }}',
    '  patches:',
    '    - fix-build.patch  # [osx]',
    '',
    'build:',
    '  number: 0',
    '  skip: true  # [win]',
    '  run_exports:',
    "    - {{ pin_subpackage(name, max_pin='x.x') }}",
    '',
    'requirements:',
    '  build:',
    "    - {{ compiler('c') }}",
    "    - {{ stdlib('c') }}",
    '    - make',
    '    - cmake >=3.18  # [not win]',
    '  host:',
    ...deps.map((d, i) => `    - ${d}${i % 3 === 0 ? ' >=1.0' : i % 3 === 1 ? ' 1.2.*' : ''}`),
    `    - ${pick(EXTERNAL)}`,
    '    - libgcc-ng  # [linux and not aarch64]',
    '  run:',
    ...deps.map((d) => `    - ${d}`),
    `    - ${pick(EXTERNAL)}  # [unix]`,
  ];
  if (outputs.length) {
    lines.push('', 'outputs:');
    for (const o of outputs) {
      lines.push(`  - name: ${o}`, '    requirements:', '      run:', "        - {{ pin_subpackage(name, exact=True) }}");
    }
  }
  lines.push(
    '',
    'test:',
    '  commands:',
    '    - {{ name }} --version  # [unix]',
    '',
    'about:',
    '  home: https://example.org/{{ name }}',
    '  license: MIT',
    '  summary: A generated recipe for the nx-conda benchmark.',
    '  description: |',
    '    Generated text that stands in for a real description,',
    '    several lines long, as real recipes have.',
    '',
    'extra:',
    '  recipe-maintainers:',
    '    - someone',
    '',
  );
  return lines.join('\n');
}

function recipeYaml(name, version, deps) {
  return [
    'context:',
    `  name: ${name}`,
    `  version: "${version}"`,
    '',
    'package:',
    '  name: ${{ name }}',
    '  version: ${{ version }}',
    '',
    'build:',
    '  number: 0',
    '',
    'requirements:',
    '  build:',
    "    - ${{ compiler('c') }}",
    '    - if: unix',
    '      then: make',
    '  host:',
    ...deps.map((d) => `    - ${d} >=1`),
    '  run:',
    ...deps.map((d) => `    - ${d}`),
    '',
    'about:',
    '  license: MIT',
    '',
  ].join('\n');
}

function generate(dir, n) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true }));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'conda_build_config.yaml'), 'python:\n  - 3.12\n');
  seed = 42;
  const names = [];
  let count = 0;
  for (let i = 0; count < n; i++) {
    const name = `pkg-${String(i).padStart(5, '0')}`;
    const ndeps = names.length ? Math.floor(rand() * 5) : 0;
    const deps = [...new Set(Array.from({ length: ndeps }, () => pick(names.slice(-500))))];
    const version = `${1 + Math.floor(rand() * 3)}.${Math.floor(rand() * 20)}`;
    const folder = join(dir, 'recipes', name);
    mkdirSync(folder, { recursive: true });
    if (rand() < 0.05) writeFileSync(join(folder, 'recipe.yaml'), recipeYaml(name, version, deps));
    else writeFileSync(join(folder, 'meta.yaml'), metaYaml(name, version, deps, rand() < 0.1 ? [`lib${name}`] : []));
    writeFileSync(join(folder, 'build.sh'), '#!/bin/bash\n./configure --prefix=$PREFIX\nmake install\n');
    count++;
    names.push(name);
    if (count < n && rand() < 0.03) {
      // an old version kept beside the current one
      const old = join(folder, '0.9');
      mkdirSync(old, { recursive: true });
      writeFileSync(join(old, 'meta.yaml'), metaYaml(name, '0.9', deps.slice(0, 1), []));
      count++;
    }
  }
  return count;
}

function setPlugin(dir, entry) {
  writeFileSync(join(dir, 'nx.json'), JSON.stringify({ plugins: [{ plugin: entry, options: {} }] }, null, 2));
}

function runNx(dir, { cold }) {
  if (cold) {
    rmSync(join(dir, '.nx'), { recursive: true, force: true });
  }
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' };
  // Output to a file: Nx may exit before a pipe is drained, which cut the
  // list short (and made the project count look wrong) on some runs.
  const outFile = join(dir, '.bench-out.txt');
  const out = openSync(outFile, 'w');
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [nxBin, 'show', 'projects'], { cwd: dir, env, stdio: ['ignore', out, 'pipe'], encoding: 'utf8' });
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  closeSync(out);
  const stdout = readFileSync(outFile, 'utf8');
  if (r.status !== 0) throw new Error(`nx show projects failed in ${dir}:\n${r.stderr}\n${stdout}`);
  return { secs, projects: stdout.trim().split('\n').filter(Boolean).length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Floor and plugin runs alternate, so that a change of machine load during
// the run weighs on both alike.
function measureBoth(dir, entries) {
  const res = entries.map(() => ({ cold: [], warm: [], projects: 0 }));
  for (let i = 0; i < RUNS; i++) {
    entries.forEach((entry, k) => {
      setPlugin(dir, entry);
      const c = runNx(dir, { cold: true });
      res[k].cold.push(c.secs);
      res[k].projects = c.projects;
      res[k].warm.push(runNx(dir, { cold: false }).secs);
    });
  }
  return res.map((r) => ({
    cold: median(r.cold),
    warm: median(r.warm),
    coldMin: Math.min(...r.cold),
    warmMin: Math.min(...r.warm),
    projects: r.projects,
  }));
}

const rows = [];
for (const n of SIZES) {
  const dir = join(tmpdir(), `nx-conda-bench-${n}`);
  console.log(`generating ${n} recipes in ${dir}...`);
  const count = generate(dir, n);
  if (process.env.BENCH_GENERATE_ONLY) continue; // for profiling by hand
  console.log(`measuring (${RUNS} runs each, median)...`);
  const [floor, floorDeps, plugin] = measureBoth(dir, [noopEntry, noopDepsEntry, pluginEntry]);
  if (plugin.projects !== count || floor.projects !== count) {
    console.warn(`warning: expected ${count} projects, got ${plugin.projects} (plugin) and ${floor.projects} (floor)`);
  }
  rows.push({ n: count, floor, floorDeps, plugin });
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}

if (rows.length === 0) process.exit(0);
const f = (x) => x.toFixed(2);
console.log('\n`nx show projects` (seconds, median [min]; NX_DAEMON=false; cold = workspace data cleared)\n');
console.log('| recipes | floor cold | plugin cold | cold ratio (goal ≤ 1.50) | floor warm | plugin warm | warm ratio (goal ≤ 1.15) | floor+deps warm | warm ratio to it |');
console.log('|--------:|-----------:|------------:|-------------------------:|-----------:|------------:|-------------------------:|----------------:|-----------------:|');
const m = (r, k) => `${f(r[k])} [${f(r[`${k}Min`])}]`;
for (const r of rows) {
  console.log(
    `| ${r.n} | ${m(r.floor, 'cold')} | ${m(r.plugin, 'cold')} | ${f(r.plugin.cold / r.floor.cold)} | ${m(r.floor, 'warm')} | ${m(r.plugin, 'warm')} | ` +
      `${f(r.plugin.warm / r.floor.warm)} (min ${f(r.plugin.warmMin / r.floor.warmMin)}) | ${m(r.floorDeps, 'warm')} | ${f(r.plugin.warm / r.floorDeps.warm)} |`,
  );
}
