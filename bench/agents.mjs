// agents-plan (issue 28): the cost of making a many-agents plan beside Nx's
// own graph, and its balance. The planner (lib/executors/stages.js, built by
// `npm run build`) runs on the task graph of an affected run: recipes of a
// BENCH_RECIPES-recipe graph changed until BENCH_AFFECTED are affected (changed
// or depending on a changed one), with the dependencies of all of them (the
// tasks `nx affected -t build-recipe` runs); affected recipes cost 1, their
// unaffected dependencies 0 (published: skipExisting). For each agent count: the planner's time (median
// [min–max] of BENCH_RUNS runs), the stages, each stage's largest ÷ ideal, and
// the plan's length against its lower bound.
//
// The graph is synthetic (each recipe requires up to three earlier ones, as in
// bench/affected.mjs), or the edges of a real workspace: BENCH_GRAPH=<file> with
// { "<project>": ["<dependency>", ...] } (e.g. from `nx graph --file=graph.json`
// reduced to build edges).
//
// Usage: npm run build && node bench/agents.mjs
//   Env: BENCH_RECIPES=10000, BENCH_AFFECTED=500, BENCH_AGENTS=2,4,6, BENCH_MAX_STAGES=6 (the example workflow's stage jobs), BENCH_RUNS=5, BENCH_GRAPH
// Writes dist/bench/agents.json and its section of docs/benchmarks.md (between <!-- agents-plan --> markers).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadNote, loadNow, log, repo, setLogPrefix, stats, writeJson } from './build/runner.mjs';

const RECIPES = Number(process.env.BENCH_RECIPES ?? 10000);
const AFFECTED = Number(process.env.BENCH_AFFECTED ?? 500);
const AGENTS = (process.env.BENCH_AGENTS ?? '2,4,6').split(',').map(Number);
const MAX_STAGES = Number(process.env.BENCH_MAX_STAGES ?? 6);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
setLogPrefix('bench:agents');

const stagesModule = join(repo, 'lib/executors/stages.js');
if (!existsSync(stagesModule)) {
  console.error(`bench:agents: ${stagesModule} is missing; run npm run build first.`);
  process.exit(2);
}
const { planStages } = createRequire(import.meta.url)(stagesModule);

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticGraph(n) {
  const rnd = random(17);
  const name = (i) => `pkg${String(i).padStart(5, '0')}`;
  const deps = new Map();
  for (let i = 0; i < n; i++) {
    const set = new Set();
    const count = i === 0 ? 0 : Math.floor(rnd() * 4);
    for (let k = 0; k < count; k++) set.add(name(Math.floor(rnd() * i)));
    deps.set(name(i), [...set]);
  }
  return deps;
}

function loadGraph() {
  if (!process.env.BENCH_GRAPH) return syntheticGraph(RECIPES);
  const data = JSON.parse(readFileSync(process.env.BENCH_GRAPH, 'utf8'));
  return new Map(Object.entries(data).map(([k, v]) => [k, v.filter((d) => d in data)]));
}

/**
 * The tasks of an affected run: recipes changed one by one (seeded) until
 * `affectedCount` are affected (changed, or depending on a changed one), and
 * the dependencies of all of them.
 */
function affectedRun(deps, affectedCount) {
  const names = [...deps.keys()].sort();
  const rnd = random(29);
  const dependents = new Map();
  for (const [n, list] of deps) for (const d of list) dependents.set(d, [...(dependents.get(d) ?? []), n]);
  const changed = new Set();
  const affected = new Set();
  while (affected.size < Math.min(affectedCount, names.length)) {
    const pick = names[Math.floor(rnd() * names.length)];
    if (changed.has(pick)) continue;
    changed.add(pick);
    affected.add(pick);
    for (const stack = [pick]; stack.length;)
      for (const d of dependents.get(stack.pop()) ?? [])
        if (!affected.has(d)) {
          affected.add(d);
          stack.push(d);
        }
  }
  const tasks = new Set(affected);
  for (const stack = [...affected]; stack.length;)
    for (const d of deps.get(stack.pop()) ?? [])
      if (!tasks.has(d)) {
        tasks.add(d);
        stack.push(d);
      }
  const cost = new Map([...tasks].map((t) => [t, affected.has(t) ? 1 : 0]));
  return { tasks: [...tasks], deps, cost, changed: changed.size, affected: affected.size };
}

function main() {
  const load = loadNow();
  const deps = loadGraph();
  const run = affectedRun(deps, AFFECTED);
  log(`${deps.size} recipes, ${run.changed} changed, ${run.affected} affected, ${run.tasks.length} tasks in the run`);
  const results = {
    recipes: deps.size,
    changed: run.changed,
    affected: run.affected,
    tasks: run.tasks.length,
    byAgents: [],
  };
  for (const agents of AGENTS) {
    const times = [];
    let plan;
    for (let i = 0; i < RUNS; i++) {
      const started = process.hrtime.bigint();
      plan = planStages(run, { agents, maxStages: MAX_STAGES, stageOverhead: 1 });
      times.push(Number(process.hrtime.bigint() - started) / 1e9);
    }
    const entry = {
      agents,
      seconds: stats(times),
      stages: plan.stages.map((s) => ({
        cost: s.cost,
        largest: s.largest,
        ideal: +s.ideal.toFixed(2),
        ratio: +s.ratio.toFixed(3),
      })),
      length: plan.length,
      lowerBound: +plan.lowerBound.toFixed(2),
    };
    results.byAgents.push(entry);
    log(
      `${agents} agents: ${entry.seconds.median} s; stages (largest ÷ ideal): ${entry.stages.map((s) => s.ratio).join(', ')}; length ${entry.length} vs lower bound ${entry.lowerBound}`,
    );
  }
  results.machine = {
    cpu: `${cpus()[0].model} × ${cpus().length}`,
    node: process.version,
    loadBefore: load,
    loadAfter: loadNow(),
    date: new Date().toISOString(),
    graph: process.env.BENCH_GRAPH ? 'file' : 'synthetic',
  };
  writeJson('agents', results);
  writeDocs(results);
}

function writeDocs(r) {
  const file = join(repo, 'docs/benchmarks.md');
  const lines = [
    '<!-- agents-plan -->',
    '## agents-plan (bench/agents.mjs)',
    '',
    `Generated by \`node bench/agents.mjs\` on ${r.machine.date} (${r.machine.cpu}; load average ${r.machine.loadBefore.join(', ')} before, ${r.machine.loadAfter.join(', ')} after).${loadNote(r.machine.loadBefore, r.machine.loadAfter)}`,
    `The planner alone (no Nx) on the ${r.machine.graph} graph of ${r.recipes} recipes: ${r.changed} changed, ${r.affected} affected (cost 1), ${r.tasks} tasks with their dependencies (cost 0), at most ${MAX_STAGES} stages.`,
    '',
    '| agents | plan time | stages: largest ÷ ideal | length (Σ largest) | lower bound |',
    '| ---: | ---: | --- | ---: | ---: |',
    ...r.byAgents.map(
      (a) =>
        `| ${a.agents} | ${a.seconds.median} [${a.seconds.min}–${a.seconds.max}] s | ${a.stages.map((s) => `${s.ratio} (${s.largest} ÷ ${s.ideal})`).join('; ')} | ${a.length} | ${a.lowerBound} |`,
    ),
    '<!-- /agents-plan -->',
  ];
  const section = lines.join('\n');
  let text = readFileSync(file, 'utf8');
  const re = /<!-- agents-plan -->[\s\S]*<!-- \/agents-plan -->/;
  text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
}

main();
