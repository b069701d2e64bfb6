// Benchmark of the inference plugin: `nx show projects`, cold and warm, for
// generated workspaces of recipes, against a no-op plugin making the same
// projects (Nx's own floor), with the peak RSS of the plugin's worker.
// Two workspaces per size:
// - synthetic: generated recipes of a realistic shape;
// - corpus: the public corpus (../shared/corpus, 1,601 real meta.yaml files)
//   replicated to the size, each copy's packages renamed and about a fifth
//   of its requirements rewired to an earlier copy's packages.
// Usage: node bench/run.mjs [sizes...] (default 10000)
// Env: BENCH_RUNS (default 3), BENCH_LIB (an already built plugin folder),
// BENCH_KEEP (keep the workspaces), BENCH_GENERATE_ONLY (only write them),
// BENCH_WORKSPACES (default "synthetic,corpus"), NX_CONDA_CORPUS,
// BENCH_BASELINE (another built plugin folder, e.g. an older version, measured
// in the same runs, interleaved, for a before/after on the same machine load).
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusMetaYaml, findCorpus } from './corpus-files.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [10000];
const WORKSPACES = (process.env.BENCH_WORKSPACES ?? 'synthetic,corpus').split(',').filter(Boolean);
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
  execFileSync(
    process.execPath,
    [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', join(out, 'lib')],
    {
      cwd: repo,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  copyFileSync(join(repo, 'package.json'), join(out, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
}
const pluginDir = buildPlugin();
const pluginEntry = join(pluginDir, 'lib', 'index.js');
const noopEntry = join(repo, 'bench', 'noop-plugin.js');
// The same, with a createDependencies returning no edges: what Nx itself
// costs a plugin that has a createDependencies (it sends it every project and
// the file map). Reported beside the goal's floor, not instead of it.
const noopDepsEntry = join(repo, 'bench', 'noop-plugin-deps.js');
const nxBin = join(repo, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');

// Deterministic pseudo-random numbers.
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
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
      lines.push(
        `  - name: ${o}`,
        '    requirements:',
        '      run:',
        '        - {{ pin_subpackage(name, exact=True) }}',
      );
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

/**
 * The public corpus replicated to n recipes: copy c (c >= 1) of a recipe
 * lives in copy-<c>/<its folder>, every package name the corpus provides is
 * renamed in its text (name_c<c>: an underscore, so that a name used as a
 * Jinja variable stays one), and about a fifth of the references are
 * rewired to a random earlier copy's package instead.
 */
function generateCorpus(dir, n) {
  const corpus = findCorpus();
  if (!corpus) throw new Error('no shared/corpus found (set NX_CONDA_CORPUS)');
  const recipesDir = join(corpus, 'conda-recipes');
  const { readRecipe } = createRequire(pluginEntry)(join(pluginDir, 'lib', 'recipes', 'index.js'));
  const files = corpusMetaYaml(recipesDir);
  const texts = files.map((f) => readFileSync(join(recipesDir, f), 'utf8'));
  const names = new Set();
  files.forEach((f, i) => {
    try {
      for (const name of readRecipe(f, texts[i], 'linux-64').names) names.add(name);
    } catch {
      // the four broken recipes stay broken in every copy
    }
  });
  const alternation = [...names]
    .sort((a, b) => b.length - a.length)
    .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(`(?<![A-Za-z0-9_.-])(${alternation.join('|')})(?![A-Za-z0-9_-])`, 'gi');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true }));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  seed = 42;
  let count = 0;
  for (let c = 0; count < n; c++) {
    for (let i = 0; i < files.length && count < n; i++, count++) {
      const text =
        c === 0 ? texts[i] : texts[i].replace(re, (m) => `${m}_c${rand() < 0.2 ? Math.floor(rand() * c) : c}`);
      const folder = join(dir, c === 0 ? '' : `copy-${c}`, dirname(files[i]));
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'meta.yaml'), text);
    }
  }
  return count;
}

function setPlugin(dir, entry) {
  writeFileSync(join(dir, 'nx.json'), JSON.stringify({ plugins: [{ plugin: entry, options: {} }] }, null, 2));
}

/** Peak RSS (VmHWM, MB) of the live plugin workers running `entry`. */
function workerPeaks(entry, peaks) {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('plugin-worker') || !cmd.includes(entry)) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, Number(hwm[1]) / 1024));
    } catch {
      // gone
    }
  }
}

async function runNx(dir, { cold, entry }) {
  if (cold) {
    rmSync(join(dir, '.nx'), { recursive: true, force: true });
  }
  const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' };
  // Output to a file: Nx may exit before a pipe is drained, which cut the
  // list short (and made the project count look wrong) on some runs.
  const outFile = join(dir, '.bench-out.txt');
  const out = openSync(outFile, 'w');
  const peaks = new Map();
  const t = process.hrtime.bigint();
  const child = spawn(process.execPath, [nxBin, 'show', 'projects'], { cwd: dir, env, stdio: ['ignore', out, 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const poll = setInterval(() => workerPeaks(entry, peaks), 100);
  const status = await new Promise((res) => child.on('close', (code) => res(code)));
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  clearInterval(poll);
  closeSync(out);
  const stdout = readFileSync(outFile, 'utf8');
  if (status !== 0) throw new Error(`nx show projects failed in ${dir}:\n${stderr}\n${stdout}`);
  return { secs, projects: stdout.trim().split('\n').filter(Boolean).length, rss: Math.max(0, ...peaks.values()) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Floor and plugin runs alternate, so that a change of machine load during
// the run weighs on both alike.
async function measureBoth(dir, entries) {
  const res = entries.map(() => ({ cold: [], warm: [], rss: [], projects: 0 }));
  for (let i = 0; i < RUNS; i++) {
    for (const [k, entry] of entries.entries()) {
      setPlugin(dir, entry);
      const c = await runNx(dir, { cold: true, entry });
      res[k].cold.push(c.secs);
      res[k].rss.push(c.rss);
      res[k].projects = c.projects;
      const w = await runNx(dir, { cold: false, entry });
      res[k].warm.push(w.secs);
      res[k].rss.push(w.rss);
    }
  }
  return res.map((r) => ({
    cold: median(r.cold),
    warm: median(r.warm),
    coldMin: Math.min(...r.cold),
    warmMin: Math.min(...r.warm),
    coldMax: Math.max(...r.cold),
    warmMax: Math.max(...r.warm),
    rss: Math.max(...r.rss),
    projects: r.projects,
  }));
}

const rows = [];
for (const n of SIZES) {
  for (const kind of WORKSPACES) {
    const dir = join(tmpdir(), `nx-conda-bench-${kind}-${n}`);
    console.log(`generating ${n} ${kind} recipes in ${dir}...`);
    const count = kind === 'corpus' ? generateCorpus(dir, n) : generate(dir, n);
    if (process.env.BENCH_GENERATE_ONLY) continue; // for profiling by hand
    console.log(`measuring (${RUNS} runs each, median)...`);
    const baseline = process.env.BENCH_BASELINE
      ? join(resolve(process.env.BENCH_BASELINE), 'lib', 'index.js')
      : undefined;
    const [floor, floorDeps, plugin, base] = await measureBoth(dir, [
      noopEntry,
      noopDepsEntry,
      pluginEntry,
      ...(baseline ? [baseline] : []),
    ]);
    if (floor.projects !== count)
      console.warn(`warning: expected ${count} projects from the floor, got ${floor.projects}`);
    if (plugin.projects !== count)
      console.log(
        `note: the plugin made ${plugin.projects} projects of ${count} recipe folders (broken recipes are skipped)`,
      );
    rows.push({ kind, n: count, floor, floorDeps, plugin });
    // Each workspace's figures as soon as they are measured (a long run on a busy machine may be stopped).
    console.log(JSON.stringify({ kind, n: count, floor, floorDeps, plugin, baseline: base }));
    if (base) rows.push({ kind: `${kind} (baseline)`, n: count, floor, floorDeps, plugin: base });
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

if (rows.length === 0) process.exit(0);
const f = (x) => x.toFixed(2);
console.log(
  `\n\`nx show projects\` (seconds, median [min, max] of ${RUNS}; NX_DAEMON=false; cold = workspace data cleared); peak RSS of the plugin worker (MB)\n`,
);
console.log(
  '| workspace | recipes | floor cold | plugin cold | cold ratio (goal ≤ 1.3) | floor warm | plugin warm | warm ratio (goal ≤ 1.1) | floor+deps warm | warm ratio to it | plugin worker peak RSS |',
);
console.log(
  '|---|--------:|-----------:|------------:|-------------------------:|-----------:|------------:|-------------------------:|----------------:|-----------------:|------:|',
);
const m = (r, k) => `${f(r[k])} [${f(r[`${k}Min`])}, ${f(r[`${k}Max`])}]`;
for (const r of rows) {
  console.log(
    `| ${r.kind} | ${r.n} | ${m(r.floor, 'cold')} | ${m(r.plugin, 'cold')} | ${f(r.plugin.cold / r.floor.cold)} (min ${f(r.plugin.coldMin / r.floor.coldMin)}) | ${m(r.floor, 'warm')} | ${m(r.plugin, 'warm')} | ` +
      `${f(r.plugin.warm / r.floor.warm)} (min ${f(r.plugin.warmMin / r.floor.warmMin)}) | ${m(r.floorDeps, 'warm')} | ${f(r.plugin.warm / r.floorDeps.warm)} | ${r.plugin.rss.toFixed(0)} (floor ${r.floor.rss.toFixed(0)}) |`,
  );
}
