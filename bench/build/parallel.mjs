// parallel-<p> (issue 13 item 3, issue 17 point 3): BENCH_PARALLEL_RECIPES
// independent trivial builds at --parallel=p beside the same at --parallel=1.
import { cpus } from 'node:os';
import { manyWorkspace } from './fixtures.mjs';
import { alternate, list, log, num, round } from './runner.mjs';

export default {
  name: 'parallel',
  figures: ['parallel'],
  env: 'BENCH_PARALLEL_RECIPES=20, BENCH_PARALLEL=1,2,4 (the first is the baseline), BENCH_PARALLEL_RUNS=2',
  run({ tpl, results }) {
    const levels = list('BENCH_PARALLEL', '1,2,4', '1,2,4');
    const runs = num('BENCH_PARALLEL_RUNS', 1, 2);
    const { ws, names } = manyWorkspace(tpl, 'parallel', num('BENCH_PARALLEL_RECIPES', 20, 20));
    ws.nx(['run', `${names[0]}:build-recipe`, '--skip-nx-cache']); // warm-up
    log(`parallelism: ${names.length} recipes, --parallel=${levels.join(',')} (${runs} runs each)...`);
    const sides = Object.fromEntries(
      levels.map((p) => [
        `p${p}`,
        () => ws.nx(['run-many', '-t', 'build-recipe', '--skip-nx-cache', `--parallel=${p}`]),
      ]),
    );
    const r = alternate(runs, sides);
    const one = r[`p${levels[0]}`];
    for (const p of levels.slice(1)) {
      results.figure(`parallel-${p}`, {
        what: `nx run-many -t build-recipe --skip-nx-cache --parallel=${p}, ${names.length} independent trivial recipes (${cpus().length} cores; one batch process)`,
        unit: 's',
        value: r[`p${p}`],
        baseline: one,
        baselineWhat: `the same with --parallel=${levels[0]}`,
        goal: p === 2 ? 'speed-up ≥ 1.7× (ratio ≤ 0.59)' : 'reported',
        extra: { speedUp: round(one.median / r[`p${p}`].median) },
      });
    }
    ws.remove();
  },
};
