// conda-build (issue 13 item 6): a trivial meta.yaml built with real
// conda-build through nx-conda, beside the same command by hand (no Nx).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildRecipe, condaBuildSh, condaMeta } from './fixtures.mjs';
import { GID, IMAGES, UID, Workspace, alternate, log, num, round, sh, stats } from './runner.mjs';

export default {
  name: 'conda',
  figures: ['conda-build'],
  env: 'BENCH_CONDA_RUNS=3',
  run({ tpl, results }) {
    const runs = num('BENCH_CONDA_RUNS', 1, 3);
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
    const inner = [];
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
    log(`real conda-build (${runs} runs each)...`);
    const r = alternate(runs, {
      byHand,
      plugin: () => ws.nx(['run', 'y:build-recipe', '--skip-nx-cache']),
    });
    results.figure('conda-build', {
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
  },
};
