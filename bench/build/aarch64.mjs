// build-aarch64-emulated (issue 27 point 6): one trivial linux-aarch64 build
// under qemu user emulation through build-recipe (platform: linux-aarch64),
// beside the same build by hand (`docker run --platform linux/arm64 --rm`
// through nx:run-commands) and a one-line executor running it (Nx's floor),
// and beside the native linux-64 build of the same recipe. Opt-in: it needs the
// arm64 test images (`npm run e2e:images` with a qemu-aarch64 handler).
import { bareTarget, buildRecipe, rattlerRecipe, writeFloorExecutor } from './fixtures.mjs';
import { IMAGES, Workspace, alternate, log, num, requireImages, round } from './runner.mjs';

const runs = num('BENCH_RUNS', 2, 5);
const ARM64_RATTLER = 'nx-conda-e2e/rattler-build:arm64';
// A package for the platform (not noarch), so the build is really linux-aarch64's.
const recipe = rattlerRecipe('x').replace('  noarch: generic\n', '');
const command = (platform) =>
  `rattler-build build --recipe /opt/recipe/recipe.yaml --output-dir /opt/host-conda-bld -c file:///opt/host-conda-bld --target-platform ${platform}`;

export default {
  name: 'aarch64',
  figures: ['build-aarch64-emulated'],
  optIn: true,
  env: `BENCH_RUNS=${runs} (runs per side); needs ${ARM64_RATTLER}`,
  run({ tpl, results }) {
    requireImages([ARM64_RATTLER, IMAGES.rattler]);
    const ws = new Workspace('aarch64', tpl);
    const root = 'recipes/x';
    ws.write(`${root}/recipe.yaml`, recipe);
    const bare = bareTarget(root, 'tmp/bare/x', ARM64_RATTLER, command('linux-aarch64'));
    // No network on every side: the recipe needs none, and the figure then leaves the engine's bridge out.
    bare.options.command = bare.options.command.replace(
      'docker run --rm',
      'docker run --platform linux/arm64 --network none --rm',
    );
    ws.project('x', root, {
      'build-recipe-linux-aarch64': buildRecipe(ARM64_RATTLER, 'dist/conda/linux-aarch64/x', {
        platform: 'linux-aarch64',
        network: 'none',
      }),
      'build-recipe': buildRecipe(IMAGES.rattler, 'dist/conda/linux-64/x', { network: 'none' }),
      bare,
      floor: { executor: 'bench-floor:run', cache: false, options: { command: bare.options.command } },
    });
    writeFloorExecutor(ws);
    const flags = ['--skip-nx-cache', '--excludeTaskDependencies'];
    for (const t of ['build-recipe-linux-aarch64', 'bare', 'floor', 'build-recipe']) ws.nx(['run', `x:${t}`, ...flags]);
    log(`emulated linux-aarch64 build (${runs} runs each)...`);
    const r = alternate(runs, {
      plugin: () => ws.nx(['run', 'x:build-recipe-linux-aarch64', ...flags]),
      bare: () => ws.nx(['run', 'x:bare', ...flags]),
      floor: () => ws.nx(['run', 'x:floor', ...flags]),
      native: () => ws.nx(['run', 'x:build-recipe', ...flags]),
    });
    if (!/linux-aarch64\/x-1\.0\.0-/.test(ws.lastOutput) && !/built 1 package/.test(ws.lastOutput))
      log(`warning: the last run did not report the package:\n${ws.lastOutput.slice(-1500)}`);
    results.figure('build-aarch64-emulated', {
      what: 'nx run x:build-recipe-linux-aarch64 --skip-nx-cache (platform: linux-aarch64, qemu user emulation, network none), trivial recipe.yaml (rattler-build) for linux-aarch64; nativeLinux64: x:build-recipe, the same recipe for linux-64 in the amd64 image',
      unit: 's',
      value: r.plugin,
      baseline: r.bare,
      baselineWhat:
        'nx run x:bare (nx:run-commands: docker run --platform linux/arm64 --network none --rm, same build command, same arm64 image)',
      goal: '≤ 1.1× the executor floor',
      extra: {
        executorFloor: r.floor,
        ratioToExecutorFloor: round(r.plugin.median / r.floor.median),
        nativeLinux64: r.native,
        ratioToNativeLinux64: round(r.plugin.median / r.native.median),
      },
    });
    ws.remove();
  },
};
