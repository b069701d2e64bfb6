// package-image-absent, package-image-rerun, package-image-rerun-many (issue 19, point 6):
//   package-image-absent: `nx run bench-tool:package-image --force` (reader container, two-stage
//     build without layer cache, test container, tag) beside the same by hand: `docker build
//     --no-cache` of the same Dockerfile and context, then `docker run --network none` of the test;
//     and beside that same by-hand script through Nx (nx:run-commands), Nx's share.
//   package-image-rerun: the image exists and the package is unchanged, beside a
//     `docker image inspect` of the tag through Nx (nx:run-commands), beside a one-line executor
//     running that inspect (Nx forks every executor but nx:run-commands: the floor of any
//     executor), and without Nx.
//   package-image-rerun-many: the same rerun for BENCH_PKGIMAGE_MANY projects in one
//     `nx run-many` (the batch implementation, the default), beside the per-task path
//     (NX_BATCH_MODE=false) and an nx:run-commands inspect per project.
// Not in bench:build's default set (BENCH_ONLY=package-image, or `npm run bench:package-image`).
// Also writes dist/bench/package-image.json.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFloorExecutor } from './fixtures.mjs';
import { IMAGES, ROOT, Workspace, alternate, log, num, round, sh, timed, writeJson } from './runner.mjs';

const NAMESPACE = 'nx-conda-bench';
const tagOf = (name) => `${NAMESPACE}/${name}:1.0--0`;
const TAG = tagOf('bench-tool');
const HAND_TAG = tagOf('bench-tool-by-hand');
const HAND_DIR = join(ROOT, 'package-image-by-hand');

const meta = (name) =>
  `package:\n  name: ${name}\n  version: "1.0"\nbuild:\n  number: 0\n  noarch: generic\n` +
  `  script: mkdir -p $PREFIX/share && echo bench > $PREFIX/share/${name}\n` +
  `test:\n  commands:\n    - test -f $PREFIX/share/${name}\n`;

const inspectTarget = (tag) => ({
  executor: 'nx:run-commands',
  cache: false,
  options: { command: `docker image inspect ${tag} > /dev/null` },
});

const dangling = () =>
  spawnSync('docker', ['image', 'ls', '--quiet', '--no-trunc', '--filter', 'dangling=true'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);

/** `bench-tool` plus `many` more recipes (`bench-tool-01`...), each with an `inspect` of its tag. */
function workspace(tpl, many) {
  const options = { image: IMAGES.conda, packageBaseImage: IMAGES.base, namespace: NAMESPACE };
  // No .gitignore, as this figure's workspace always had: what Nx hashes (and so whether the rerun is a cache hit) stays as measured before.
  const ws = new Workspace('bench-package-image', tpl, {
    nxJson: { plugins: [{ plugin: 'nx-conda', options }] },
    gitignore: false,
  });
  const names = [
    'bench-tool',
    ...Array.from({ length: many }, (_, i) => `bench-tool-${String(i + 1).padStart(2, '0')}`),
  ];
  for (const name of names) {
    ws.write(`recipes/${name}/meta.yaml`, meta(name));
    const targets = { inspect: inspectTarget(tagOf(name)) };
    if (name === 'bench-tool') {
      targets['by-hand'] = {
        executor: 'nx:run-commands',
        cache: false,
        options: { command: `node ${join(HAND_DIR, 'run.mjs')}` },
      };
      targets.floor = {
        executor: 'bench-floor:run',
        cache: false,
        options: { command: `docker image inspect ${TAG} > /dev/null` },
      };
    }
    ws.write(`recipes/${name}/project.json`, JSON.stringify({ targets }));
  }
  writeFloorExecutor(ws);
  return { ws, names };
}

/** The by-hand side: the same two stages over the same channel, then the same test in the image (a script, so Nx can run it too). */
function byHand(root) {
  rmSync(HAND_DIR, { recursive: true, force: true });
  mkdirSync(HAND_DIR, { recursive: true });
  cpSync(join(root, 'dist/conda/recipes/bench-tool'), join(HAND_DIR, 'channel'), { recursive: true });
  writeFileSync(
    join(HAND_DIR, 'Dockerfile'),
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
  writeFileSync(
    join(HAND_DIR, 'run.mjs'),
    [
      "import { execFileSync } from 'node:child_process';",
      `const o = { cwd: ${JSON.stringify(HAND_DIR)}, stdio: 'ignore' };`,
      `execFileSync('docker', ['build', '--quiet', '--no-cache', '--tag', ${JSON.stringify(HAND_TAG)}, '.'], o);`,
      `execFileSync('docker', ['run', '--rm', '--network', 'none', ${JSON.stringify(HAND_TAG)}, 'sh', '-c', 'test -f /usr/local/share/bench-tool'], o);`,
      '',
    ].join('\n'),
  );
  return () => timed(process.execPath, [join(HAND_DIR, 'run.mjs')], HAND_DIR);
}

export default {
  name: 'package-image',
  figures: ['package-image'],
  optIn: true,
  env: 'BENCH_PKGIMAGE_RUNS=5, BENCH_PKGIMAGE_RERUNS=7, BENCH_PKGIMAGE_MANY=20 (opt-in: BENCH_ONLY=package-image)',
  run({ tpl, results }) {
    const runs = num('BENCH_PKGIMAGE_RUNS', 3, 5);
    const reruns = num('BENCH_PKGIMAGE_RERUNS', 3, 7);
    const many = num('BENCH_PKGIMAGE_MANY', 5, 20);
    const { ws, names } = workspace(tpl, many);
    // The by-hand side leaves its install stage as an unnamed image each run (legacy builder); removed at the end.
    const danglingBefore = new Set(dangling());
    try {
      log(`building ${names.length} packages and their images once...`);
      ws.nx(['run-many', '-t', 'build-recipe']);
      ws.nx(['run-many', '-t', 'package-image', '--excludeTaskDependencies']); // warm: the engine has the images
      const handRun = byHand(ws.root);
      handRun();
      log(`package-image with the image absent vs docker build + docker run by hand (${runs} runs each)...`);
      const absent = alternate(runs, {
        plugin: () => {
          sh('docker', ['image', 'rm', '--force', TAG], ws.root);
          return ws.nx(['run', 'bench-tool:package-image', '--force', '--excludeTaskDependencies']);
        },
        hand: () => {
          spawnSync('docker', ['image', 'rm', '--force', HAND_TAG]);
          return handRun();
        },
        handNx: () => {
          spawnSync('docker', ['image', 'rm', '--force', HAND_TAG]);
          return ws.nx(['run', 'bench-tool:by-hand']);
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
        floor: () => ws.nx(['run', 'bench-tool:floor']),
        raw: () => timed('docker', ['image', 'inspect', TAG], ws.root),
      });
      log(
        `rerun of ${names.length} projects at once: batch vs per task vs nx:run-commands inspect (${runs} runs each)...`,
      );
      const all = ['run-many', '-t', 'package-image', '--excludeTaskDependencies'];
      const rerunMany = alternate(runs, {
        batch: () => {
          const s = ws.nx(all);
          if ((ws.lastOutput.match(/reused \(/g) ?? []).length !== names.length)
            throw new Error(`not every image was reused:\n${ws.lastOutput.slice(-3000)}`);
          return s;
        },
        perTask: () => ws.nx(all, { env: { NX_BATCH_MODE: 'false' } }),
        inspect: () => ws.nx(['run-many', '-t', 'inspect']),
      });
      results.figure('package-image-absent', {
        what: 'nx run bench-tool:package-image --force --excludeTaskDependencies, the image absent (reader container, two-stage build without layer cache, test container, tag)',
        unit: 's',
        value: absent.plugin,
        baseline: absent.hand,
        baselineWhat:
          'the same Dockerfile and channel by hand: docker build --no-cache, then docker run --network none of the test (no Nx)',
        goal: '≤ 1.2×',
        extra: {
          byHandThroughNx: absent.handNx,
          ratioToByHandThroughNx: round(absent.plugin.median / absent.handNx.median),
        },
      });
      results.figure('package-image-rerun', {
        what: 'nx run bench-tool:package-image --excludeTaskDependencies, the image exists and the package is unchanged',
        unit: 's',
        value: rerun.plugin,
        baseline: rerun.inspect,
        baselineWhat: 'nx run bench-tool:inspect (nx:run-commands: docker image inspect of the tag)',
        goal: '≤ 1.1×',
        extra: {
          executorFloor: rerun.floor,
          ratioToExecutorFloor: round(rerun.plugin.median / rerun.floor.median),
          dockerImageInspectWithoutNx: rerun.raw,
        },
      });
      results.figure('package-image-rerun-many', {
        what: `nx run-many -t package-image --excludeTaskDependencies over ${names.length} projects whose images are up to date (batch implementation, the default)`,
        unit: 's',
        value: rerunMany.batch,
        baseline: rerunMany.inspect,
        baselineWhat: `nx run-many -t inspect (nx:run-commands: docker image inspect of each of the ${names.length} tags)`,
        goal: 'reported',
        extra: {
          perTaskPath: rerunMany.perTask,
          perTaskRatioToBaseline: round(rerunMany.perTask.median / rerunMany.inspect.median),
        },
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
        figures: Object.fromEntries(
          ['package-image-absent', 'package-image-rerun', 'package-image-rerun-many'].map((k) => [k, pick(k)]),
        ),
      });
      rmSync(HAND_DIR, { recursive: true, force: true });
    } finally {
      for (const ref of [HAND_TAG, ...names.map(tagOf)]) spawnSync('docker', ['image', 'rm', '--force', ref]);
      const left = dangling().filter((id) => !danglingBefore.has(id));
      if (left.length > 0) spawnSync('docker', ['image', 'rm', ...left]);
      ws.remove();
    }
  },
};
