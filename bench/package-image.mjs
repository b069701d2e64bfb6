// package-image benchmark (issue 19, point 6), one figure file of its own:
//   package-image-absent: `nx run bench-tool:package-image --force` (reader container, two-stage
//     build without layer cache, test container, tag) beside the same by hand: `docker build
//     --no-cache` of the same Dockerfile and context, then `docker run --network none` of the test.
//   package-image-rerun: the image exists and the package is unchanged, beside a
//     `docker image inspect` of the tag through Nx (nx:run-commands), and without Nx.
// Runs alternate; each figure is median [min–max] with the ratio of medians.
//
// Usage: node bench/package-image.mjs      Env: BENCH_PKGIMAGE_RUNS=5, BENCH_PKGIMAGE_RERUNS=7,
//   BENCH_TEMPLATE=<installed template> (else the plugin is packed and installed into BENCH_ROOT),
//   BENCH_ROOT (default $TMPDIR/nx-conda-bench-package-image), BENCH_KEEP=1 keeps the workspace.
// Writes dist/bench/package-image.json; the figures are quoted by hand in docs/benchmarks.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_PKGIMAGE_RUNS ?? 5);
const RERUNS = Number(process.env.BENCH_PKGIMAGE_RERUNS ?? 7);
const ROOT = resolve(process.env.BENCH_ROOT ?? join(tmpdir(), 'nx-conda-bench-package-image'));
const IMAGES = { conda: 'nx-conda-e2e/conda-build:latest', base: 'nx-conda-e2e/base:bookworm' };
const NAMESPACE = 'nx-conda-bench';
const TAG = `${NAMESPACE}/bench-tool:1.0--0`;
const HAND_TAG = `${NAMESPACE}/bench-tool-by-hand:1.0--0`;
const log = (s) => console.log(`[bench:package-image] ${s}`);

const round = (x) => Math.round(x * 1000) / 1000;
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]), runs: s.length };
}
function alternate(runs, sides) {
  const times = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, f] of Object.entries(sides)) times[k].push(f(i));
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, stats(xs)]));
}
function sh(cmd, args, cwd, opts = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0)
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
function timed(cmd, args, cwd) {
  const t = process.hrtime.bigint();
  sh(cmd, args, cwd);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** The plugin packed as published, installed with the repository's Nx (as bench/build.mjs and the e2e setup do). */
function template() {
  if (process.env.BENCH_TEMPLATE) return resolve(process.env.BENCH_TEMPLATE);
  const packDir = join(ROOT, 'pack');
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  sh('npm', ['pack', '--silent', '--pack-destination', packDir], repo);
  const tarball = join(
    packDir,
    readdirSync(packDir).find((f) => f.endsWith('.tgz')),
  );
  const nxVersion = JSON.parse(readFileSync(join(repo, 'node_modules', 'nx', 'package.json'), 'utf8')).version;
  const dir = join(ROOT, 'template');
  const want = `${createHash('sha256').update(readFileSync(tarball)).digest('hex')} nx@${nxVersion}`;
  const marker = join(dir, '.installed');
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== want) {
    log(`installing the plugin with nx@${nxVersion} into ${dir}...`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(tarball, join(dir, 'nx-conda.tgz'));
    const devDependencies = { nx: nxVersion, 'nx-conda': `file:${join(dir, 'nx-conda.tgz')}` };
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench', private: true, devDependencies }));
    sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
    writeFileSync(marker, want);
  }
  return dir;
}

function workspace(tpl) {
  const root = join(ROOT, 'ws');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  execFileSync('cp', ['-al', join(tpl, 'node_modules'), join(root, 'node_modules')]);
  const write = (path, text) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('package.json', JSON.stringify({ name: 'bench-package-image', private: true }));
  const options = { image: IMAGES.conda, packageBaseImage: IMAGES.base, namespace: NAMESPACE };
  write('nx.json', JSON.stringify({ plugins: [{ plugin: 'nx-conda', options }] }, null, 2));
  write(
    'recipes/bench-tool/meta.yaml',
    'package:\n  name: bench-tool\n  version: "1.0"\nbuild:\n  number: 0\n  noarch: generic\n' +
      '  script: mkdir -p $PREFIX/share && echo bench > $PREFIX/share/bench-tool\n' +
      'test:\n  commands:\n    - test -f $PREFIX/share/bench-tool\n',
  );
  write(
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
  const nx = (args) => {
    const outFile = join(root, '.bench-out.txt');
    const out = openSync(outFile, 'w');
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(root, 'node_modules/nx/dist/bin/nx.js'), ...args], {
      cwd: root,
      stdio: ['ignore', out, out],
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', CI: 'true' },
    });
    const secs = Number(process.hrtime.bigint() - t) / 1e9;
    closeSync(out);
    const output = readFileSync(outFile, 'utf8');
    if (r.status !== 0) throw new Error(`nx ${args.join(' ')} failed:\n${output.slice(-4000)}`);
    return { secs, output };
  };
  return { root, nx };
}

/** The by-hand side: the same two stages over the same channel, then the same test in the image. */
function byHand(root) {
  const ctx = join(ROOT, 'by-hand');
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
  return () =>
    timed('docker', ['build', '--quiet', '--no-cache', '--tag', HAND_TAG, ctx], ctx) +
    timed(
      'docker',
      ['run', '--rm', '--network', 'none', HAND_TAG, 'sh', '-c', 'test -f /usr/local/share/bench-tool'],
      ctx,
    );
}

function main() {
  const tpl = template();
  const ws = workspace(tpl);
  log('building the package once...');
  ws.nx(['run', 'bench-tool:build-recipe']);
  ws.nx(['run', 'bench-tool:package-image', '--excludeTaskDependencies']); // warm: the engine has the images
  const hand = byHand(ws.root);
  hand();
  log(`package-image with the image absent vs docker build + docker run by hand (${RUNS} runs each)...`);
  const absent = alternate(RUNS, {
    plugin: () => {
      sh('docker', ['image', 'rm', '--force', TAG], ws.root);
      return ws.nx(['run', 'bench-tool:package-image', '--force', '--excludeTaskDependencies']).secs;
    },
    hand: () => {
      spawnSync('docker', ['image', 'rm', '--force', HAND_TAG]);
      return hand();
    },
  });
  log(`rerun with nothing changed vs docker image inspect (${RERUNS} runs each)...`);
  const rerun = alternate(RERUNS, {
    plugin: () => {
      const r = ws.nx(['run', 'bench-tool:package-image', '--excludeTaskDependencies']);
      if (!/reused/.test(r.output)) throw new Error(`the rerun did not reuse the image:\n${r.output}`);
      return r.secs;
    },
    inspect: () => ws.nx(['run', 'bench-tool:inspect']).secs,
    raw: () => timed('docker', ['image', 'inspect', TAG], ws.root),
  });
  const figures = {
    'package-image-absent': {
      value: absent.plugin,
      baseline: absent.hand,
      ratio: round(absent.plugin.median / absent.hand.median),
      goal: '≤ 1.2×',
    },
    'package-image-rerun': {
      value: rerun.plugin,
      baseline: rerun.inspect,
      ratio: round(rerun.plugin.median / rerun.inspect.median),
      goal: '≤ 1.1×',
      extra: { dockerImageInspectWithoutNx: rerun.raw },
    },
  };
  for (const [k, f] of Object.entries(figures))
    log(
      `${k}: ${f.value.median} s [${f.value.min}–${f.value.max}] vs ${f.baseline.median} s [${f.baseline.min}–${f.baseline.max}] → ${f.ratio}× (goal ${f.goal})`,
    );
  mkdirSync(join(repo, 'dist', 'bench'), { recursive: true });
  writeFileSync(
    join(repo, 'dist', 'bench', 'package-image.json'),
    `${JSON.stringify({ date: new Date().toISOString(), figures }, null, 2)}\n`,
  );
  for (const ref of [TAG, HAND_TAG]) spawnSync('docker', ['image', 'rm', '--force', ref]);
  if (!process.env.BENCH_KEEP) rmSync(join(ROOT, 'ws'), { recursive: true, force: true });
}

main();
