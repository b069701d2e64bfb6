// build-overhead, build-overhead-<n>-deps (issue 13 item 1, issue 17 point 3):
// one trivial build through build-recipe beside the same `docker run --rm`
// through nx:run-commands, and beside a one-line executor running it (Nx's
// floor for any executor), with 0 and BENCH_DEPS dependency packages in staging.
import { join } from 'node:path';
import {
  bareTarget,
  buildRecipe,
  fakeChannel,
  rattlerCommand,
  rattlerRecipe,
  writeFloorExecutor,
} from './fixtures.mjs';
import { IMAGES, Workspace, alternate, list, log, num, round } from './runner.mjs';

const runs = num('BENCH_RUNS', 3, 5);
const packageKb = num('BENCH_PKG_KB', 32, 32);

export default {
  name: 'overhead',
  figures: ['build-overhead'],
  env: 'BENCH_RUNS=5 (runs per side and dependency count), BENCH_DEPS=50,500 (dependency package counts besides 0)',
  run({ tpl, results }) {
    const deps = list('BENCH_DEPS', '50,500', '50,500');
    const ws = new Workspace('overhead', tpl);
    const counts = [0, ...deps];
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
        fakeChannel(join(ws.root, out), n, packageKb);
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
      log(`build overhead, ${n} dependency packages (${runs} runs each)...`);
      const sides = {
        bare: () => ws.nx(['run', `x${n}:bare`, ...flags]),
        floor: () => ws.nx(['run', `x${n}:floor`, ...flags]),
        plugin: () => ws.nx(['run', `x${n}:build-recipe`, ...flags]),
      };
      // The plugin side goes through the batch implementation (preferBatch); one build also per task, for comparison.
      if (n === 0)
        sides.perTask = () => ws.nx(['run', `x${n}:build-recipe`, ...flags], { env: { NX_BATCH_MODE: 'false' } });
      const r = alternate(runs, sides);
      if (n > 0 && !new RegExp(`${n} package\\(s\\) from 1 dependency`).test(ws.lastOutput))
        log(`warning: x${n}'s staging channel did not hold ${n} packages:\n${ws.lastOutput.slice(-1500)}`);
      results.figure(n === 0 ? 'build-overhead' : `build-overhead-${n}-deps`, {
        what: `nx run x:build-recipe --skip-nx-cache (batch implementation, the default), trivial recipe.yaml (rattler-build)${n ? `, ${n} dependency packages in staging` : ''}${n ? '' : '; perTaskPath: the same with NX_BATCH_MODE=false'}`,
        unit: 's',
        value: r.plugin,
        baseline: r.bare,
        baselineWhat: `nx run x:bare (nx:run-commands: docker run --rm, same build command, same image${n ? ', the dependency folder mounted as a channel' : ''})`,
        goal: n === 0 ? '≤ 1.15×' : '≤ 1.25×',
        extra: {
          executorFloor: r.floor,
          ratioToExecutorFloor: round(r.plugin.median / r.floor.median),
          ...(r.perTask
            ? { perTaskPath: r.perTask, perTaskRatioToBaseline: round(r.perTask.median / r.bare.median) }
            : {}),
        },
      });
    }
    ws.remove();
  },
};
