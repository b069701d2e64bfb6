// package-image-absent, package-image-rerun (issue 19, point 6):
//   package-image-absent: `nx run bench-tool:package-image --force` (reader container, two-stage
//     build without layer cache, test container, tag) beside the same by hand: `docker build
//     --no-cache` of the same Dockerfile and context, then `docker run --network none` of the test.
//   package-image-rerun: the image exists and the package is unchanged, beside a
//     `docker image inspect` of the tag through Nx (nx:run-commands), and without Nx.
// Not in bench:build's default set (BENCH_ONLY=package-image, or `npm run bench:package-image`).
// Also writes dist/bench/package-image.json.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES, ROOT, Workspace, alternate, log, num, sh, timed, writeJson } from './runner.mjs';

const NAMESPACE = 'nx-conda-bench';
const TAG = `${NAMESPACE}/bench-tool:1.0--0`;
const HAND_TAG = `${NAMESPACE}/bench-tool-by-hand:1.0--0`;

function workspace(tpl) {
  const options = { image: IMAGES.conda, packageBaseImage: IMAGES.base, namespace: NAMESPACE };
  // No .gitignore, as this figure's workspace always had: what Nx hashes (and so whether the rerun is a cache hit) stays as measured before.
  const ws = new Workspace('bench-package-image', tpl, {
    nxJson: { plugins: [{ plugin: 'nx-conda', options }] },
    gitignore: false,
  });
  ws.write(
    'recipes/bench-tool/meta.yaml',
    'package:\n  name: bench-tool\n  version: "1.0"\nbuild:\n  number: 0\n  noarch: generic\n' +
      '  script: mkdir -p $PREFIX/share && echo bench > $PREFIX/share/bench-tool\n' +
      'test:\n  commands:\n    - test -f $PREFIX/share/bench-tool\n',
  );
  ws.write(
    'recipes/bench-tool/project.json',
    JSON.stringify({
      targets: {
        inspect: {
          executor: 'nx:run-commands',
          cache: false,
          options: { command: `docker image inspect ${TAG} > /dev/null` },
        },
      },
    }),
  );
  return ws;
}

/** The by-hand side: the same two stages over the same channel, then the same test in the image. */
function byHand(root) {
  const ctx = join(ROOT, 'package-image-by-hand');
  rmSync(ctx, { recursive: true, force: true });
  mkdirSync(ctx, { recursive: true });
  cpSync(join(root, 'dist/conda/recipes/bench-tool'), join(ctx, 'channel'), { recursive: true });
  writeFileSync(
    join(ctx, 'Dockerfile'),
    [
      `FROM ${IMAGES.conda} AS install`,
      'ENV CONDA_PKGS_DIRS=/tmp/pkgs',
      'COPY channel /opt/channel',
      'RUN ["conda","create","--yes","--quiet","--prefix","/usr/local","--override-channels","--channel","file:///opt/channel","bench-tool==1.0=0"]',
      `FROM ${IMAGES.base}`,
      'COPY --from=install /usr/local /usr/local',
      '',
    ].join('\n'),
  );
  const run = () =>
    timed('docker', ['build', '--quiet', '--no-cache', '--tag', HAND_TAG, ctx], ctx) +
    timed(
      'docker',
      ['run', '--rm', '--network', 'none', HAND_TAG, 'sh', '-c', 'test -f /usr/local/share/bench-tool'],
      ctx,
    );
  return { run, remove: () => rmSync(ctx, { recursive: true, force: true }) };
}

export default {
  name: 'package-image',
  figures: ['package-image'],
  optIn: true,
  env: 'BENCH_PKGIMAGE_RUNS=5, BENCH_PKGIMAGE_RERUNS=7 (opt-in: BENCH_ONLY=package-image)',
  run({ tpl, results }) {
    const runs = num('BENCH_PKGIMAGE_RUNS', 3, 5);
    const reruns = num('BENCH_PKGIMAGE_RERUNS', 3, 7);
    const ws = workspace(tpl);
    try {
      log('building the package once...');
      ws.nx(['run', 'bench-tool:build-recipe']);
      ws.nx(['run', 'bench-tool:package-image', '--excludeTaskDependencies']); // warm: the engine has the images
      const byHandSide = byHand(ws.root);
      byHandSide.run();
      log(`package-image with the image absent vs docker build + docker run by hand (${runs} runs each)...`);
      const absent = alternate(runs, {
        plugin: () => {
          sh('docker', ['image', 'rm', '--force', TAG], ws.root);
          return ws.nx(['run', 'bench-tool:package-image', '--force', '--excludeTaskDependencies']);
        },
        hand: () => {
          spawnSync('docker', ['image', 'rm', '--force', HAND_TAG]);
          return byHandSide.run();
        },
      });
      log(`rerun with nothing changed vs docker image inspect (${reruns} runs each)...`);
      const rerun = alternate(reruns, {
        plugin: () => {
          const s = ws.nx(['run', 'bench-tool:package-image', '--excludeTaskDependencies']);
          if (!/reused/.test(ws.lastOutput)) throw new Error(`the rerun did not reuse the image:\n${ws.lastOutput}`);
          return s;
        },
        inspect: () => ws.nx(['run', 'bench-tool:inspect']),
        raw: () => timed('docker', ['image', 'inspect', TAG], ws.root),
      });
      results.figure('package-image-absent', {
        what: 'nx run bench-tool:package-image --force --excludeTaskDependencies, the image absent (reader container, two-stage build without layer cache, test container, tag)',
        unit: 's',
        value: absent.plugin,
        baseline: absent.hand,
        baselineWhat:
          'the same Dockerfile and channel by hand: docker build --no-cache, then docker run --network none of the test (no Nx)',
        goal: '≤ 1.2×',
      });
      results.figure('package-image-rerun', {
        what: 'nx run bench-tool:package-image --excludeTaskDependencies, the image exists and the package is unchanged',
        unit: 's',
        value: rerun.plugin,
        baseline: rerun.inspect,
        baselineWhat: 'nx run bench-tool:inspect (nx:run-commands: docker image inspect of the tag)',
        goal: '≤ 1.1×',
        extra: { dockerImageInspectWithoutNx: rerun.raw },
      });
      const pick = (k) => {
        const f = results.figures[k];
        return {
          value: f.value,
          baseline: f.baseline,
          ratio: f.ratio,
          goal: f.goal,
          ...(f.extra ? { extra: f.extra } : {}),
        };
      };
      writeJson('package-image', {
        date: new Date().toISOString(),
        figures: {
          'package-image-absent': pick('package-image-absent'),
          'package-image-rerun': pick('package-image-rerun'),
        },
      });
      byHandSide.remove();
    } finally {
      for (const ref of [TAG, HAND_TAG]) spawnSync('docker', ['image', 'rm', '--force', ref]);
      ws.remove();
    }
  },
};
