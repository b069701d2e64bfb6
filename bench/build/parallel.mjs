// parallel-<p> (issue 13 item 3, issue 17 point 3): BENCH_PARALLEL_RECIPES
// independent trivial builds at --parallel=p beside the same at --parallel=1,
// and the same builds by hand (nx:run-commands, docker run --rm) at both
// levels: the speed-up the engine and Nx allow on this machine, since on 2
// cores a trivial build is bound by the CPU the engine spends per container.
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
    ws.nx(['run', `${names[0]}:bare`, '--skip-nx-cache']);
    log(`parallelism: ${names.length} recipes, --parallel=${levels.join(',')} (${runs} runs each), by hand too...`);
    const runMany = (target, p) => () => ws.nx(['run-many', '-t', target, '--skip-nx-cache', `--parallel=${p}`]);
    const sides = {};
    for (const p of levels) {
      sides[`p${p}`] = runMany('build-recipe', p);
      sides[`bare${p}`] = runMany('bare', p);
    }
    const r = alternate(runs, sides);
    const one = r[`p${levels[0]}`];
    const bareOne = r[`bare${levels[0]}`];
    for (const p of levels.slice(1)) {
      const speedUp = round(one.median / r[`p${p}`].median);
      const floorSpeedUp = round(bareOne.median / r[`bare${p}`].median);
      results.figure(`parallel-${p}`, {
        what: `nx run-many -t build-recipe --skip-nx-cache --parallel=${p}, ${names.length} independent trivial recipes (${cpus().length} cores; one batch process)`,
        unit: 's',
        value: r[`p${p}`],
        baseline: one,
        baselineWhat: `the same with --parallel=${levels[0]}`,
        goal: p === 2 ? 'speed-up ≥ 1.7× (ratio ≤ 0.59)' : 'reported',
        extra: {
          speedUp,
          byHand: r[`bare${p}`],
          byHandSerial: bareOne,
          byHandSpeedUp: floorSpeedUp,
          speedUpOfByHand: round(speedUp / floorSpeedUp),
        },
      });
      log(`parallel-${p}: speed-up ${speedUp}× (by hand through nx:run-commands: ${floorSpeedUp}×)`);
    }
    ws.remove();
  },
};
