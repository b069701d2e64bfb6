// Build-path benchmark (issue 13): what nx-conda adds to a bare container
// run, how staging scales, what parallelism buys, the cost of a no-op rerun,
// of docker-image when the image exists, and of real conda-build. Every
// figure is measured beside its baseline in the same run, runs alternating,
// and reported as median [min–max] with the ratio of medians.
//
// Usage: npm run bench:build [-- items...]   (items: overhead staging parallel noop image conda; default all)
// Writes dist/bench/results.json and docs/benchmarks.md (text after the
// `<!-- notes -->` line of docs/benchmarks.md is kept). Never fails on a number.
//
// Env (run counts; the defaults fit a full run in ~10–15 min on an idle 2-core machine):
//   BENCH_RUNS=5            item 1 runs per side (and per dependency count)
//   BENCH_DEPS=50,500       item 1 dependency package counts (besides 0)
//   BENCH_STAGING=10,100,1000,5000  item 2 package counts; BENCH_STAGING_RUNS=5; BENCH_PKG_KB=32 (package size)
//   BENCH_PARALLEL_RECIPES=20, BENCH_PARALLEL=1,2,4, BENCH_PARALLEL_RUNS=2
//   BENCH_NOOP_RECIPES=100, BENCH_NOOP_RUNS=5
//   BENCH_IMAGE_RUNS=7
//   BENCH_CONDA_RUNS=3
//   BENCH_QUICK=1           all counts reduced (a check that it works, not figures to quote)
//   BENCH_MERGE=1           keep an earlier run's figures in results.json for the items not run now
//   BENCH_TEMPLATE=<dir>    use an installed template as it is (no pack): compare before/after a change
//   BENCH_ROOT              scratch folder (default $TMPDIR/nx-conda-bench-build); BENCH_KEEP=1 keeps the workspaces
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = Boolean(process.env.BENCH_QUICK);
const num = (name, quick, full) => Number(process.env[name] ?? (QUICK ? quick : full));
const list = (name, quick, full) =>
  (process.env[name] ?? (QUICK ? quick : full))
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
const CONFIG = {
  runs: num('BENCH_RUNS', 3, 5),
  deps: list('BENCH_DEPS', '50,500', '50,500'),
  staging: list('BENCH_STAGING', '10,100,1000,5000', '10,100,1000,5000'),
  stagingRuns: num('BENCH_STAGING_RUNS', 3, 5),
  packageKb: num('BENCH_PKG_KB', 32, 32),
  parallelRecipes: num('BENCH_PARALLEL_RECIPES', 20, 20),
  parallel: list('BENCH_PARALLEL', '1,2,4', '1,2,4'),
  parallelRuns: num('BENCH_PARALLEL_RUNS', 1, 2),
  noopRecipes: num('BENCH_NOOP_RECIPES', 100, 100),
  noopRuns: num('BENCH_NOOP_RUNS', 3, 5),
  imageRuns: num('BENCH_IMAGE_RUNS', 5, 7),
  condaRuns: num('BENCH_CONDA_RUNS', 1, 3),
};
const ITEMS = ['overhead', 'staging', 'parallel', 'noop', 'image', 'conda'];
const wanted = process.argv.slice(2).filter((a) => ITEMS.includes(a));
const selected = wanted.length ? wanted : ITEMS;
const ROOT = resolve(process.env.BENCH_ROOT ?? join(tmpdir(), 'nx-conda-bench-build'));
const IMAGES = { rattler: 'nx-conda-e2e/rattler-build:latest', conda: 'nx-conda-e2e/conda-build:latest' };
const UID = process.getuid?.() ?? 0;
const GID = process.getgid?.() ?? 0;

const log = (s) => console.log(`[bench:build] ${s}`);

// ---------------------------------------------------------------- statistics

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]), runs: s.length };
}
const round = (x) => Math.round(x * 1000) / 1000;

/** Runs each side in turn, `runs` times, so that a change of load weighs on both alike. */
function alternate(runs, sides) {
  const times = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, f] of Object.entries(sides)) times[k].push(f(i));
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, stats(xs)]));
}

const results = {};
const RESULTS_FILE = join(repo, 'dist', 'bench', 'results.json');
// BENCH_MERGE=1: keep the figures of an earlier run for the items not run now (e.g. after re-running one item).
if (process.env.BENCH_MERGE && existsSync(RESULTS_FILE))
  Object.assign(results, JSON.parse(readFileSync(RESULTS_FILE, 'utf8')).figures);
/** One figure: nx-conda's side, its baseline, their ratio (value / baseline), the issue's goal. */
function figure(key, { what, unit, value, baseline, baselineWhat, goal, ratio, extra }) {
  const r = ratio ?? (baseline ? round(value.median / baseline.median) : undefined);
  results[key] = { what, unit, value, baseline, baselineWhat, ratio: r, goal, ...(extra ? { extra } : {}) };
  log(
    `${key}: ${value.median} ${unit} [${value.min}–${value.max}]` +
      (baseline ? ` vs ${baseline.median} [${baseline.min}–${baseline.max}] → ${r}` : ''),
  );
}

// ---------------------------------------------------------------- workspaces

function sh(cmd, args, cwd, opts = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0)
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed in ${cwd} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * As the e2e global setup does: the plugin packed as it would be published,
 * installed with the repository's Nx into a template that every benchmark
 * workspace copies by hard links. Reinstalled only when the tarball changes.
 */
function template() {
  if (process.env.BENCH_TEMPLATE) {
    // An installed template as it is (e.g. one of an earlier commit, to compare before and after a change).
    const dir = resolve(process.env.BENCH_TEMPLATE);
    return {
      dir,
      nxVersion: JSON.parse(readFileSync(join(dir, 'node_modules', 'nx', 'package.json'), 'utf8')).version,
    };
  }
  const packDir = join(ROOT, 'pack');
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  log('packing the plugin...');
  sh('npm', ['pack', '--silent', '--pack-destination', packDir], repo, { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = join(
    packDir,
    readdirSync(packDir).find((f) => f.endsWith('.tgz')),
  );
  const digest = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  const nxVersion = JSON.parse(readFileSync(join(repo, 'node_modules', 'nx', 'package.json'), 'utf8')).version;
  const dir = join(ROOT, 'template');
  const marker = join(dir, '.installed');
  const want = `${digest} nx@${nxVersion}`;
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== want) {
    log(`installing it with nx@${nxVersion} into ${dir}...`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(tarball, join(dir, 'nx-conda.tgz'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify(
        {
          name: 'bench-template',
          private: true,
          devDependencies: { nx: nxVersion, 'nx-conda': `file:${join(dir, 'nx-conda.tgz')}` },
        },
        null,
        2,
      ),
    );
    sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir, {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    writeFileSync(marker, want);
  }
  return { dir, nxVersion };
}

class Workspace {
  constructor(name, tpl) {
    this.root = join(ROOT, 'ws', name);
    rmSync(this.root, { recursive: true, force: true });
    mkdirSync(this.root, { recursive: true });
    execFileSync('cp', ['-al', join(tpl.dir, 'node_modules'), join(this.root, 'node_modules')]);
    this.write('package.json', JSON.stringify({ name, private: true }));
    this.write('.gitignore', 'node_modules\n.nx\ndist\ntmp\n');
    this.write('nx.json', JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json' }, null, 2));
  }
  write(path, content, mode) {
    const file = join(this.root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, mode ? { mode } : undefined);
  }
  project(name, root, targets, extra = {}) {
    this.write(join(root, 'project.json'), JSON.stringify({ name, root, targets, ...extra }, null, 2));
  }
  /** Runs nx; returns wall seconds. Output goes to a file (a pipe can be cut short when Nx exits). */
  nx(args, { env = {}, check = true } = {}) {
    const outFile = join(this.root, '.bench-out.txt');
    const out = openSync(outFile, 'w');
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(this.root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
      cwd: this.root,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        NX_SKIP_NX_CACHE: '',
        FORCE_COLOR: '0',
        CI: 'true',
        ...env,
      },
    });
    const secs = Number(process.hrtime.bigint() - t) / 1e9;
    closeSync(out);
    this.lastOutput = readFileSync(outFile, 'utf8');
    if (check && r.status !== 0)
      throw new Error(
        `nx ${args.join(' ')} failed in ${this.root} (exit ${r.status}):\n${this.lastOutput.slice(-4000)}`,
      );
    return secs;
  }
  remove() {
    if (!process.env.BENCH_KEEP) rmSync(this.root, { recursive: true, force: true });
  }
}

/** Wall seconds of a command run without Nx. */
function timed(cmd, args, cwd) {
  const t = process.hrtime.bigint();
  sh(cmd, args, cwd);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

// ---------------------------------------------------------------- recipes and fake channels

/** A trivial rattler-build recipe: one file, noarch generic, no requirements. */
const rattlerRecipe = (name) =>
  `context:\n  name: ${name}\n  version: "1.0.0"\n\npackage:\n  name: \${{ name }}\n  version: \${{ version }}\n\n` +
  'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo "${{ name }}" > $PREFIX/share/${{ name }}.txt\n';

/** A trivial recipe real conda-build accepts: build.sh, a test command. */
const condaMeta = (name) =>
  `package:\n  name: ${name}\n  version: "1.0"\nbuild:\n  number: 0\n  noarch: generic\ntest:\n  commands:\n    - test -f $PREFIX/share/${name}.txt\nabout:\n  license: MIT\n  summary: nx-conda build-path benchmark\n`;
const condaBuildSh = (name) =>
  `#!/bin/bash\nset -e\nmkdir -p "$PREFIX/share"\necho ${name} > "$PREFIX/share/${name}.txt"\n`;

/** The build command nx-conda's default rattler-build script runs, for the bare baseline. */
const rattlerCommand = (extraChannels = []) =>
  [
    'rattler-build build --recipe /opt/recipe/recipe.yaml --output-dir /opt/host-conda-bld -c file:///opt/host-conda-bld',
    ...extraChannels.map((c) => `-c ${c}`),
    '--target-platform linux-64',
  ].join(' ');

/**
 * A dependency's output folder with `n` package files of `kb` KB each (random
 * bytes: nothing reads them but the copy) and their records in
 * noarch/repodata.json, as a build would have left it.
 */
function fakeChannel(dir, n, kb, prefix = 'benchdep') {
  const noarch = join(dir, 'noarch');
  mkdirSync(noarch, { recursive: true });
  mkdirSync(join(dir, 'linux-64'), { recursive: true });
  const records = {};
  const body = randomBytes(kb * 1024);
  for (let i = 0; i < n; i++) {
    const name = `${prefix}${String(i).padStart(5, '0')}`;
    const file = `${name}-1.0-h${String(i).padStart(8, '0')}_0.conda`;
    writeFileSync(join(noarch, file), body);
    records[file] = {
      name,
      version: '1.0',
      build: `h${String(i).padStart(8, '0')}_0`,
      build_number: 0,
      depends: [],
      subdir: 'noarch',
      noarch: 'generic',
      md5: 'e'.repeat(32),
      sha256: 'f'.repeat(64),
      size: body.length,
      timestamp: 1700000000000,
      license: 'MIT',
    };
  }
  const repodata = (subdir, pkgs) =>
    JSON.stringify(
      { info: { subdir }, packages: {}, 'packages.conda': pkgs, removed: [], repodata_version: 1 },
      null,
      1,
    );
  writeFileSync(join(noarch, 'repodata.json'), repodata('noarch', records));
  writeFileSync(join(dir, 'linux-64', 'repodata.json'), repodata('linux-64', {}));
}

const buildRecipe = (image, outputPath, extra = {}) => ({
  executor: 'nx-conda:recipe-build',
  dependsOn: ['^build-recipe'],
  cache: true,
  inputs: ['{projectRoot}/**/*'],
  outputs: ['{options.outputPath}'],
  options: { image, outputPath, ...extra },
});

/** `bare`: the same build in the same image with a plain `docker run --rm`, as an nx:run-commands target. */
function bareTarget(recipeDir, outDir, image, script, mounts = []) {
  const volumes = [
    `-v "$PWD/${recipeDir}:/opt/recipe:ro"`,
    `-v "$PWD/${outDir}:/opt/host-conda-bld"`,
    ...mounts.map((m) => `-v "$PWD/${m.host}:${m.container}:ro"`),
  ];
  return {
    executor: 'nx:run-commands',
    cache: false,
    options: {
      command:
        `rm -rf ${outDir} && mkdir -p ${outDir} && docker run --rm ${volumes.join(' ')} ${image} ` +
        `bash -c '${script}; s=$?; chown -R ${UID}:${GID} /opt/host-conda-bld; exit $s'`,
      cwd: '{workspaceRoot}',
    },
  };
}

// ---------------------------------------------------------------- 1. build overhead

/**
 * A one-line local executor that runs a shell command (as nx:run-commands
 * does, but as an executor): Nx runs every executor but nx:run-commands in a
 * forked process of its own, so this is the floor of any executor-based
 * target, which tells Nx's share of build-recipe's overhead from nx-conda's.
 */
function writeFloorExecutor(ws) {
  const dir = 'node_modules/bench-floor';
  ws.write(
    `${dir}/package.json`,
    JSON.stringify({ name: 'bench-floor', version: '0.0.0', executors: './executors.json' }),
  );
  ws.write(
    `${dir}/executors.json`,
    JSON.stringify({
      executors: { run: { implementation: './run.js', schema: './schema.json', description: 'runs a command' } },
    }),
  );
  ws.write(
    `${dir}/schema.json`,
    JSON.stringify({ type: 'object', properties: { command: { type: 'string' } }, required: ['command'] }),
  );
  ws.write(
    `${dir}/run.js`,
    "const { spawn } = require('node:child_process');\n" +
      'module.exports = async (options, context) => new Promise((resolve) => {\n' +
      "  spawn('bash', ['-c', options.command], { cwd: context.root, stdio: 'inherit' }).on('close', (code) => resolve({ success: code === 0 }));\n" +
      '});\n',
  );
}

function benchOverhead(tpl) {
  const ws = new Workspace('overhead', tpl);
  const counts = [0, ...CONFIG.deps];
  for (const n of counts) {
    const name = `x${n}`;
    const root = `recipes/${name}`;
    ws.write(`${root}/recipe.yaml`, rattlerRecipe('x'));
    const implicit = [];
    const mounts = [];
    const channels = [];
    if (n > 0) {
      const depRoot = `deps/deps${n}`;
      const out = `dist/conda/deps/deps${n}`;
      // A dependency whose output folder exists (as after a build or a cache restore); never run (--excludeTaskDependencies).
      ws.project(`deps${n}`, depRoot, { 'build-recipe': buildRecipe(IMAGES.rattler, out) });
      fakeChannel(join(ws.root, out), n, CONFIG.packageKb);
      implicit.push(`deps${n}`);
      mounts.push({ host: out, container: '/opt/deps' });
      channels.push('file:///opt/deps');
    }
    const bare = bareTarget(root, `tmp/bare/${name}`, IMAGES.rattler, rattlerCommand(channels), mounts);
    ws.project(
      name,
      root,
      {
        'build-recipe': buildRecipe(IMAGES.rattler, `dist/conda/${root}`),
        bare,
        floor: { executor: 'bench-floor:run', cache: false, options: { command: bare.options.command } },
      },
      { implicitDependencies: implicit },
    );
  }
  writeFloorExecutor(ws);
  const flags = ['--skip-nx-cache', '--excludeTaskDependencies'];
  // Warm-up: the engine's image layers and Nx's graph.
  ws.nx(['run', 'x0:build-recipe', ...flags]);
  ws.nx(['run', 'x0:bare', ...flags]);
  ws.nx(['run', 'x0:floor', ...flags]);
  for (const n of counts) {
    log(`1. build overhead, ${n} dependency packages (${CONFIG.runs} runs each)...`);
    const r = alternate(CONFIG.runs, {
      bare: () => ws.nx(['run', `x${n}:bare`, ...flags]),
      floor: () => ws.nx(['run', `x${n}:floor`, ...flags]),
      plugin: () => ws.nx(['run', `x${n}:build-recipe`, ...flags]),
    });
    if (n > 0 && !new RegExp(`${n} package\\(s\\) from 1 dependency`).test(ws.lastOutput))
      log(`warning: x${n}'s staging channel did not hold ${n} packages:\n${ws.lastOutput.slice(-1500)}`);
    figure(n === 0 ? 'build-overhead' : `build-overhead-${n}-deps`, {
      what: `nx run x:build-recipe --skip-nx-cache, trivial recipe.yaml (rattler-build)${n ? `, ${n} dependency packages in staging` : ''}`,
      unit: 's',
      value: r.plugin,
      baseline: r.bare,
      baselineWhat: `nx run x:bare (nx:run-commands: docker run --rm, same build command, same image${n ? ', the dependency folder mounted as a channel' : ''})`,
      goal: '≤ 1.25×',
      extra: {
        executorFloor: r.floor,
        ratioToExecutorFloor: round(r.plugin.median / r.floor.median),
      },
    });
  }
  ws.remove();
}

// ---------------------------------------------------------------- 2. staging

function benchStaging(tpl) {
  const require = createRequire(import.meta.url);
  const channel = require(join(tpl.dir, 'node_modules', 'nx-conda', 'lib', 'channel', 'index.js'));
  const base = join(ROOT, 'staging');
  rmSync(base, { recursive: true, force: true });
  const perSource = 5; // packages per dependency output folder
  let reflink = 'not tried';
  for (const n of CONFIG.staging) {
    log(`2. staging, ${n} packages (${CONFIG.stagingRuns} runs each)...`);
    const sources = [];
    for (let s = 0; s * perSource < n; s++) {
      const dir = join(base, `src-${n}`, `dep${s}`);
      fakeChannel(dir, Math.min(perSource, n - s * perSource), CONFIG.packageKb, `d${s}x`);
      sources.push(dir);
    }
    const files = sources.flatMap((dir) =>
      readdirSync(join(dir, 'noarch'))
        .filter((f) => f.endsWith('.conda'))
        .map((f) => join(dir, 'noarch', f)),
    );
    let k = 0;
    const fresh = () => {
      const dir = join(base, `staging-${n}-${k++}`);
      return dir;
    };
    const measure = (f) => () => {
      const dir = fresh();
      const t = process.hrtime.bigint();
      f(dir);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      rmSync(dir, { recursive: true, force: true });
      return ms;
    };
    const rawFiles = (op) => (dir) => {
      mkdirSync(join(dir, 'noarch'), { recursive: true });
      files.forEach((f, i) => op(f, join(dir, 'noarch', `${i}.conda`)));
    };
    const sides = {
      plugin: measure((dir) => channel.assembleStagingChannel(dir, sources, 'linux-64')),
      copy: measure(rawFiles((a, b) => copyFileSync(a, b))),
      link: measure(rawFiles((a, b) => linkSync(a, b))),
    };
    if (reflink !== 'unsupported') {
      try {
        const probe = fresh();
        rawFiles((a, b) => copyFileSync(a, b, fsConstants.COPYFILE_FICLONE_FORCE))(probe);
        rmSync(probe, { recursive: true, force: true });
        reflink = 'supported';
        sides.reflink = measure(rawFiles((a, b) => copyFileSync(a, b, fsConstants.COPYFILE_FICLONE_FORCE)));
      } catch (e) {
        reflink = 'unsupported';
        log(`reflinks: not supported on this file system (${e.code ?? e.message})`);
      }
    }
    const r = alternate(CONFIG.stagingRuns, sides);
    const perPkg = (s) => ({ median: round(s.median / n), min: round(s.min / n), max: round(s.max / n), runs: s.runs });
    figure(`staging-${n}`, {
      what: `assembleStagingChannel: ${n} packages of ${CONFIG.packageKb} KB from ${sources.length} dependency folders (copied, merged repodata.json written)`,
      unit: 'ms',
      value: r.plugin,
      baseline: r.copy,
      baselineWhat: 'copyFileSync of the same files, no index (the file copies alone)',
      goal: '≤ 2 ms per package, linear',
      extra: {
        msPerPackage: perPkg(r.plugin),
        hardLinks: { ms: r.link, msPerPackage: perPkg(r.link) },
        reflinks: r.reflink ? { ms: r.reflink, msPerPackage: perPkg(r.reflink) } : reflink,
      },
    });
    rmSync(join(base, `src-${n}`), { recursive: true, force: true });
  }
  rmSync(base, { recursive: true, force: true });
}

// ---------------------------------------------------------------- 3 and 4: many recipes

function manyWorkspace(tpl, name, count) {
  const ws = new Workspace(name, tpl);
  const names = Array.from({ length: count }, (_, i) => `p${String(i + 1).padStart(3, '0')}`);
  for (const p of names) {
    const root = `recipes/${p}`;
    ws.write(`${root}/recipe.yaml`, rattlerRecipe(p));
    ws.project(p, root, {
      'build-recipe': buildRecipe(IMAGES.rattler, `dist/conda/${root}`),
      // An Nx-cached task with an output folder of one small file: Nx's own floor for a cached task.
      cached: {
        executor: 'nx:run-commands',
        cache: true,
        inputs: ['{projectRoot}/**/*'],
        outputs: [`{workspaceRoot}/dist/cached/${p}`],
        options: {
          command: `mkdir -p dist/cached/${p} && echo ${p} > dist/cached/${p}/${p}.txt`,
          cwd: '{workspaceRoot}',
        },
      },
    });
  }
  return { ws, names };
}

function benchParallel(tpl) {
  const { ws, names } = manyWorkspace(tpl, 'parallel', CONFIG.parallelRecipes);
  ws.nx(['run', `${names[0]}:build-recipe`, '--skip-nx-cache']); // warm-up
  log(
    `3. parallelism: ${names.length} recipes, --parallel=${CONFIG.parallel.join(',')} (${CONFIG.parallelRuns} runs each)...`,
  );
  const sides = Object.fromEntries(
    CONFIG.parallel.map((p) => [
      `p${p}`,
      () => ws.nx(['run-many', '-t', 'build-recipe', '--skip-nx-cache', `--parallel=${p}`]),
    ]),
  );
  const r = alternate(CONFIG.parallelRuns, sides);
  const one = r[`p${CONFIG.parallel[0]}`];
  for (const p of CONFIG.parallel.slice(1)) {
    figure(`parallel-${p}`, {
      what: `nx run-many -t build-recipe --skip-nx-cache --parallel=${p}, ${names.length} independent trivial recipes (${cpus().length} cores)`,
      unit: 's',
      value: r[`p${p}`],
      baseline: one,
      baselineWhat: `the same with --parallel=${CONFIG.parallel[0]}`,
      goal: p === 2 ? 'speed-up ≥ 1.7× (ratio ≤ 0.59)' : 'reported',
      extra: { speedUp: round(one.median / r[`p${p}`].median) },
    });
  }
  ws.remove();
}

function benchNoop(tpl) {
  const { ws, names } = manyWorkspace(tpl, 'noop', CONFIG.noopRecipes);
  log(`4. no-op rerun: building ${names.length} recipes once to fill Nx's cache...`);
  ws.nx(['run-many', '-t', 'build-recipe', '--parallel=4']);
  ws.nx(['run-many', '-t', 'cached', '--parallel=4']);
  log(`4. no-op rerun: ${CONFIG.noopRuns} runs each...`);
  const r = alternate(CONFIG.noopRuns, {
    cached: () => ws.nx(['run-many', '-t', 'cached', '--parallel=4']),
    plugin: () => {
      const s = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=4']);
      if (!/from cache|Nx read the output from the cache/i.test(ws.lastOutput))
        log('warning: the rerun did not report cache hits');
      return s;
    },
  });
  figure('noop-rerun', {
    what: `nx run-many -t build-recipe over ${names.length} recipes, all cache hits`,
    unit: 's',
    value: r.plugin,
    baseline: r.cached,
    baselineWhat: `nx run-many over ${names.length} cached nx:run-commands tasks (one output folder each)`,
    goal: '≤ 1.1×',
  });
  ws.remove();
}

// ---------------------------------------------------------------- 5. docker-image

function benchImage(tpl) {
  const ws = new Workspace('image', tpl);
  const target = {
    executor: 'nx-conda:docker-image',
    options: { baseImage: IMAGES.rattler, imageName: 'nx-conda-bench/builder' },
  };
  ws.project('builder-image', 'tools/builder-image', { 'docker-image': target });
  ws.nx(['run', 'builder-image:docker-image']); // builds the image when missing
  const tag = /(?:Reused|Built) (\S+) \(/.exec(ws.lastOutput)?.[1];
  if (!tag) throw new Error(`docker-image printed no tag:\n${ws.lastOutput}`);
  ws.project('builder-image', 'tools/builder-image', {
    'docker-image': target,
    inspect: {
      executor: 'nx:run-commands',
      cache: false,
      options: { command: `docker image inspect ${tag} > /dev/null` },
    },
  });
  ws.nx(['run', 'builder-image:inspect']);
  log(`5. docker-image with ${tag} present (${CONFIG.imageRuns} runs each)...`);
  const r = alternate(CONFIG.imageRuns, {
    inspect: () => ws.nx(['run', 'builder-image:inspect']),
    plugin: () => ws.nx(['run', 'builder-image:docker-image']),
    raw: () => timed('docker', ['image', 'inspect', tag], ws.root),
  });
  figure('docker-image-exists', {
    what: 'nx run builder-image:docker-image, the image exists',
    unit: 's',
    value: r.plugin,
    baseline: r.inspect,
    baselineWhat: 'nx run builder-image:inspect (nx:run-commands: docker image inspect of the same tag)',
    goal: 'reported (runs before every build, uncached)',
    extra: { dockerImageInspectWithoutNx: r.raw, addedSeconds: round(r.plugin.median - r.inspect.median) },
  });
  ws.remove();
}

// ---------------------------------------------------------------- 6. real conda-build

function benchConda(tpl) {
  const ws = new Workspace('conda', tpl);
  // Not `y`: YAML 1.1 reads a bare y as true, and conda-build refuses the name.
  const root = 'recipes/y';
  ws.write(`${root}/meta.yaml`, condaMeta('benchy'));
  ws.write(`${root}/build.sh`, condaBuildSh('benchy'), 0o755);
  ws.project('y', root, { 'build-recipe': buildRecipe(IMAGES.conda, `dist/conda/${root}`) });
  // The command nx-conda's default conda-build script runs, by hand; conda-build's own time measured inside.
  const command =
    's=$(date +%s.%N); conda build --no-anaconda-upload -c file:///opt/host-conda-bld --output-folder /opt/host-conda-bld /opt/recipe/meta.yaml && ' +
    'conda index /opt/host-conda-bld; r=$?; e=$(date +%s.%N); echo "BENCH_INNER $s $e"; chown -R ' +
    `${UID}:${GID} /opt/host-conda-bld; exit $r`;
  const out = join(ws.root, 'tmp', 'by-hand');
  let inner = [];
  const byHand = () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const t = process.hrtime.bigint();
    const stdout = sh(
      'docker',
      [
        'run',
        '--rm',
        '-v',
        `${join(ws.root, root)}:/opt/recipe:ro`,
        '-v',
        `${out}:/opt/host-conda-bld`,
        IMAGES.conda,
        'bash',
        '-c',
        command,
      ],
      ws.root,
    );
    const secs = Number(process.hrtime.bigint() - t) / 1e9;
    const m = /BENCH_INNER (\S+) (\S+)/.exec(stdout);
    if (m) inner.push(Number(m[2]) - Number(m[1]));
    return secs;
  };
  log(`6. real conda-build (${CONFIG.condaRuns} runs each)...`);
  const r = alternate(CONFIG.condaRuns, {
    byHand,
    plugin: () => ws.nx(['run', 'y:build-recipe', '--skip-nx-cache']),
  });
  figure('conda-build', {
    what: 'nx run y:build-recipe --skip-nx-cache, trivial meta.yaml (build.sh, one test command), real conda-build',
    unit: 's',
    value: r.plugin,
    baseline: r.byHand,
    baselineWhat:
      'the same conda build + conda index command by hand: docker run --rm, same image, same mounts (no Nx)',
    goal: 'reported (what is conda-build’s own time)',
    extra: { condaBuildOwnTime: stats(inner), addedSeconds: round(r.plugin.median - r.byHand.median) },
  });
  ws.remove();
}

// ---------------------------------------------------------------- report

function machine(nxVersion, loadBefore) {
  const docker = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
  }).stdout.trim();
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    cpu: `${cpu[0]?.model ?? '?'} × ${cpu.length}`,
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    loadAverageBefore: loadBefore.map((x) => round(x)),
    loadAverageAfter: loadavg().map((x) => round(x)),
    node: process.version,
    nx: nxVersion,
    docker,
    config: CONFIG,
    quick: QUICK,
  };
}

const fmt = (s, unit) => (s ? `${s.median} [${s.min}–${s.max}] ${unit}` : '—');

function markdown(m) {
  const loaded = Math.max(...m.loadAverageBefore, ...m.loadAverageAfter) > cpus().length;
  const lines = [
    '# Build-path benchmarks',
    '',
    'Generated by `npm run bench:build` (bench/build.mjs); raw figures in `dist/bench/results.json`.',
    'Each figure is the median [min–max] of several runs, nx-conda and its baseline measured alternately in the same run;',
    'the ratio is nx-conda’s median over the baseline’s. Benchmarks never fail on a number and are not part of `npm test`.',
    '',
    `Machine: ${m.cpu}, ${m.memoryGB} GB, Node ${m.node}, Nx ${m.nx}, Docker ${m.docker}; ${m.date}.`,
    `Load average (1, 5, 15 min): ${m.loadAverageBefore.join(', ')} before, ${m.loadAverageAfter.join(', ')} after.` +
      (loaded ? ' **The machine was loaded (load above its core count): these figures are noisy.**' : ''),
    m.quick ? '**Reduced run counts (BENCH_QUICK): a check that the benchmark works, not figures to quote.**' : '',
    '',
    '| figure | nx-conda | baseline | ratio | goal |',
    '| --- | ---: | ---: | ---: | --- |',
  ];
  for (const [key, r] of Object.entries(results)) {
    if (r.error) {
      lines.push(`| \`${key}\` | failed: ${r.error.split('\n')[0].slice(0, 200)} | | | |`);
      continue;
    }
    let ratio = r.ratio === undefined ? '—' : `${r.ratio}×`;
    if (r.extra?.speedUp) ratio = `${r.ratio}× (speed-up ${r.extra.speedUp}×)`;
    lines.push(`| \`${key}\` | ${fmt(r.value, r.unit)} | ${fmt(r.baseline, r.unit)} | ${ratio} | ${r.goal} |`);
  }
  const staging = Object.entries(results).filter(([k]) => k.startsWith('staging-'));
  if (staging.length) {
    lines.push(
      '',
      'Staging, per package (ms; median [min–max]):',
      '',
      '| packages | nx-conda (copies + index) | copyFileSync only | hard links only | reflinks |',
      '| ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [k, r] of staging) {
      const rl = typeof r.extra.reflinks === 'string' ? r.extra.reflinks : fmt(r.extra.reflinks.msPerPackage, '');
      lines.push(
        `| ${k.slice('staging-'.length)} | ${fmt(r.extra.msPerPackage, '')} | ${fmt({ median: round(r.baseline.median / Number(k.slice(8))), min: round(r.baseline.min / Number(k.slice(8))), max: round(r.baseline.max / Number(k.slice(8))) }, '')} | ${fmt(r.extra.hardLinks.msPerPackage, '')} | ${rl} |`,
      );
    }
  }
  const extras = Object.entries(results).filter(
    ([, r]) => !r.error && r.extra && !r.extra.msPerPackage && !r.extra.speedUp,
  );
  if (extras.length) {
    lines.push('');
    for (const [k, r] of extras)
      lines.push(
        `- \`${k}\`: ${Object.entries(r.extra)
          .map(
            ([n, v]) =>
              `${n} ${typeof v === 'object' ? fmt(v, r.unit) : /[Rr]atio/.test(n) ? `${v}×` : `${v} ${r.unit}`}`,
          )
          .join('; ')}`,
      );
  }
  lines.push('', 'What each figure measures:', '');
  for (const [k, r] of Object.entries(results))
    if (!r.error) lines.push(`- \`${k}\`: ${r.what}; baseline: ${r.baselineWhat}.`);
  return lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n') + '\n';
}

const loadBefore = loadavg();
mkdirSync(ROOT, { recursive: true });
const tpl = template();
for (const img of Object.values(IMAGES)) {
  if (spawnSync('docker', ['image', 'inspect', img], { stdio: 'ignore' }).status !== 0)
    throw new Error(`bench: image ${img} is missing; run \`npm run e2e:images\`.`);
}
const started = Date.now();
const benches = {
  overhead: benchOverhead,
  staging: benchStaging,
  parallel: benchParallel,
  noop: benchNoop,
  image: benchImage,
  conda: benchConda,
};
for (const item of selected) {
  const t = Date.now();
  try {
    benches[item](tpl);
  } catch (e) {
    // A failed item is reported, never a reason to lose the others.
    log(`${item} failed: ${e.message}`);
    results[`${item}-failed`] = { what: item, error: e.message.slice(0, 2000) };
  }
  log(`${item}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
}
const m = machine(tpl.nxVersion, loadBefore);
m.totalSeconds = Math.round((Date.now() - started) / 1000);
mkdirSync(join(repo, 'dist', 'bench'), { recursive: true });
writeFileSync(RESULTS_FILE, JSON.stringify({ machine: m, figures: results }, null, 2) + '\n');
const docFile = join(repo, 'docs', 'benchmarks.md');
const MARK = '<!-- notes -->';
const previous = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '';
const notes = previous.includes(MARK) ? previous.slice(previous.indexOf(MARK)) : `${MARK}\n`;
mkdirSync(dirname(docFile), { recursive: true });
writeFileSync(docFile, `${markdown(m)}\n${notes}`);
log(`done in ${m.totalSeconds} s: dist/bench/results.json, docs/benchmarks.md`);
