import type { ProjectGraph } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { channelKey } from '../../channel/package-cache';
import { nativeSubdir, workspaceId } from '../../container';
import { FakeEngine, type EngineCall } from '../../container/fake-engine.test';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import { buildRecipeTask, endBuildSession, newBuildSession } from './build-task';
import recipeBuildExecutor from './executor';
import type { RecipeBuildExecutorSchema } from './schema';

const IMAGE = 'nx-conda-e2e/conda-build:latest';
const RECIPE = 'package:\n  name: foo\n  version: "1.0"\nbuild:\n  number: 0\n';
/** A recipe with an upstream requirement (one without any gets no solve before its build). */
const RECIPE_WITH_DEPS = `${RECIPE}requirements:\n  host:\n    - dep\n`;

/** The host folder mounted at `target` in a recorded `run`. */
function mountSource(call: EngineCall, target: string): string {
  const mount = call.args.find((a) => a.startsWith('type=bind,') && a.includes(`,target=${target}`));
  if (!mount) throw new Error(`no mount at ${target} in: ${call.args.join(' ')}`);
  return /source=([^,]+)/.exec(mount)![1];
}

/** What a builder leaves in the staging channel: one package and its index record. */
function buildPackage(staging: string): void {
  mkdirSync(join(staging, 'linux-64'), { recursive: true });
  writeFileSync(join(staging, 'linux-64', 'foo-1.0-0.tar.bz2'), 'a package');
  writeFileSync(
    join(staging, 'linux-64', 'repodata.json'),
    JSON.stringify({
      info: { subdir: 'linux-64' },
      packages: {
        'foo-1.0-0.tar.bz2': { name: 'foo', version: '1.0', build: '0', build_number: 0, subdir: 'linux-64' },
      },
    }),
  );
}

describe('recipe-build executor (one task), against a recorded engine', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  let graph: ProjectGraph;
  beforeEach(() => {
    ws = tempWorkspace('recipe-build');
    out = captureOutput();
    mkdirSync(join(ws.root, 'recipes', 'foo'), { recursive: true });
    writeFileSync(join(ws.root, 'recipes', 'foo', 'meta.yaml'), RECIPE);
    graph = {
      nodes: { foo: { name: 'foo', type: 'lib', data: { root: 'recipes/foo', targets: {} } } },
      dependencies: { foo: [] },
    };
    engine = new FakeEngine().on(/^version /, { stdout: '27.0.0' });
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });
  const run = (options: RecipeBuildExecutorSchema = {}) =>
    engine.run(() =>
      recipeBuildExecutor(
        { recipeDir: 'recipes/foo', builder: 'conda-build', image: IMAGE, packageCache: 'false', ...options },
        executorContext(ws.root, 'foo', graph, 'build-recipe'),
      ),
    );

  /** The folders under the staging root: what a build left there. */
  const stagingLeft = () => {
    const dir = join(ws.root, 'tmp', 'nx-conda', 'staging');
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  const runRecordsLeft = () => {
    const dir = join(ws.root, 'tmp', 'nx-conda', 'runs');
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it('runs the build script in a container with the options on its command line, and collects the package', async () => {
    engine.on(/^run /, (call) => (buildPackage(mountSource(call, '/opt/host-conda-bld')), { stdout: 'built foo' }));
    const result = await run({ network: 'none', memory: '2g', cpus: 2, env: { CHANNEL_TOKEN: 's3cret' } });
    expect(result).toEqual({ success: true });

    const call = engine.calls.find((c) => c.args[0] === 'run')!;
    const staging = mountSource(call, '/opt/host-conda-bld');
    const script = mountSource(call, '/opt/nx-conda/build.sh');
    const tools = dirname(script);
    const stagingRoot = join(ws.root, 'tmp', 'nx-conda', 'staging');
    expect(dirname(staging)).toBe(stagingRoot);
    expect(dirname(tools)).toBe(stagingRoot);
    expect(call.args).toEqual([
      'run',
      '--rm',
      '--init',
      '--interactive',
      '--name',
      expect.stringMatching(/^nx-conda-foo-[0-9a-f]{12}$/),
      '--label',
      'nx-conda=run',
      '--label',
      'nx-conda.project=foo',
      '--label',
      `nx-conda.workspace=${workspaceId(ws.root)}`,
      '--label',
      `nx-conda.host=${hostname()}`,
      '--label',
      expect.stringMatching(/^nx-conda\.pid-ns=/),
      '--label',
      `nx-conda.pid=${process.pid}`,
      '--label',
      expect.stringMatching(/^nx-conda\.pid-start=/),
      '--label',
      `nx-conda.scratch=${JSON.stringify([staging, tools])}`,
      '--network=none',
      '--mount',
      `type=bind,source=${join(ws.root, 'recipes', 'foo')},target=/opt/recipe,readonly`,
      '--mount',
      `type=bind,source=${staging},target=/opt/host-conda-bld`,
      '--mount',
      `type=bind,source=${join(tools, 'build.sh')},target=/opt/nx-conda/build.sh,readonly`,
      '--env',
      'CHANNEL_TOKEN',
      '--env',
      'NX_CONDA_HOST_UID',
      '--env',
      'NX_CONDA_HOST_GID',
      '--memory=2g',
      '--cpus=2',
      '--pids-limit=4096',
      '--security-opt=no-new-privileges',
      IMAGE,
      'sh',
      '-c',
      expect.any(String),
      'nx-conda-follow-client',
      'bash',
      '/opt/nx-conda/build.sh',
    ]);
    // Values travel in the client's environment, never on the command line.
    expect(call.env).toMatchObject({ CHANNEL_TOKEN: 's3cret' });
    expect(call.args.join(' ')).not.toContain('s3cret');

    const output = join(ws.root, 'dist', 'conda', 'recipes', 'foo', 'linux-64');
    expect(readFileSync(join(output, 'foo-1.0-0.tar.bz2'), 'utf8')).toBe('a package');
    expect(JSON.parse(readFileSync(join(output, 'repodata.json'), 'utf8')).packages['foo-1.0-0.tar.bz2']).toMatchObject(
      { name: 'foo', version: '1.0', build: '0' },
    );
    expect(out.streamed.join('')).toContain('[foo] built foo');
    expect(out.info.at(-1)).toMatch(/^nx-conda: built 1 package\(s\) for foo with conda-build in [0-9.]+ s \(image /);
    expect(stagingLeft()).toEqual([]);
    expect(runRecordsLeft()).toEqual([]);
  });

  it('with the package cache: mounted read-only, a writable cache of its own (removed after), and their environment', async () => {
    const cache = join(ws.root, 'pkgcache');
    let own = '';
    engine.on(/^run /, (call) => {
      own = mountSource(call, '/opt/nx-conda-pkgs-rw');
      // What a build leaves in its own cache never enters the shared one unless an upstream channel lists it.
      mkdirSync(join(own, 'conda', 'foo-0.1-0'), { recursive: true });
      writeFileSync(join(own, 'conda', 'foo-0.1-0.tar.bz2'), 'not upstream');
      buildPackage(mountSource(call, '/opt/host-conda-bld'));
      return { stdout: 'built foo' };
    });
    expect(await run({ packageCache: cache })).toEqual({ success: true });
    const call = engine.calls.find((c) => c.args[0] === 'run')!;
    expect(call.args).toContain(`type=bind,source=${cache},target=/opt/nx-conda-pkgs,readonly`);
    expect(call.args).toContain(`type=bind,source=${own},target=/opt/nx-conda-pkgs-rw`);
    for (const name of ['CONDA_PKGS_DIRS', 'RATTLER_CACHE_DIR', 'NX_CONDA_PACKAGE_CACHE_DIRS'])
      expect(call.args).toContain(name);
    expect(existsSync(own)).toBe(false);
    expect(readdirSync(cache)).toEqual([]);
  });

  /** A file:// upstream channel with one package, `dep-1.0-0.conda`, and its record. */
  const upstreamChannel = () => {
    const dir = join(ws.root, 'upstream');
    mkdirSync(join(dir, 'noarch'), { recursive: true });
    const bytes = Buffer.from('the dep package');
    writeFileSync(join(dir, 'noarch', 'dep-1.0-0.conda'), bytes);
    const record = {
      name: 'dep',
      version: '1.0',
      build: '0',
      build_number: 0,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    writeFileSync(
      join(dir, 'noarch', 'repodata.json'),
      JSON.stringify({ packages: {}, 'packages.conda': { 'dep-1.0-0.conda': record } }),
    );
    return pathToFileURL(dir).toString();
  };
  /** The trusted extractor's container: writes the package's files and a paths.json that matches them. */
  const extracted = (call: EngineCall) => {
    const out = mountSource(call, '/out/0');
    mkdirSync(join(out, 'info'), { recursive: true });
    mkdirSync(join(out, 'share'), { recursive: true });
    writeFileSync(join(out, 'share', 'dep.txt'), 'dep\n');
    const sha256 = createHash('sha256').update('dep\n').digest('hex');
    writeFileSync(
      join(out, 'info', 'paths.json'),
      JSON.stringify({ paths: [{ _path: 'share/dep.txt', path_type: 'hardlink', sha256, size_in_bytes: 4 }] }),
    );
    return {};
  };
  const solveOutput = JSON.stringify([
    {
      finalized_dependencies: {
        host: { resolved: [{ name: 'dep', fn: 'dep-1.0-0.conda' }, { fn: 'mine-1-0.conda' }] },
      },
    },
  ]);

  it('rattler-build with the package cache: solves first, the host fills the cache, then the build finds it there', async () => {
    writeFileSync(join(ws.root, 'recipes', 'foo', 'recipe.yaml'), RECIPE_WITH_DEPS);
    const base = upstreamChannel();
    const cache = join(ws.root, 'pkgcache');
    let buildEnv: Record<string, string> | undefined;
    engine
      .on(/ --render-only --with-solve$/, { stdout: ` │ solving\n${solveOutput}` })
      .on(/^run .*nx-conda-extract/, extracted)
      .on(/ bash \/opt\/nx-conda\/build\.sh$/, (call) => {
        buildEnv = call.env;
        buildPackage(mountSource(call, '/opt/host-conda-bld'));
        return { stdout: 'built foo' };
      });
    const result = await run({ builder: 'rattler-build', channels: [base], packageCache: cache });
    expect(result).toEqual({ success: true });
    const runs = engine.calls.filter((c) => c.args[0] === 'run').map((c) => c.args.join(' '));
    expect(runs).toHaveLength(3);
    expect(runs[0]).toMatch(/--output-dir \/opt\/nx-conda-pkgs-rw\/solve .* --render-only --with-solve$/);
    expect(runs[0]).toContain('target=/opt/host-conda-bld,readonly');
    expect(runs[0]).toContain(`source=${cache},target=/opt/nx-conda-pkgs,readonly`);
    expect(runs[1]).toContain('--network=none');
    expect(runs[2]).toMatch(/bash \/opt\/nx-conda\/build\.sh$/);
    // The build sees the channel folder the fill before it made.
    expect(buildEnv?.NX_CONDA_PACKAGE_CACHE_DIRS).toBe(`/opt/nx-conda-pkgs/${channelKey(base)}`);
    expect(readFileSync(join(cache, channelKey(base), 'dep-1.0-0', 'share', 'dep.txt'), 'utf8')).toBe('dep\n');
    expect(out.info.join('\n')).toContain('package cache: added 1 verified package(s): dep-1.0-0');
  });

  it('rattler-build: a failed solve is a line of output, and the build goes on without it', async () => {
    writeFileSync(join(ws.root, 'recipes', 'foo', 'recipe.yaml'), RECIPE_WITH_DEPS);
    const base = upstreamChannel();
    engine
      .on(/ --render-only --with-solve$/, { exitCode: 1, stderr: 'error: cannot solve' })
      .on(/ bash \/opt\/nx-conda\/build\.sh$/, (call) => (buildPackage(mountSource(call, '/opt/host-conda-bld')), {}));
    const result = await run({ builder: 'rattler-build', channels: [base], packageCache: join(ws.root, 'pkgcache') });
    expect(result).toEqual({ success: true });
    expect(engine.calls.filter((c) => c.args[0] === 'run')).toHaveLength(2);
    expect(out.info.join('\n')).toContain('the solve before the build did not succeed (exit 1)');
  });

  it('rattler-build: a recipe without requirements has nothing to download, and no solve', async () => {
    writeFileSync(join(ws.root, 'recipes', 'foo', 'recipe.yaml'), 'package:\n  name: foo\n  version: "1.0"\n');
    engine.on(/^run /, (call) => (buildPackage(mountSource(call, '/opt/host-conda-bld')), {}));
    const result = await run({
      builder: 'rattler-build',
      channels: [upstreamChannel()],
      packageCache: join(ws.root, 'pkgcache'),
    });
    expect(result).toEqual({ success: true });
    expect(engine.calls.filter((c) => c.args[0] === 'run')).toHaveLength(1);
    expect(engine.lines().join('\n')).not.toContain('--render-only');
  });

  it('rattler-build without the package cache runs no solve', async () => {
    writeFileSync(join(ws.root, 'recipes', 'foo', 'recipe.yaml'), RECIPE);
    engine.on(/^run /, (call) => (buildPackage(mountSource(call, '/opt/host-conda-bld')), {}));
    expect(await run({ builder: 'rattler-build', channels: [upstreamChannel()] })).toEqual({ success: true });
    expect(engine.calls.filter((c) => c.args[0] === 'run')).toHaveLength(1);
    expect(engine.lines().join('\n')).not.toContain('--render-only');
  });

  it('a failed build fails the task with the recipe, the image and the last lines, and removes its staging folders', async () => {
    engine.on(/^run /, { exitCode: 1, stderr: 'conda_build.exceptions.DependencyNeedsBuildingError: nosuch' });
    await expect(run()).resolves.toEqual({ success: false });
    const name = engine.argsOf('run')[5];
    expect(out.error).toEqual([
      `nx-conda: build of foo (recipes/foo/meta.yaml) exited with code 1 in image ${IMAGE}; container ${name} was removed. ` +
        'Its last lines:\n  | conda_build.exceptions.DependencyNeedsBuildingError: nosuch',
    ]);
    expect(stagingLeft()).toEqual([]);
    expect(runRecordsLeft()).toEqual([]);
    expect(existsSync(join(ws.root, 'dist', 'conda', 'recipes', 'foo', 'linux-64', 'foo-1.0-0.tar.bz2'))).toBe(false);
  });

  it('a build killed before its trap ran hands back its own package cache with the staging channel', async () => {
    engine.on(/^run [\s\S]* bash \/opt\/nx-conda\/build\.sh$/, { signal: 'SIGKILL' });
    await expect(run({ packageCache: join(ws.root, 'pkgcache') })).resolves.toEqual({ success: false });
    const [build, handBack] = engine.calls.filter((c) => c.args[0] === 'run');
    const own = mountSource(build, '/opt/nx-conda-pkgs-rw');
    expect(handBack.args).toContain(`type=bind,source=${own},target=/opt/nx-conda-pkgs-rw`);
    expect(handBack.args.slice(-2)).toEqual(['/opt/host-conda-bld', '/opt/nx-conda-pkgs-rw']);
    expect(existsSync(own)).toBe(false);
  });

  it('a build the engine itself failed (exit 125, the engine gone mid-build) names the engine, not the recipe (issue 30)', async () => {
    engine.on(/^run /, { exitCode: 125, stderr: 'level=error msg="error waiting for container: unexpected EOF"' });
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///run/other/docker.sock';
    try {
      await expect(run()).resolves.toEqual({ success: false });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
    expect(out.error).toEqual([
      `nx-conda: docker (at unix:///run/other/docker.sock) failed while running the build of foo (recipes/foo/meta.yaml) in image ${IMAGE}: ` +
        'exit code 125, the engine\'s own error, not the build\'s (level=error msg="error waiting for container: unexpected EOF"). ' +
        'If the engine stopped or restarted, start it and run the target again: the packages of earlier builds are intact.',
    ]);
    expect(stagingLeft()).toEqual([]);
  });

  it('a build whose builder ran out of space names the staging folder as full (issue 30)', async () => {
    engine.on(/^run /, { exitCode: 1, stderr: "OSError: [Errno 28] No space left on device: '/opt/host-conda-bld/x'" });
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error).toEqual([
      expect.stringMatching(
        /^nx-conda: tmp\/nx-conda\/staging is full \(no space left on device\) while foo was building in it \(the builder said: OSError: \[Errno 28\] No space left on device/,
      ),
    ]);
    expect(stagingLeft()).toEqual([]);
  });

  it('a build killed before its trap ran: the staging channel is handed back in a short container, then removed', async () => {
    engine.on(/^run [\s\S]* bash \/opt\/nx-conda\/build\.sh$/, { signal: 'SIGKILL' });
    await expect(run()).resolves.toEqual({ success: false });
    const [build, handBack] = engine.calls.filter((c) => c.args[0] === 'run');
    const staging = mountSource(build, '/opt/host-conda-bld');
    expect(handBack.args).toEqual([
      'run',
      '--rm',
      '--init',
      '--interactive',
      '--name',
      expect.stringMatching(/^nx-conda-foo-handback-[0-9a-f]{12}$/),
      '--label',
      'nx-conda=run',
      '--label',
      'nx-conda.project=foo',
      '--label',
      'nx-conda.step=hand-back',
      '--network=none',
      '--user',
      '0',
      '--mount',
      `type=bind,source=${staging},target=/opt/host-conda-bld`,
      '--pids-limit=64',
      '--security-opt=no-new-privileges',
      IMAGE,
      'sh',
      '-c',
      expect.any(String),
      'nx-conda-follow-client',
      'chown',
      '-R',
      `${process.getuid!()}:${process.getgid!()}`,
      '/opt/host-conda-bld',
    ]);
    expect(out.error[0]).toMatch(
      /^nx-conda: build of foo \(recipes\/foo\/meta\.yaml\) was stopped by SIGKILL in image /,
    );
    expect(stagingLeft()).toEqual([]);
  });

  it('a build over its time limit: the container is removed, the client stopped, the staging channel handed back and removed', async () => {
    engine.on(/^run [\s\S]* bash \/opt\/nx-conda\/build\.sh$/, { untilKilled: true, stdout: 'compiling...' });
    await expect(run({ timeoutSeconds: 0.05 })).resolves.toEqual({ success: false });
    const [build, handBack] = engine.calls.filter((c) => c.args[0] === 'run');
    const name = build.args[5];
    // Removed, the client killed, removed again once the client has ended (it may have created it meanwhile).
    expect(engine.lines().filter((l) => l.startsWith('container rm'))).toEqual([
      `container rm --force ${name}`,
      `container rm --force ${name}`,
    ]);
    expect(engine.kills).toEqual([{ args: build.args, signal: 'SIGTERM' }]);
    expect(handBack.args.slice(-4)).toEqual([
      'chown',
      '-R',
      `${process.getuid!()}:${process.getgid!()}`,
      '/opt/host-conda-bld',
    ]);
    expect(out.warn).toContain(`container ${name} ran longer than 0.05 s: stopping docker and removing it`);
    expect(out.error[0]).toMatch(
      new RegExp(
        `^nx-conda: build of foo \\(recipes/foo/meta\\.yaml\\) timed out after 0\\.05 s in image ${IMAGE}; container ${name} was removed\\.`,
      ),
    );
    expect(stagingLeft()).toEqual([]);
    expect(runRecordsLeft()).toEqual([]);
  });

  it('a recipe skipped for the platform runs no container and leaves an empty channel', async () => {
    writeFileSync(join(ws.root, 'recipes', 'foo', 'meta.yaml'), `${RECIPE}  skip: true  # [linux]\n`);
    await expect(run()).resolves.toEqual({ success: true });
    expect(engine.calls).toEqual([]);
    expect(out.info[0]).toMatch(/^nx-conda: skipped foo for linux-64: recipes\/foo\/meta\.yaml says build: skip there/);
  });

  it('an image project whose builder image is missing fails before any run, saying how to build it', async () => {
    graph.nodes.images = {
      name: 'images',
      type: 'lib',
      data: { root: 'images', targets: { 'docker-image': { executor: 'nx-conda:docker-image', options: {} } } },
    };
    engine
      .on(/^image inspect --format \{\{\.Id\}\} /, { exitCode: 1, stderr: 'Error: No such image' })
      .on(/^image inspect --format \{\{\.Id\}\} bioconda\/bioconda-utils-build-env/, { stdout: 'sha256:base' });
    await expect(run({ image: undefined, imageProject: 'images' })).resolves.toEqual({ success: false });
    expect(out.error[0]).toMatch(
      /^nx-conda: Builder image nx-conda\/builder:[0-9a-f]{12} is not in docker\. Build it with `nx run images:docker-image`/,
    );
    expect(engine.lines().filter((l) => l.startsWith('run '))).toEqual([]);
    expect(stagingLeft()).toEqual([]);
  });
});

describe('buildRecipeTask in a batch session (the batch executor runs each task so)', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    ws = tempWorkspace('recipe-batch');
    out = captureOutput();
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });

  it('checks the engine, clears leftovers and finds the builder image once for all tasks; removes the image once at the end (keepImage: false)', async () => {
    const graph: ProjectGraph = {
      nodes: {
        images: {
          name: 'images',
          type: 'lib',
          data: { root: 'images', targets: { 'docker-image': { executor: 'nx-conda:docker-image', options: {} } } },
        },
      },
      dependencies: {},
    };
    for (const name of ['foo', 'bar']) {
      mkdirSync(join(ws.root, 'recipes', name), { recursive: true });
      writeFileSync(join(ws.root, 'recipes', name, 'meta.yaml'), RECIPE.replace('foo', name));
      graph.nodes[name] = { name, type: 'lib', data: { root: `recipes/${name}`, targets: {} } };
      graph.dependencies[name] = [];
    }
    const engine = new FakeEngine()
      .on(/^image inspect --format \{\{\.Id\}\} /, { stdout: 'sha256:there' })
      .on(/^run /, (call) => {
        const staging = mountSource(call, '/opt/host-conda-bld');
        const project = call.args.find((a) => a.startsWith('nx-conda.project='))!.split('=')[1];
        buildPackage(staging);
        const file = join(staging, 'linux-64', 'repodata.json');
        writeFileSync(file, readFileSync(file, 'utf8').replaceAll('foo', project));
        renameSync(
          join(staging, 'linux-64', 'foo-1.0-0.tar.bz2'),
          join(staging, 'linux-64', `${project}-1.0-0.tar.bz2`),
        );
        return {};
      });
    const session = newBuildSession();
    await engine.run(async () => {
      for (const name of ['foo', 'bar'])
        await buildRecipeTask(
          { recipeDir: `recipes/${name}`, builder: 'conda-build', imageProject: 'images', keepImage: false },
          executorContext(ws.root, name, graph, 'build-recipe'),
          session,
        );
      await endBuildSession(session);
    });
    const lines = engine.lines();
    const tag = /nx-conda\/builder:[0-9a-f]{12}/.exec(lines.find((l) => l.includes('nx-conda/builder:'))!)![0];
    expect(lines.filter((l) => !l.startsWith('run '))).toEqual([
      'version --format {{.Server.Version}}',
      `container ls --all --no-trunc --filter label=nx-conda.workspace=${workspaceId(ws.root)} --format {{.ID}}`,
      'image inspect --format {{.Id}} bioconda/bioconda-utils-build-env-cos7:latest',
      `image inspect --format {{.Id}} ${tag}`,
      `image rm ${tag}`,
    ]);
    expect(engine.calls.filter((c) => c.args[0] === 'run')).toHaveLength(2);
    for (const name of ['foo', 'bar'])
      expect(existsSync(join(ws.root, 'dist', 'conda', 'recipes', name, 'linux-64', `${name}-1.0-0.tar.bz2`))).toBe(
        true,
      );
    expect(out.info.at(-1)).toBe(`nx-conda: removed builder image ${tag} (keepImage: false)`);
  });
});

describe('a platform build (build-recipe-<P>) owns only <P>/ of the output folder (issue 27)', () => {
  // The platform build is this host's own and the primary platform the other one: no emulator needed here.
  const PLATFORM = nativeSubdir();
  const PRIMARY = PLATFORM === 'linux-64' ? 'linux-aarch64' : 'linux-64';
  const MULTI = `${RECIPE}outputs:\n  - name: foo\n  - name: foo-data\n    build:\n      noarch: generic\n`;
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  let output: string;
  /** The primary build's noarch/ as it left it: file names and contents. */
  let primaryNoarch: Record<string, string>;
  const noarchNow = () =>
    Object.fromEntries(
      readdirSync(join(output, 'noarch')).map((f) => [f, readFileSync(join(output, 'noarch', f), 'utf8')]),
    );
  beforeEach(() => {
    ws = tempWorkspace('recipe-platform');
    out = captureOutput();
    mkdirSync(join(ws.root, 'recipes', 'foo'), { recursive: true });
    writeFileSync(join(ws.root, 'recipes', 'foo', 'meta.yaml'), MULTI);
    output = join(ws.root, 'dist', 'conda', 'recipes', 'foo');
    mkdirSync(join(output, 'noarch'), { recursive: true });
    writeFileSync(join(output, 'noarch', 'foo-data-1.0-0.tar.bz2'), 'made by the primary build');
    writeFileSync(
      join(output, 'noarch', 'repodata.json'),
      JSON.stringify({ info: { subdir: 'noarch' }, packages: { 'foo-data-1.0-0.tar.bz2': { name: 'foo-data' } } }),
    );
    primaryNoarch = noarchNow();
    engine = new FakeEngine().on(/^version /, { stdout: '27.0.0' });
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });
  const run = (options: RecipeBuildExecutorSchema = {}) => {
    const graph: ProjectGraph = {
      nodes: { foo: { name: 'foo', type: 'lib', data: { root: 'recipes/foo', targets: {} } } },
      dependencies: { foo: [] },
    };
    const context = executorContext(ws.root, 'foo', graph, `build-recipe-${PLATFORM}`);
    context.nxJsonConfiguration = {
      plugins: [{ plugin: 'nx-conda', options: { platform: PRIMARY, platforms: [PRIMARY, PLATFORM] } }],
    };
    return engine.run(() =>
      recipeBuildExecutor(
        { builder: 'conda-build', image: IMAGE, packageCache: 'false', platform: PLATFORM, ...options },
        context,
      ),
    );
  };

  it('takes its platform package, leaves out the noarch one it also made (saying so), and never rewrites noarch/', async () => {
    engine.on(/^run /, (call) => {
      const staging = mountSource(call, '/opt/host-conda-bld');
      for (const [subdir, file] of [
        [PLATFORM, 'foo-1.0-0.tar.bz2'],
        ['noarch', 'foo-data-1.0-0.tar.bz2'],
      ]) {
        mkdirSync(join(staging, subdir), { recursive: true });
        writeFileSync(join(staging, subdir, file), `built on ${PLATFORM}`);
        const name = file.replace(/-1\.0-0\.tar\.bz2$/, '');
        writeFileSync(
          join(staging, subdir, 'repodata.json'),
          JSON.stringify({ info: { subdir }, packages: { [file]: { name, version: '1.0', build: '0', subdir } } }),
        );
      }
      return {};
    });
    await expect(run()).resolves.toEqual({ success: true });
    expect(readFileSync(join(output, PLATFORM, 'foo-1.0-0.tar.bz2'), 'utf8')).toBe(`built on ${PLATFORM}`);
    expect(noarchNow()).toEqual(primaryNoarch);
    expect(out.info.at(-1)).toMatch(
      new RegExp(
        `^nx-conda: built 1 package\\(s\\) for foo with conda-build in [0-9.]+ s \\(image [^)]+\\); ` +
          `left out 1 noarch package\\(s\\) it also made \\(foo-data-1\\.0-0\\.tar\\.bz2\\): ` +
          `noarch/ of dist/conda/recipes/foo is the ${PRIMARY} build's:\\n  dist/conda/recipes/foo/${PLATFORM}/foo-1\\.0-0\\.tar\\.bz2 `,
      ),
    );
  });

  it('skipped there (build: skip): an empty channel and the skip record in <P>/ only, noarch/ untouched', async () => {
    writeFileSync(
      join(ws.root, 'recipes', 'foo', 'meta.yaml'),
      MULTI.replace('  number: 0\n', '  number: 0\n  skip: true  # [linux]\n'),
    );
    await expect(run()).resolves.toEqual({ success: true });
    expect(engine.calls).toEqual([]);
    expect(readdirSync(join(output, PLATFORM)).sort()).toEqual(['.nx-conda-skipped.json', 'repodata.json']);
    expect(noarchNow()).toEqual(primaryNoarch);
  });

  it('skipped by skipExisting: an empty channel in <P>/ only, noarch/ untouched', async () => {
    const upstream = join(ws.root, 'upstream');
    for (const subdir of [PLATFORM, 'noarch']) {
      mkdirSync(join(upstream, subdir), { recursive: true });
      const file = subdir === 'noarch' ? 'foo-data-1.0-0.tar.bz2' : 'foo-1.0-0.tar.bz2';
      writeFileSync(
        join(upstream, subdir, 'repodata.json'),
        JSON.stringify({
          info: { subdir },
          packages: { [file]: { name: file.replace(/-1\.0-0\.tar\.bz2$/, ''), version: '1.0', build_number: 0 } },
        }),
      );
    }
    await expect(run({ skipExisting: true, channels: [pathToFileURL(upstream).href] })).resolves.toEqual({
      success: true,
    });
    expect(engine.calls).toEqual([]);
    expect(out.info.at(-1)).toMatch(/^nx-conda: skipped foo: .*\(skipExisting\)$/);
    expect(readdirSync(join(output, PLATFORM))).toEqual(['repodata.json']);
    expect(noarchNow()).toEqual(primaryNoarch);
  });
});
