// affected-at-scale (issues 17 and 26): a CI agent with empty caches runs several
// hundred build-recipe tasks of which all but one are skipped by skipExisting
// against an upstream channel served over local HTTP, and one is really
// built in a container. What counts is the time outside that one build,
// beside Nx's own floor: the same task graph where every task is an
// nx:run-commands `true`. Both sides start cold (no .nx, no dist, no tmp)
// and are measured alternately. The per-task side (NX_BATCH_MODE=false: one
// forked process per task, as before the batch implementation) is measured
// beside them on the same tasks, BENCH_PER_TASK_RUNS times (default 1: it
// takes ~3 min a run on the 2-core machine; BENCH_PER_TASK=0 leaves it out).
//
// The remote-cache figure (BENCH_REMOTE=1, the default): agent A runs the
// workspace against Nx's self-hosted remote cache (e2e/utils/servers.js
// nx-cache), then agent B (a fresh copy, empty local cache) runs it with one
// recipe changed: every other task comes from the remote cache.
//
// Usage: node bench/affected.mjs   (Env: BENCH_RECIPES=440, BENCH_RUNS=3 (runs per side), BENCH_PARALLEL=2,
//   BENCH_PER_TASK_RUNS=1, BENCH_PER_TASK=0, BENCH_REMOTE=1, BENCH_ROOT, BENCH_KEEP=1; BENCH_TEMPLATE as
//   bench:build). The plugin is packed and installed by bench/build/runner.mjs into bench:build's template.
// Writes its section into docs/benchmarks.md (between <!-- affected-at-scale --> markers,
// after the notes line, which bench/build.mjs keeps) and dist/bench/affected.json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeNpmFiles } from './corpus-files.mjs';
import { NX_ENV, loadNote, loadNow, repo, setLogPrefix, log, stats, template, writeJson } from './build/runner.mjs';

const RECIPES = Number(process.env.BENCH_RECIPES ?? 440);
/** Recipes in the workspace: the affected ones and the rest of a tree of the size users have. */
const TOTAL = Math.max(RECIPES, Number(process.env.BENCH_TOTAL ?? 10000));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 2);
/** Runs of the per-task side (NX_BATCH_MODE=false; ~3 min each on the 2-core machine); 0 leaves it out. */
const PER_TASK_RUNS = Number(process.env.BENCH_PER_TASK === '0' ? 0 : (process.env.BENCH_PER_TASK_RUNS ?? 1));
const REMOTE = process.env.BENCH_REMOTE !== '0';
const ROOT = resolve(process.env.BENCH_ROOT ?? join(tmpdir(), 'nx-conda-bench-affected'));
const IMAGE = 'nx-conda-e2e/rattler-build:latest';
setLogPrefix('bench:affected');

// ------------------------------------------------------------ workspaces

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const name = (i) => `pkg${String(i).padStart(4, '0')}`;
const other = (i) => `bg${String(i).padStart(5, '0')}`;
/**
 * The affected slice: each recipe requires up to three earlier ones (about 2
 * edges a recipe, as bioconda's affected slice) and pkg0000, whose change
 * makes all of them affected. The rest of the tree (TOTAL - n recipes) is
 * wired the same way among itself, untouched by the change.
 */
function graph(n) {
  const rnd = random(17);
  const wire = (count, label, root) =>
    Array.from({ length: count }, (_, i) => {
      const deps = new Set(root && i > 0 ? [0] : []);
      const k = i === 0 ? 0 : Math.floor(rnd() * 4);
      for (let j = 0; j < k; j++) deps.add(Math.floor(rnd() * i));
      return { name: label(i), deps: [...deps].map(label), affected: root };
    });
  return [...wire(n, name, true), ...wire(TOTAL - n, other, false)];
}

/** The build script of the one real build: a small real package, made in the container without a solver. */
const TEMPLATE = `#!/usr/bin/env bash
set -eo pipefail
staging={{stagingDir}}
trap 'chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" 2>/dev/null || true' EXIT
name=$(sed -n 's/^  name: //p' {{recipeDir}}/recipe.yaml | head -n 1)
python3 - "$staging" "$name" <<'PY'
import sys, json, tarfile, io, hashlib, os
staging, name = sys.argv[1], sys.argv[2]
fn = name + "-1.0-0.tar.bz2"
d = os.path.join(staging, "noarch")
os.makedirs(d, exist_ok=True)
index = {"name": name, "version": "1.0", "build": "0", "build_number": 0, "depends": [], "subdir": "noarch", "noarch": "generic"}
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:bz2") as t:
    data = json.dumps(index).encode()
    info = tarfile.TarInfo("info/index.json"); info.size = len(data); t.addfile(info, io.BytesIO(data))
raw = buf.getvalue()
with open(os.path.join(d, fn), "wb") as f: f.write(raw)
rd = {"info": {"subdir": "noarch"}, "packages": {fn: dict(index, sha256=hashlib.sha256(raw).hexdigest(), size=len(raw))}, "packages.conda": {}}
json.dump(rd, open(os.path.join(d, "repodata.json"), "w"))
PY
`;

const recipeYaml = (r) =>
  `package:\n  name: ${r.name}\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n` +
  (r.deps.length ? `\nrequirements:\n  run:\n${r.deps.map((d) => `    - ${d}\n`).join('')}` : '');

function write(file, text) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const git = (dir, ...args) =>
  execFileSync('git', ['-c', 'user.email=bench@example.org', '-c', 'user.name=bench', ...args], { cwd: dir });

/**
 * A workspace of every recipe, committed, then a second commit that changes
 * `changed` (the root of the affected slice): `nx affected --base=HEAD~1`.
 * The floor's projects come from bench/floor-plugin.js (package nx-floor).
 */
function workspace(dir, templateDir, recipes, kind, nxJson, changed) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('cp', ['-al', join(templateDir, 'node_modules'), join(dir, 'node_modules')]);
  writeNpmFiles(dir, kind);
  write(join(dir, 'nx.json'), JSON.stringify(nxJson, null, 2));
  write(join(dir, '.gitignore'), 'node_modules\n.nx\ndist\ntmp\n');
  for (const r of recipes) write(join(dir, 'recipes', r.name, 'recipe.yaml'), recipeYaml(r));
  if (kind === 'floor') {
    const pkg = join(dir, 'node_modules', 'nx-floor');
    write(join(pkg, 'package.json'), JSON.stringify({ name: 'nx-floor', version: '0.0.0', main: 'floor-plugin.js' }));
    write(join(pkg, 'floor-plugin.js'), readFileSync(join(repo, 'bench/floor-plugin.js'), 'utf8'));
  } else {
    // The one real build's quick script, for that project only (as an option of every project it would weigh on all).
    write(
      join(dir, 'recipes', changed, 'project.json'),
      JSON.stringify({
        name: changed,
        targets: { 'build-recipe': { options: { buildScriptTemplate: 'tools/template.sh' } } },
      }),
    );
  }
  write(join(dir, 'tools/template.sh'), TEMPLATE);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'recipes');
  write(join(dir, 'recipes', changed, 'build.sh'), 'echo changed\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', `change ${changed}`);
}

/** The upstream channel: every recipe's package but `changed`'s. */
function channel(dir, recipes, changed) {
  rmSync(dir, { recursive: true, force: true });
  const packages = {};
  for (const r of recipes) {
    if (r.name === changed) continue;
    packages[`${r.name}-1.0-0.tar.bz2`] = {
      name: r.name,
      version: '1.0',
      build: '0',
      build_number: 0,
      depends: r.deps,
      subdir: 'noarch',
      sha256: '0'.repeat(64),
      size: 1,
    };
  }
  write(
    join(dir, 'noarch/repodata.json'),
    JSON.stringify({ info: { subdir: 'noarch' }, packages, 'packages.conda': {}, repodata_version: 1 }),
  );
}

function startServer(mode, dir) {
  const child = spawn(process.execPath, [join(repo, 'e2e/utils/servers.js'), mode, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolveStart, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening (\d+)/.exec(out);
      if (!m) return;
      child.removeAllListeners('exit');
      resolveStart({
        url: `http://127.0.0.1:${m[1]}`,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

// ------------------------------------------------------------ runs

function nx(dir, args, env = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(dir, 'node_modules/nx/dist/bin/nx.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...process.env,
      ...NX_ENV,
      NX_BATCH_MODE: '',
      NX_PERF_LOGGING: 'true',
      // Nx 24 keeps its local cache under the user's home (~/.nx/<workspace hash>/cache), which a cold
      // agent does not have: here it lives in the workspace, where cold() removes it.
      NX_CACHE_DIRECTORY: join(dir, '.nx', 'cache'),
      ...env,
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const output = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`nx ${args.join(' ')} failed in ${dir}:\n${output.slice(-4000)}`);
  return { seconds, output, phases: phases(output) };
}

/** A cold agent: no Nx cache or workspace data, no outputs, no repodata cache. */
function cold(dir) {
  for (const sub of ['.nx', 'dist', 'tmp']) rmSync(join(dir, sub), { recursive: true, force: true });
}

const RUN_ALL = [
  'affected',
  '-t',
  'build-recipe',
  '--base=HEAD~1',
  '--head=HEAD',
  `--parallel=${PARALLEL}`,
  '--output-style=static',
];

/** Nx's own phases of a run (NX_PERF_LOGGING), ms: the project graph, task hashing, the tasks. */
function phases(output) {
  const mark = (label) => {
    const all = [...output.matchAll(new RegExp(`Time taken for '${label}' ([\\d.]+)ms`, 'g'))];
    return all.length ? Math.round(all.reduce((t, m) => t + Number(m[1]), 0)) : undefined;
  };
  return {
    graph: mark('createProjectGraphAsync'),
    hash: mark('hashMultipleTasks'),
    tasks: mark('task-execution'),
  };
}

/** nx-conda's run: its wall time and the one build's own time (from its summary line). */
function condaRun(dir, extra = [], env = {}) {
  cold(dir);
  const r = nx(dir, [...RUN_ALL, ...extra], env);
  const builds = [...r.output.matchAll(/built 1 package\(s\) for (\S+) with \S+ in ([\d.]+) s/g)];
  const own = new Map(builds.map((m) => [m[1], Number(m[2])]));
  const skipped = new Set([...r.output.matchAll(/skipped (\S+): .* \(skipExisting\)/g)].map((m) => m[1])).size;
  if (own.size !== 1) throw new Error(`expected one real build, saw ${own.size}:\n${r.output.slice(-3000)}`);
  const build = [...own.values()][0];
  return {
    seconds: r.seconds,
    phases: r.phases,
    lines: r.output.split('\n').length,
    build,
    outside: r.seconds - build,
    skipped,
    batched: /nx-conda: \d+ recipe-build tasks:/.test(r.output),
  };
}

const fmt = (x) => `${x.median} [${x.min}–${x.max}] s`;

async function main() {
  mkdirSync(ROOT, { recursive: true });
  const load = loadNow();
  const templateDir = template().dir;
  const recipes = graph(RECIPES);
  const changed = name(0);
  const edges = recipes.reduce((n, r) => n + r.deps.length, 0);
  const server = await startServer('static', join(ROOT, 'channel'));
  channel(join(ROOT, 'channel'), recipes, changed);
  const results = {};
  try {
    const pluginOptions = { images: { 'rattler-build': IMAGE }, channels: [server.url], skipExisting: true };
    const condaDir = join(ROOT, 'nx-conda');
    const floorDir = join(ROOT, 'floor');
    const { recipeGlobalsDefinition } = await import(join(templateDir, 'node_modules/nx-conda/lib/graph/targets.js'));
    // What `nx add nx-conda` writes (without an image project: the builds use a given image).
    const namedInputs = {
      default: ['{projectRoot}/**/*', 'condaGlobals'],
      condaGlobals: recipeGlobalsDefinition(false),
    };
    workspace(
      condaDir,
      templateDir,
      recipes,
      'nx-conda',
      { plugins: [{ plugin: 'nx-conda', options: pluginOptions }], namedInputs },
      changed,
    );
    workspace(floorDir, templateDir, recipes, 'floor', { plugins: ['nx-floor'] }, changed);
    log(
      `${TOTAL} recipes, ${RECIPES} affected by a change of ${changed} (not in the channel), ${edges} edges; ${RUNS} runs per side, --parallel=${PARALLEL}`,
    );
    const conda = [];
    const floor = [];
    const perTask = [];
    for (let i = 0; i < Math.max(RUNS, PER_TASK_RUNS); i++) {
      if (i < PER_TASK_RUNS) {
        const p = condaRun(condaDir, [], { NX_BATCH_MODE: 'false' });
        perTask.push(p);
        log(
          `nx-conda per-task run ${i + 1}: ${p.seconds.toFixed(2)} s (outside ${p.outside.toFixed(2)} s, batch ${p.batched})`,
        );
      }
      if (i >= RUNS) continue;
      const c = condaRun(condaDir);
      conda.push(c);
      log(
        `nx-conda run ${i + 1}: ${c.seconds.toFixed(2)} s (build ${c.build} s, outside ${c.outside.toFixed(2)} s, ${c.skipped} skipped, batch ${c.batched})`,
      );
      cold(floorDir);
      const f = nx(floorDir, RUN_ALL);
      floor.push(f);
      log(`floor run ${i + 1}: ${f.seconds.toFixed(2)} s ${JSON.stringify(f.phases)}`);
    }
    const medianPhases = (runs) =>
      Object.fromEntries(
        ['graph', 'hash', 'tasks'].map((k) => [k, stats(runs.map((r) => r.phases[k] ?? 0).map((x) => x / 1000))]),
      );
    results.affectedAtScale = {
      tasks: RECIPES,
      total: TOTAL,
      edges,
      lines: conda[0].lines,
      phases: medianPhases(conda),
      floorPhases: medianPhases(floor),
      parallel: PARALLEL,
      skipped: conda[0].skipped,
      batch: conda.every((c) => c.batched),
      wall: stats(conda.map((c) => c.seconds)),
      build: stats(conda.map((c) => c.build)),
      outside: stats(conda.map((c) => c.outside)),
      floor: stats(floor.map((f) => f.seconds)),
    };
    results.affectedAtScale.ratio = +(
      results.affectedAtScale.outside.median / results.affectedAtScale.floor.median
    ).toFixed(3);
    if (perTask.length) {
      const outside = stats(perTask.map((p) => p.outside));
      results.perTask = {
        wall: stats(perTask.map((p) => p.seconds)),
        build: stats(perTask.map((p) => p.build)),
        outside,
        ratio: +(outside.median / results.affectedAtScale.floor.median).toFixed(3),
        batched: perTask.some((p) => p.batched),
        skipped: perTask[0].skipped,
      };
    }
    if (REMOTE) results.remoteCache = await remoteCache(condaDir, recipes);
  } finally {
    await server.stop();
    if (!process.env.BENCH_KEEP)
      for (const d of ['nx-conda', 'floor', 'agent-b', 'channel', 'cache'])
        rmSync(join(ROOT, d), { recursive: true, force: true });
  }
  results.machine = {
    cpu: `${cpus()[0].model} × ${cpus().length}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadBefore: load,
    loadAfter: loadNow(),
    date: new Date().toISOString(),
  };
  writeJson('affected', results);
  writeDocs(results);
  log(JSON.stringify(results, null, 2));
}

/** Agent A fills the remote cache; agent B (fresh copy, empty local cache) changes one recipe and runs everything. */
async function remoteCache(condaDir, recipes) {
  const cache = await startServer('nx-cache', join(ROOT, 'cache'));
  try {
    const env = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url };
    const a = condaRun(condaDir, [], env);
    log(`remote cache, agent A: ${a.seconds.toFixed(2)} s`);
    const bDir = join(ROOT, 'agent-b');
    rmSync(bDir, { recursive: true, force: true });
    execFileSync('cp', ['-a', condaDir, bDir]);
    cold(bDir);
    // One change on agent B: a recipe of the affected slice that nothing depends on gets a new file.
    const needed = new Set(recipes.flatMap((r) => r.deps));
    const leaf = recipes.filter((r) => r.affected && !needed.has(r.name)).at(-1);
    writeFileSync(join(bDir, 'recipes', leaf.name, 'build.sh'), 'echo changed on agent B\n');
    const b = nx(bDir, RUN_ALL, env);
    const hits = /Nx read the output from the cache instead of running the command for (\d+) out of (\d+) tasks/.exec(
      b.output,
    );
    log(`remote cache, agent B: ${b.seconds.toFixed(2)} s, cache hits ${hits ? `${hits[1]}/${hits[2]}` : 'none'}`);
    return {
      agentA: +a.seconds.toFixed(3),
      agentB: +b.seconds.toFixed(3),
      hits: hits ? Number(hits[1]) : 0,
      tasks: hits ? Number(hits[2]) : recipes.length,
    };
  } finally {
    await cache.stop();
  }
}

function writeDocs(r) {
  const file = join(repo, 'docs/benchmarks.md');
  const a = r.affectedAtScale;
  const lines = [
    '<!-- affected-at-scale -->',
    '## affected-at-scale (bench/affected.mjs)',
    '',
    `Generated by \`node bench/affected.mjs\` on ${r.machine.date} (${r.machine.cpu}; load average (1, 5, 15 min) ${r.machine.loadBefore.join(', ')} before, ${r.machine.loadAfter.join(', ')} after).${loadNote(r.machine.loadBefore, r.machine.loadAfter)}`,
    `A workspace of ${a.total} recipes (${a.edges} dependency edges) where one changed recipe makes ${a.tasks} build-recipe tasks affected, a cold agent (no .nx, dist or tmp), \`nx affected -t build-recipe --base=HEAD~1 --parallel=${a.parallel}\`, no daemon, as in CI:`,
    `${a.skipped} skipped by skipExisting against a local HTTP channel, one built in a container. Median [min–max] of ${a.wall.runs} runs per side, alternating.`,
    '',
    '| figure | nx-conda | baseline | ratio | goal |',
    '| --- | ---: | ---: | ---: | --- |',
    `| \`affected-at-scale\` (batch, the default; outside the one build) | ${fmt(a.outside)} | ${fmt(a.floor)} | ${a.ratio}× | ≤ 15 s and ≤ 1.3× (issue 26) |`,
    ...(r.perTask
      ? [
          `| \`affected-at-scale-per-task\` (\`NX_BATCH_MODE=false\`, one process per task; outside the one build) | ${fmt(r.perTask.outside)} | ${fmt(a.floor)} | ${r.perTask.ratio}× | reported (the path before the batch implementation) |`,
        ]
      : []),
    '',
    `- whole run ${fmt(a.wall)}; the one build (its summary line: staging, container, collection) ${fmt(a.build)}; batch: ${a.batch ? 'yes (one process for all tasks)' : 'no'}.`,
    "- baseline: the same workspace, projects, edges and affected tasks with no plugin work and no executor of ours (bench/floor-plugin.js: one `nx:run-commands` `true` build-recipe target per recipe folder, static edges from the run requirements), cached, cold: Nx's floor for the run, and the bare floor of the graph.",
    `- Nx's phases (NX_PERF_LOGGING, median s): project graph ${a.phases.graph.median} (floor ${a.floorPhases.graph.median}), task hashing ${a.phases.hash.median} (floor ${a.floorPhases.hash.median}), task execution ${a.phases.tasks.median} (floor ${a.floorPhases.tasks.median}); the rest of the run is Nx's start and the affected computation. The run printed ${a.lines} lines.`,
  ];
  if (r.perTask)
    lines.push(
      `- per-task side (${r.perTask.wall.runs} run${r.perTask.wall.runs > 1 ? 's' : ''}, ~3 min a run at 440 tasks): whole run ${fmt(r.perTask.wall)}, the one build ${fmt(r.perTask.build)}, ${r.perTask.skipped} skipped; batch over per-task (outside the build): ${+(a.outside.median / r.perTask.outside.median).toFixed(3)}×.`,
    );
  if (r.remoteCache) {
    const c = r.remoteCache;
    lines.push(
      `- \`affected-remote-cache\`: with Nx's self-hosted remote cache (e2e/utils/servers.js nx-cache on localhost), agent A's cold run ${c.agentA} s; agent B (fresh copy, empty local cache, one recipe changed) ${c.agentB} s, ${c.hits} of ${c.tasks} tasks from the remote cache.`,
    );
  }
  lines.push('<!-- /affected-at-scale -->');
  const section = lines.join('\n');
  let text = readFileSync(file, 'utf8');
  const re = /<!-- affected-at-scale -->[\s\S]*<!-- \/affected-at-scale -->/;
  text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
