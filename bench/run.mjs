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
// in the same runs, interleaved, for a before/after on the same machine load),
// BENCH_REPLAY=0 (skip the replay plugin), BENCH_DOCS=0 (do not write docs/benchmarks.md).
// BENCH_DAEMON=0 (skip the runs with the Nx daemon), BENCH_PLUGIN_OPTIONS (JSON).
// BENCH_PLATFORMS=linux-aarch64: one recipe in ten of the corpus workspace lists that platform in
// extra: additional-platforms (as in bioconda), and the plugin is measured a second time with
// "platforms": [<platform>, linux-64] beside the same options (row "<kind> (two platforms)").
// Floors: bench/bare-plugin.js (the goal's floor: the plugin's projects and
// edges, one `command: true` target each, no metadata).
// bench/replay-plugin.js returns what the plugin returned (projects and edges,
// dumped by calling it in this process) without reading a recipe: plugin minus
// replay is the plugin's own reading, replay minus bare is what Nx costs for
// our targets and edges. Every run has NX_PERF_LOGGING: Nx's marks (the
// plugin's createNodes and createDependencies as the host sees them, the
// merge of project configurations, the cache write) and the plugin's own
// timings in its worker (NX_CONDA_GRAPH_STATS) make the breakdown table.
// Writes its section of docs/benchmarks.md (between the show-projects markers).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusMetaYaml, findCorpus, writeNpmFiles } from './corpus-files.mjs';

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
  // As `npm run build` and the packed tarball: executors.json and the schemas
  // beside the code, so that Nx finds the executors (see benchWorkspaceModules).
  for (const f of ['package.json', 'executors.json', 'generators.json']) copyFileSync(join(repo, f), join(out, f));
  symlinkSync(join(repo, 'src'), join(out, 'src'), 'dir');
  execFileSync(process.execPath, [join(repo, 'scripts', 'copy-assets.mjs')], { cwd: out, stdio: 'inherit' });
  rmSync(join(out, 'src'));
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'), 'dir');
  return out;
}

/**
 * The bench workspace's node_modules: the repository's packages and nx-conda
 * itself (the built plugin), as in a user's workspace. Nx looks up the
 * executor of every target while it normalizes the graph; a lookup that
 * fails is not cached and costs a module resolution per target (about 0.9 s
 * per 1,000 projects here), which no installed plugin pays.
 */
function benchWorkspaceModules(dir) {
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const e of readdirSync(join(repo, 'node_modules'))) {
    if (e === 'nx-conda' || e.startsWith('.')) continue;
    symlinkSync(join(repo, 'node_modules', e), join(modules, e), 'dir');
  }
  symlinkSync(pluginDir, join(modules, 'nx-conda'), 'dir');
}
const pluginDir = buildPlugin();
const pluginEntry = join(pluginDir, 'lib', 'index.js');
// Every plugin is named in nx.json by a package name, as in a user's
// workspace: nx-conda (node_modules/nx-conda is the built plugin, see
// benchWorkspaceModules), the floors by a file of the package
// node_modules/nx-conda-bench (bench/*-plugin.js copied there). Not by an
// absolute path: Nx writes the plugin's name into the graph's source maps once
// per configuration property, and a long path made the cache write of a
// 10,000-recipe graph much larger than a user's. Not by a path relative to
// the workspace either: for such a local plugin Nx first computes the
// default plugins' projects (a second pass, about 1 s here).
// Each floor is a package of its own with a name as short as nx-conda's:
// Nx writes a plugin's name into the graph's source maps once per
// configuration property, so a long name would make a floor's cache larger.
const BENCH_PLUGINS = { 'nx-bare': 'bare-plugin.js', 'nx-replay': 'replay-plugin.js' };
// The plugin's options: a bioconda-like workspace (the builder image of init, upstream channels, skipExisting).
const PLUGIN_OPTIONS = JSON.parse(
  process.env.BENCH_PLUGIN_OPTIONS ??
    JSON.stringify({
      imageProject: 'builder-image',
      channels: ['conda-forge', 'bioconda'],
      skipExisting: true,
    }),
);
// The bench workspace's nx.json besides the plugin: what `nx add nx-conda`
// writes (namedInputs: default holds condaGlobals), for every plugin alike.
const NAMED_INPUTS = (() => {
  const { recipeGlobalsDefinition } = createRequire(pluginEntry)(join(pluginDir, 'lib', 'graph', 'targets.js'));
  return {
    default: ['{projectRoot}/**/*', 'condaGlobals'],
    condaGlobals: recipeGlobalsDefinition(PLUGIN_OPTIONS.imageProject !== undefined),
  };
})();
const PLUGIN = { label: 'nx-conda', name: 'nx-conda', options: PLUGIN_OPTIONS };
const EXTRA_PLATFORM = process.env.BENCH_PLATFORMS;
const TWO_PLATFORMS = {
  label: 'two platforms',
  name: 'nx-conda',
  options: { ...PLUGIN_OPTIONS, platforms: ['linux-64', EXTRA_PLATFORM] },
};
// The bare floor: the plugin's projects and edges (replayed from its dump), one `command: true` target each.
const BARE = { label: 'bare floor', name: 'nx-bare' };
const REPLAY = process.env.BENCH_REPLAY !== '0';
// Variants of the plugin's own result, replayed, to decide what to cut: the
// same without metadata.help and descriptions; the same with every
// per-project-identical field of a target moved to nx.json's targetDefaults
// (keyed by executor), which Nx merges back into each target.
/** BENCH_DAEMON=0 leaves out the runs with the Nx daemon. */
const DAEMON = process.env.BENCH_DAEMON !== '0';
/** The recipe edited for the daemon runs (set per workspace). */
let DAEMON_EDIT_FILE = '';
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
  writeNpmFiles(dir, 'bench');
  benchWorkspaceModules(dir);
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
  writeNpmFiles(dir, 'bench');
  benchWorkspaceModules(dir);
  seed = 42;
  let count = 0;
  for (let c = 0; count < n; c++) {
    for (let i = 0; i < files.length && count < n; i++, count++) {
      let text = c === 0 ? texts[i] : texts[i].replace(re, (m) => `${m}_c${rand() < 0.2 ? Math.floor(rand() * c) : c}`);
      if (EXTRA_PLATFORM && count % 10 === 3 && !text.includes('additional-platforms'))
        text += `\nextra:\n  additional-platforms:\n    - ${EXTRA_PLATFORM}\n`;
      const folder = join(dir, c === 0 ? '' : `copy-${c}`, dirname(files[i]));
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'meta.yaml'), text);
    }
  }
  return count;
}

function setPlugin(dir, { name, options = {}, nxJson = {} }) {
  writeFileSync(
    join(dir, 'nx.json'),
    JSON.stringify({ plugins: [{ plugin: name, options }], namedInputs: NAMED_INPUTS, ...nxJson }, null, 2),
  );
}

function copyBenchPlugins(dir) {
  for (const [name, file] of Object.entries(BENCH_PLUGINS)) {
    const pkg = join(dir, 'node_modules', name);
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, version: '0.0.0', private: true, main: file }));
    copyFileSync(join(repo, 'bench', file), join(pkg, file));
  }
}

/** The files Nx would give the plugin's createNodes (its glob), workspace-relative. */
function nodeFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.nx') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^(meta\.yaml|recipe\.yaml|project\.json|package\.json)$/.test(e.name)) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Calls the built plugin in this process, as Nx would, and writes what it
 * returns (projects and edges) for the replay plugin. Returns sizes: the
 * serialized createNodes result per project and per target name, the edges.
 */
async function dumpPlugin(dir) {
  const plugin = createRequire(pluginEntry)(pluginEntry);
  const files = nodeFiles(dir);
  const context = { workspaceRoot: dir, nxJsonConfiguration: {}, configFiles: files };
  const [, createNodes] = plugin.createNodesV2 ?? plugin.createNodes;
  const prevStats = process.env.NX_CONDA_GRAPH_STATS;
  delete process.env.NX_CONDA_GRAPH_STATS;
  const warnings = console.warn;
  console.warn = () => {};
  let nodes, edges;
  try {
    nodes = await createNodes(files, PLUGIN_OPTIONS, {
      ...context,
      nxJsonConfiguration: { namedInputs: NAMED_INPUTS },
    });
    const projects = {};
    for (const [, r] of nodes) for (const [root, p] of Object.entries(r.projects)) projects[p.name] = { ...p, root };
    edges = await plugin.createDependencies(PLUGIN_OPTIONS, {
      ...context,
      projects,
      fileMap: { projectFileMap: {}, nonProjectFiles: [] },
    });
  } finally {
    console.warn = warnings;
    if (prevStats !== undefined) process.env.NX_CONDA_GRAPH_STATS = prevStats;
  }
  rmSync(join(dir, '.nx'), { recursive: true, force: true });
  const file = join(dir, '.bench-dump.json');
  const text = JSON.stringify({ nodes, edges });
  writeFileSync(file, text);
  const byTarget = new Map();
  let projectBytes = 0;
  let count = 0;
  for (const [, r] of nodes) {
    for (const p of Object.values(r.projects)) {
      count++;
      projectBytes += JSON.stringify(p).length;
      for (const [name, t] of Object.entries(p.targets ?? {}))
        byTarget.set(name, (byTarget.get(name) ?? 0) + JSON.stringify(t).length);
    }
  }
  return {
    file,
    projects: count,
    edges: edges.length,
    bytesPerProject: Math.round(projectBytes / count),
    bytesPerTarget: Object.fromEntries([...byTarget].map(([k, v]) => [k, Math.round(v / count)])),
    edgeBytes: JSON.stringify(edges).length,
    dumpBytes: text.length,
    // A recipe the daemon runs edit: the first project's recipe file.
    editFile: nodes[0][0],
  };
}

/** Peak RSS (VmHWM, MB) of the live plugin workers running the plugin named `name`. */
function workerPeaks(name, peaks) {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!args.some((a) => a.endsWith('plugin-worker.js')) || !args.includes(name)) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, Number(hwm[1]) / 1024));
    } catch {
      // gone
    }
  }
}

async function runNx(dir, { cold, name, daemon = false }) {
  if (cold) {
    rmSync(join(dir, '.nx'), { recursive: true, force: true });
  }
  const env = {
    ...process.env,
    NX_DAEMON: daemon ? 'true' : 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    // Nx starts no daemon under CI.
    CI: daemon ? 'false' : 'true',
    NX_PERF_LOGGING: 'true',
    NX_CONDA_GRAPH_STATS: 'true',
    FORCE_COLOR: '0',
  };
  // Output to a file: Nx may exit before a pipe is drained, which cut the
  // list short (and made the project count look wrong) on some runs.
  const outFile = join(dir, '.bench-out.txt');
  const out = openSync(outFile, 'w');
  const peaks = new Map();
  const t = process.hrtime.bigint();
  const child = spawn(process.execPath, [nxBin, 'show', 'projects'], { cwd: dir, env, stdio: ['ignore', out, 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const poll = setInterval(() => workerPeaks(name, peaks), 100);
  const status = await new Promise((res) => child.on('close', (code) => res(code)));
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  clearInterval(poll);
  closeSync(out);
  const stdout = readFileSync(outFile, 'utf8');
  if (status !== 0) throw new Error(`nx show projects failed in ${dir}:\n${stderr}\n${stdout}`);
  return {
    secs,
    cacheBytes: graphCacheBytes(dir),
    projects: stdout.split('\n').filter((l) => l && !PERF_LINE.test(l)).length,
    rss: Math.max(0, ...peaks.values()),
    marks: readMarks(`${stdout}\n${stderr}`, name),
  };
}

/** The graph cache Nx wrote (.nx/workspace-data): the project graph, its file map and its source maps, in bytes. */
const GRAPH_CACHE_FILES = ['project-graph.json', 'file-map.json', 'source-maps.json'];
function graphCacheBytes(dir) {
  let total = 0;
  for (const f of GRAPH_CACHE_FILES) {
    try {
      total += statSync(join(dir, '.nx', 'workspace-data', f)).size;
    } catch {
      // not written
    }
  }
  return total;
}

const ESC = String.fromCharCode(27);
const PERF_LINE = new RegExp(`Time taken for '|${ESC}\\[`);
const COLOR = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

/**
 * The figures of the breakdown, in ms: Nx's perf marks (NX_PERF_LOGGING) and
 * the plugin's own lines (NX_CONDA_GRAPH_STATS).
 */
function readMarks(text, name) {
  const plain = text.replace(COLOR, '');
  const mark = (name) => {
    // The last one: Nx measures some steps once per pass.
    const all = [
      ...plain.matchAll(new RegExp(`Time taken for '${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' ([\\d.]+)ms`, 'g')),
    ];
    return all.length ? Number(all[all.length - 1][1]) : undefined;
  };
  const worker = /createNodes in the worker: (\d+) ms reading, (\d+) ms making/.exec(plain);
  const deps = /createDependencies in the worker: (\d+) ms/.exec(plain);
  return {
    total: mark('createProjectGraphAsync'),
    loadPlugin: mark(`Load Nx Plugin: ${name}`),
    createNodes: mark(`${name}:createNodes`),
    merge: mark('createNodes:merge'),
    createDependencies: mark(`${name}:createDependencies`),
    writeCache: mark('write cache'),
    workerRead: worker ? Number(worker[1]) : undefined,
    workerMake: worker ? Number(worker[2]) : undefined,
    workerDeps: deps ? Number(deps[1]) : undefined,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Floor and plugin runs alternate, so that a change of machine load during
// the run weighs on both alike.
async function measureBoth(dir, entries) {
  const res = entries.map(() => ({
    cold: [],
    warm: [],
    rss: [],
    projects: 0,
    coldMarks: [],
    warmMarks: [],
    daemonNext: [],
    daemonEdited: [],
  }));
  for (let i = 0; i < RUNS; i++) {
    for (const [k, e] of entries.entries()) {
      setPlugin(dir, e);
      const c = await runNx(dir, { cold: true, name: e.name });
      res[k].cold.push(c.secs);
      res[k].rss.push(c.rss);
      res[k].projects = c.projects;
      res[k].coldMarks.push(c.marks);
      const w = await runNx(dir, { cold: false, name: e.name });
      res[k].warm.push(w.secs);
      res[k].rss.push(w.rss);
      res[k].warmMarks.push(w.marks);
      res[k].cacheBytes = c.cacheBytes;
      if (DAEMON) {
        const d = await daemonRuns(dir, e.name, i);
        res[k].daemonNext.push(d.next);
        res[k].daemonEdited.push(d.edited);
      }
    }
  }
  const medianMarks = (list) =>
    Object.fromEntries(
      Object.keys(list[0]).map((k) => {
        const xs = list.map((m) => m[k]).filter((x) => x !== undefined);
        return [k, xs.length ? median(xs) : undefined];
      }),
    );
  return res.map((r) => ({
    coldMarks: medianMarks(r.coldMarks),
    warmMarks: medianMarks(r.warmMarks),
    cold: median(r.cold),
    warm: median(r.warm),
    coldMin: Math.min(...r.cold),
    warmMin: Math.min(...r.warm),
    coldMax: Math.max(...r.cold),
    warmMax: Math.max(...r.warm),
    rss: Math.max(...r.rss),
    projects: r.projects,
    cacheBytes: r.cacheBytes,
    daemonNext: r.daemonNext.length ? median(r.daemonNext) : undefined,
    daemonEdited: r.daemonEdited.length ? median(r.daemonEdited) : undefined,
  }));
}

/**
 * With the Nx daemon (a maintainer's machine): the daemon's first graph, the
 * next command, and the command after one recipe was edited (the daemon
 * computes the graph again; only that recipe is read again). Seconds of the
 * last two.
 */
async function daemonRuns(dir, name, round) {
  const nxDaemon = (args) =>
    spawnSync(process.execPath, [nxBin, ...args], {
      cwd: dir,
      env: { ...process.env, NX_DAEMON: 'true', CI: 'false', NX_NO_CLOUD: 'true' },
      stdio: 'ignore',
    });
  nxDaemon(['daemon', '--stop']);
  rmSync(join(dir, '.nx'), { recursive: true, force: true });
  await runNx(dir, { cold: false, name, daemon: true });
  const next = await runNx(dir, { cold: false, name, daemon: true });
  const file = join(dir, DAEMON_EDIT_FILE);
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n# bench edit ${name} ${round}\n`);
  // The daemon sees the edit through its file watcher.
  await new Promise((r) => setTimeout(r, 1000));
  const edited = await runNx(dir, { cold: false, name, daemon: true });
  nxDaemon(['daemon', '--stop']);
  return { next: next.secs, edited: edited.secs };
}

const rows = [];
const loadBefore = loadavg();
for (const n of SIZES) {
  for (const kind of WORKSPACES) {
    const dir = join(tmpdir(), `nx-conda-bench-${kind}-${n}`);
    console.log(`generating ${n} ${kind} recipes in ${dir}...`);
    const count = kind === 'corpus' ? generateCorpus(dir, n) : generate(dir, n);
    copyBenchPlugins(dir);
    if (process.env.BENCH_BASELINE)
      symlinkSync(resolve(process.env.BENCH_BASELINE), join(dir, 'node_modules', 'nx-conda-baseline'), 'dir');
    if (process.env.BENCH_GENERATE_ONLY) continue; // for profiling by hand
    // The bare floor replays the plugin's projects and edges: the dump is always made.
    const dump = await dumpPlugin(dir);
    console.log(JSON.stringify({ dump }));
    DAEMON_EDIT_FILE = dump.editFile;
    const entries = [
      { ...BARE, options: { dump: dump.file } },
      ...(REPLAY ? [{ label: 'replay', name: 'nx-replay', options: { dump: dump.file, edges: true } }] : []),
      PLUGIN,
      ...(process.env.BENCH_BASELINE
        ? [{ label: 'baseline', name: 'nx-conda-baseline', options: PLUGIN_OPTIONS }]
        : []),
      ...(EXTRA_PLATFORM ? [TWO_PLATFORMS] : []),
    ];
    console.log(`measuring (${RUNS} runs each, median)...`);
    const measured = await measureBoth(dir, entries);
    const by = Object.fromEntries(entries.map((e, i) => [e.label, measured[i]]));
    const { [BARE.label]: bare, [PLUGIN.label]: plugin } = by;
    const floor = by.replay;
    if (plugin.projects !== count)
      console.log(
        `note: the plugin made ${plugin.projects} projects of ${count} recipe folders (broken recipes are skipped)`,
      );
    const row = { kind, n: count, bare, floor, plugin, by, dump };
    rows.push(row);
    // Each workspace's figures as soon as they are measured (a long run on a busy machine may be stopped).
    console.log(JSON.stringify(row));
    if (by.baseline) rows.push({ kind: `${kind} (baseline)`, n: count, bare, floor, plugin: by.baseline });
    if (by[TWO_PLATFORMS.label])
      rows.push({ kind: `${kind} (two platforms)`, n: count, bare, floor, plugin: by[TWO_PLATFORMS.label] });
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}
const loadAfter = loadavg();

if (rows.length === 0) process.exit(0);
const f = (x) => (x === undefined ? '–' : x.toFixed(2));
const m = (r, k) => `${f(r[k])} [${f(r[`${k}Min`])}, ${f(r[`${k}Max`])}]`;
const ratio = (a, b, k) => (a?.[k] && b?.[k] ? `${f(a[k] / b[k])}×` : '–');
const mb = (x) => (x / 1e6).toFixed(1);
const lines = [
  `\`nx show projects\`, seconds, median [min, max] of ${RUNS} runs, the plugins alternating; NX_DAEMON=false; cold = .nx cleared (no Nx cache, no parse cache); warm = the run after. The plugin's options: \`${JSON.stringify(PLUGIN_OPTIONS)}\`; nx.json's namedInputs as \`nx add nx-conda\` writes them.`,
  '',
  '| workspace | recipes | bare floor cold | same shape (replay) cold | plugin cold | cold ÷ bare (goal ≤ 1.5) | cold ÷ replay | bare floor warm | replay warm | plugin warm | warm ÷ bare (goal ≤ 1.3) | warm ÷ replay | worker peak RSS (MB) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of rows) {
  lines.push(
    `| ${r.kind} | ${r.n} | ${m(r.bare, 'cold')} | ${r.floor ? m(r.floor, 'cold') : '–'} | ${m(r.plugin, 'cold')} | ${ratio(r.plugin, r.bare, 'cold')} | ${ratio(r.plugin, r.floor, 'cold')} | ` +
      `${m(r.bare, 'warm')} | ${r.floor ? m(r.floor, 'warm') : '–'} | ${m(r.plugin, 'warm')} | ${ratio(r.plugin, r.bare, 'warm')} | ${ratio(r.plugin, r.floor, 'warm')} | ${r.plugin.rss.toFixed(0)} (bare ${r.bare.rss.toFixed(0)}) |`,
  );
}
lines.push(
  '',
  `The graph cache Nx writes (${GRAPH_CACHE_FILES.join(', ')} in .nx/workspace-data), MB, and with the Nx daemon (a maintainer's machine): the command after the daemon's first graph, and the command after one recipe was edited (median seconds; goal: edited ≤ 1.5× the bare floor's).`,
  '',
  '| workspace | bare floor cache | plugin cache | ÷ bare (goal ≤ 1.5) | daemon next: bare | plugin | daemon after an edit: bare | plugin | ÷ bare (goal ≤ 1.5) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
);
for (const r of rows)
  lines.push(
    `| ${r.kind} | ${mb(r.bare.cacheBytes)} | ${mb(r.plugin.cacheBytes)} | ${f(r.plugin.cacheBytes / r.bare.cacheBytes)}× | ${f(r.bare.daemonNext)} | ${f(r.plugin.daemonNext)} | ${f(r.bare.daemonEdited)} | ${f(r.plugin.daemonEdited)} | ${ratio(r.plugin, r.bare, 'daemonEdited')} |`,
  );
const ms = (x) => (x === undefined ? '–' : Math.round(x).toString());
for (const r of rows.filter((x) => x.dump)) {
  lines.push(
    '',
    `Where the time goes, ${r.kind} (${r.n} recipes), ms, medians. From Nx's perf marks (NX_PERF_LOGGING): \`createNodes\` and \`createDependencies\` as the host sees them (the worker's work, serialization, IPC), Nx's merge of project configurations (\`createNodes:merge\`: merge, source maps, target normalization), the graph cache write; from the plugin's own timings in its worker (NX_CONDA_GRAPH_STATS). \`replay\` returns the plugin's own projects and edges without reading a recipe.`,
    '',
    '| plugin | run | seconds | whole graph | createNodes (host) | worker: reading recipes | worker: making projects | Nx merge | createDependencies (host) | worker: edges | write cache |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const [label, x] of Object.entries(r.by)) {
    for (const run of ['cold', 'warm']) {
      const k = x[`${run}Marks`];
      lines.push(
        `| ${label} | ${run} | ${f(x[run])} | ${ms(k.total)} | ${ms(k.createNodes)} | ${ms(k.workerRead)} | ${ms(k.workerMake)} | ${ms(k.merge)} | ${ms(k.createDependencies)} | ${ms(k.workerDeps)} | ${ms(k.writeCache)} |`,
      );
    }
  }
  const d = r.dump;
  const replay = r.by.replay;
  lines.push(
    '',
    `Sizes: ${d.projects} projects, ${d.edges} edges; the serialized createNodes result is ${d.bytesPerProject} bytes per project ` +
      `(per target: ${Object.entries(d.bytesPerTarget)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}); the edges ${(d.edgeBytes / 1e6).toFixed(1)} MB. ` +
      `Replay ÷ bare: cold ${ratio(replay, r.bare, 'cold')}, warm ${ratio(replay, r.bare, 'warm')}; plugin ÷ replay: cold ${ratio(r.plugin, replay, 'cold')}, warm ${ratio(r.plugin, replay, 'warm')}.`,
  );
}
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`;
const load = (l) => l.map((x) => x.toFixed(2)).join(', ');
const section = [
  '<!-- show-projects -->',
  '## Graph: `nx show projects` (bench/run.mjs)',
  '',
  `Generated by \`node bench/run.mjs ${SIZES.join(' ')}\` on ${new Date().toISOString()} (${machine}, load ${load(loadBefore)} before, ${load(loadAfter)} after).`,
  "Floors: bare (bench/bare-plugin.js: the plugin's own projects and edges, one target `{ command: true }` each, no metadata); same shape (bench/replay-plugin.js: the plugin's own projects and edges as it returned them, without reading a recipe).",
  '',
  ...lines,
  '<!-- /show-projects -->',
].join('\n');
console.log(`\n${section}\n`);
if (process.env.BENCH_DOCS !== '0') {
  const docFile = join(repo, 'docs', 'benchmarks.md');
  const doc = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '<!-- notes -->\n';
  const start = doc.indexOf('<!-- show-projects -->');
  const end = doc.indexOf('<!-- /show-projects -->');
  const next =
    start >= 0 && end > start
      ? doc.slice(0, start) + section + doc.slice(end + '<!-- /show-projects -->'.length)
      : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(docFile, next);
}
