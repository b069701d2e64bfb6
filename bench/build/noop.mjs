// noop-rerun (issue 13 item 4): a rerun of BENCH_NOOP_RECIPES cached recipes
// beside as many cached nx:run-commands tasks.
import { manyWorkspace } from './fixtures.mjs';
import { alternate, log, num } from './runner.mjs';

export default {
  name: 'noop',
  figures: ['noop-rerun'],
  env: 'BENCH_NOOP_RECIPES=100, BENCH_NOOP_RUNS=5',
  run({ tpl, results }) {
    const runs = num('BENCH_NOOP_RUNS', 3, 5);
    const { ws, names } = manyWorkspace(tpl, 'noop', num('BENCH_NOOP_RECIPES', 100, 100));
    log(`no-op rerun: building ${names.length} recipes once to fill Nx's cache...`);
    ws.nx(['run-many', '-t', 'build-recipe', '--parallel=4']);
    ws.nx(['run-many', '-t', 'cached', '--parallel=4']);
    log(`no-op rerun: ${runs} runs each...`);
    const r = alternate(runs, {
      cached: () => ws.nx(['run-many', '-t', 'cached', '--parallel=4']),
      plugin: () => {
        const s = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=4']);
        if (!/from cache|Nx read the output from the cache/i.test(ws.lastOutput))
          log('warning: the rerun did not report cache hits');
        return s;
      },
    });
    results.figure('noop-rerun', {
      what: `nx run-many -t build-recipe over ${names.length} recipes, all cache hits`,
      unit: 's',
      value: r.plugin,
      baseline: r.cached,
      baselineWhat: `nx run-many over ${names.length} cached nx:run-commands tasks (one output folder each)`,
      goal: '≤ 1.1×',
    });
    ws.remove();
  },
};
