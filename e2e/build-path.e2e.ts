import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember, repodata } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import {
  batchEnv,
  createWorkspace,
  docker,
  expectSuccess,
  startNx,
  workspaceContainers,
  type Workspace,
} from './utils/workspace';

/**
 * Issue 2: the core build path with projects declared in project.json
 * (no inference), a builder image made by docker-image over the conda-build
 * test image, and real packages built in real containers.
 *
 * Issue 17: this is the one file that runs the per-task path (one process
 * per task, as with `--batch=false` / NX_BATCH_MODE=false); every other
 * file runs recipe-build as a batch, as users get it.
 */
const recipe = (name: string, requirements: string, script: string, test = '', build = '') => ({
  meta: `package:\n  name: ${name}\n  version: "1.0"\nbuild:\n  number: 0\n${build}${requirements}${test ? `test:\n  commands:\n    - ${test}\n` : ''}`,
  script: `#!/bin/bash\nset -e\n${script}\n`,
});

const recipes: Record<string, { meta: string; script: string; deps: string[] }> = {
  one: { ...recipe('one', '', 'echo one > "$PREFIX/file-one"', 'test "$(cat $PREFIX/file-one)" = one'), deps: [] },
  two: {
    ...recipe(
      'two',
      'requirements:\n  build:\n    - one\n',
      'test -f "$BUILD_PREFIX/file-one"\necho two > "$PREFIX/file-two"',
      'test -f $PREFIX/file-two',
    ),
    deps: ['one'],
  },
  three: {
    ...recipe(
      'three',
      'requirements:\n  host:\n    - one\n  run:\n    - one\n',
      [
        'test -f "$PREFIX/file-one" || { echo "file-one is missing from the host prefix" >&2; exit 1; }',
        // Where the solver took `one` from: conda records it in the host prefix.
        'grep -h \'"url"\' "$PREFIX"/conda-meta/one-1.0-*.json > "$PREFIX/one-origin.txt"',
        'echo three > "$PREFIX/file-three"',
      ].join('\n'),
      // The run requirement is installed in the test environment too.
      'test -f $PREFIX/file-one && test -f $PREFIX/file-three',
    ),
    deps: ['one'],
  },
  broken: { ...recipe('broken', '', 'echo "about to fail"\nexit 1'), deps: [] },
  slow: { ...recipe('slow', '', 'echo "slow build started"\nsleep 300'), deps: [] },
  variant: {
    meta: 'package:\n  name: variant\n  version: "1.0"\nbuild:\n  number: 0\n  script:\n    - mkdir -p $PREFIX/share\n    - echo "{{ greeting }}" > $PREFIX/share/greeting.txt\n',
    script: '',
    deps: [],
  },
  custom: { ...recipe('custom', '', 'mkdir -p "$PREFIX/share" && echo custom > "$PREFIX/share/custom.txt"'), deps: [] },
  'shared-a': {
    ...recipe('shared-a', '', 'mkdir -p "$PREFIX/share" && echo a > "$PREFIX/share/shared-a.txt"'),
    deps: [],
  },
  'shared-b': {
    ...recipe(
      'shared-b',
      'requirements:\n  host:\n    - shared-a\n',
      'test -f "$PREFIX/share/shared-a.txt"\necho b > "$PREFIX/share/shared-b.txt"',
    ),
    deps: ['shared-a'],
  },
  secretive: {
    // conda-build passes only the variables a recipe lists in script_env into its build.
    ...recipe(
      'secretive',
      '',
      'test "$NX_CONDA_TOKEN" = "s3cr3t-value-42" || { echo "token not passed" >&2; exit 1; }\nmkdir -p "$PREFIX/share" && echo ok > "$PREFIX/share/secretive"',
      '',
      '  script_env:\n    - NX_CONDA_TOKEN\n',
    ),
    deps: [],
  },
};

function setUp(): Workspace {
  const ws = createWorkspace(
    'build-path',
    {
      targetDefaults: {
        'build-recipe': {
          dependsOn: ['^build-recipe', { projects: ['builder-image'], target: 'docker-image' }],
          cache: true,
          inputs: ['{projectRoot}/**/*'],
          outputs: ['{options.outputPath}'],
        },
      },
    },
    { batch: false },
  );
  ws.write(
    'tools/builder-image/project.json',
    JSON.stringify({
      name: 'builder-image',
      root: 'tools/builder-image',
      targets: {
        'docker-image': {
          executor: 'nx-conda:docker-image',
          options: { baseImage: TEST_IMAGES.condaBuild, imageName: 'nx-conda-e2e/builder' },
        },
      },
    }),
  );
  for (const [name, r] of Object.entries(recipes)) {
    ws.write(`recipes/${name}/meta.yaml`, r.meta);
    if (r.script) ws.write(`recipes/${name}/build.sh`, r.script, 0o755);
    ws.write(
      `recipes/${name}/project.json`,
      JSON.stringify({
        name,
        root: `recipes/${name}`,
        implicitDependencies: r.deps,
        targets: {
          'build-recipe': {
            executor: 'nx-conda:recipe-build',
            options: {
              imageProject: 'builder-image',
              outputPath: `dist/conda/recipes/${name}`,
              ...(name === 'secretive' ? { env: { NX_CONDA_TOKEN: 's3cr3t-value-42' }, verbose: true } : {}),
              ...(name === 'custom' ? { buildScriptTemplate: 'tools/build-template.sh' } : {}),
              ...(name.startsWith('shared-') ? { sharedStagingDir: 'tmp/shared-channel' } : {}),
            },
          },
        },
      }),
    );
  }
  ws.write('tools/project.json', JSON.stringify({ name: 'tools', root: 'tools', targets: {} }));
  ws.write('conda_build_config.yaml', 'greeting:\n  - hola from the variant file\n');
  ws.write(
    'tools/build-template.sh',
    'set -eo pipefail\necho "custom template building {{recipeFile}} for {{platform}}"\n{{command}}\nconda index {{stagingDir}}\n',
  );
  return ws;
}

describe('core build path (conda-build test image, real engine)', () => {
  let ws: Workspace;
  const labelled = () => workspaceContainers(ws);
  beforeAll(() => {
    ws = setUp();
  });

  it('builds one, two and three in dependency order, each into its own output folder', () => {
    const result = ws.nx(['run-many', '-t', 'build-recipe', '-p', 'one', 'two', 'three', '--parallel=2']);
    expectSuccess(result);
    // One process per task: Nx did not hand the tasks to the batch implementation.
    expect(result.output).not.toMatch(/tasks? with nx-conda:recipe-build/);
    expect(result.output).toMatch(/> nx run three:build-recipe/);
    expect(result.output).toMatch(/staging channel for three: 1 package\(s\) from 1 dependency \(one\)/);
    expect(result.output).toMatch(/staging channel for two: 1 package\(s\) from 1 dependency \(one\)/);

    for (const name of ['one', 'two', 'three']) {
      const out = join(ws.root, 'dist/conda/recipes', name);
      const packages = channelPackages(out);
      expect(packages).toHaveLength(1);
      expect(packages[0]).toMatch(new RegExp(`^linux-64/${name}-1\\.0-0\\.conda$`));
      const file = join(out, packages[0]);
      expect(statSync(file).uid).toBe(process.getuid!());
      expect(statSync(file).gid).toBe(process.getgid!());
      const record = repodata(out, 'linux-64')['packages.conda'][packages[0].split('/')[1]];
      expect(record).toMatchObject({ name, version: '1.0', size: statSync(file).size });
    }
    const three = join(
      ws.root,
      'dist/conda/recipes/three',
      channelPackages(join(ws.root, 'dist/conda/recipes/three'))[0],
    );
    expect(readPackageMember(three, 'file-three').trim()).toBe('three');
    const index = JSON.parse(readPackageMember(three, 'info/index.json'));
    expect(index).toMatchObject({ name: 'three', version: '1.0', build: '0', build_number: 0, subdir: 'linux-64' });
    expect(index.depends).toEqual(['one']);
    const files = readPackageMember(three, 'info/files').split('\n').filter(Boolean);
    expect(files.sort()).toEqual(['file-three', 'one-origin.txt']);
    // The host requirement came from the staging channel (mounted at /opt/host-conda-bld).
    expect(readPackageMember(three, 'one-origin.txt')).toMatch(
      /"url": "file:\/\/\/opt\/host-conda-bld\/linux-64\/one-1\.0-0\.conda"/,
    );
    // conda-build ran each recipe's test: commands.
    expect(result.output).toMatch(/\[three\] .*TEST END: .*three-1\.0-0/);
    expect(labelled()).toBe('');
  });

  it('serves a second run entirely from the cache, and restores deleted outputs from it', () => {
    const again = ws.nx(['run-many', '-t', 'build-recipe', '-p', 'one', 'two', 'three']);
    expectSuccess(again);
    expect(again.output).toMatch(
      /Nx read the output from the cache instead of running the command for 3 out of 4 tasks/,
    );

    const before = channelPackages(join(ws.root, 'dist/conda/recipes/three'));
    rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
    const restored = ws.nx(['run-many', '-t', 'build-recipe', '-p', 'one', 'two', 'three']);
    expectSuccess(restored);
    expect(restored.output).toMatch(/3 out of 4 tasks/);
    for (const name of ['one', 'two', 'three'])
      expect(channelPackages(join(ws.root, 'dist/conda/recipes', name))).toHaveLength(1);
    expect(channelPackages(join(ws.root, 'dist/conda/recipes/three'))).toEqual(before);
  });

  it('fails a build whose script exits 1, leaving no package and no container', () => {
    const result = ws.nx(['run', 'broken:build-recipe']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('[broken] about to fail');
    expect(result.output).toMatch(/build of broken \(recipes\/broken\/meta\.yaml\) exited with code 1/);
    // The error repeats the end of the builder's output.
    expect(result.output).toMatch(/Its last lines:\n( {2}\| .*\n)* {2}\| about to fail\n/);
    expect(existsSync(join(ws.root, 'dist/conda/recipes/broken'))).toBe(false);
    expect(labelled()).toBe('');
    const staging = join(ws.root, 'tmp/nx-conda/staging');
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
  });

  it('removes the container when the task is cancelled', async () => {
    // SIGTERM to Nx alone, as a CI runner cancelling a job sends it: the engine
    // client gets no signal of its own, so only nx-conda can remove the container.
    const { child, exited } = startNx(ws, ['run', 'slow:build-recipe', '--skip-nx-cache'], batchEnv(false));
    const deadline = Date.now() + 120_000;
    while (!labelled().includes('nx-conda-slow') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(labelled()).toContain('nx-conda-slow');
    process.kill(child.pid!, 'SIGTERM');
    const code = await exited;
    expect(code).not.toBe(0);
    const gone = Date.now() + 30_000;
    while (labelled() !== '' && Date.now() < gone) await new Promise((r) => setTimeout(r, 500));
    expect(labelled()).toBe('');
    expect(existsSync(join(ws.root, 'dist/conda/recipes/slow'))).toBe(false);
  });

  it('stops and removes a build that runs past timeoutSeconds', () => {
    const result = ws.nx(['run', 'slow:build-recipe', '--skip-nx-cache', '--timeoutSeconds=3']);
    expect(result.code).not.toBe(0);
    // conda-build takes longer than 3 s to reach the build script; the container ran.
    expect(result.output).toMatch(/\[slow\] nx-conda: build container /);
    expect(result.output).toMatch(/build of slow \(recipes\/slow\/meta\.yaml\) timed out after 3 s/);
    expect(labelled()).toBe('');
  });

  it('passes environment variables into the build without ever printing their values', () => {
    const result = ws.nx(['run', 'secretive:build-recipe', '--verbose']);
    expectSuccess(result);
    expect(result.output).toContain('NX_CONDA_TOKEN');
    expect(result.output).not.toContain('s3cr3t-value-42');
    expect(channelPackages(join(ws.root, 'dist/conda/recipes/secretive'))).toHaveLength(1);
  });

  it('mounts the workspace conda_build_config.yaml and passes it to conda-build', () => {
    const result = ws.nx(['run', 'variant:build-recipe']);
    expectSuccess(result);
    expect(result.output).toMatch(/-m \/opt\/nx-conda\/config\/variant-0-conda_build_config\.yaml/);
    const out = join(ws.root, 'dist/conda/recipes/variant');
    expect(readPackageMember(join(out, channelPackages(out)[0]), 'share/greeting.txt').trim()).toBe(
      'hola from the variant file',
    );
  });

  it('runs a user build script template', () => {
    const result = ws.nx(['run', 'custom:build-recipe']);
    expectSuccess(result);
    expect(result.output).toContain('[custom] custom template building /opt/recipe/meta.yaml for linux-64');
    expect(result.output).toMatch(/conda build --no-anaconda-upload .* \/opt\/recipe\/meta\.yaml$/m);
    expect(channelPackages(join(ws.root, 'dist/conda/recipes/custom'))).toHaveLength(1);
  });

  it('builds through a bioconda-style shared staging channel, serialized by its lock', () => {
    const result = ws.nx(['run-many', '-t', 'build-recipe', '-p', 'shared-a', 'shared-b', '--parallel=2']);
    expectSuccess(result);
    const shared = join(ws.root, 'tmp/shared-channel');
    expect(channelPackages(shared)).toEqual(['linux-64/shared-a-1.0-0.conda', 'linux-64/shared-b-1.0-0.conda']);
    expect(Object.keys(repodata(shared, 'linux-64')['packages.conda'])).toHaveLength(2);
    expect(channelPackages(join(ws.root, 'dist/conda/recipes/shared-b'))).toEqual([
      expect.stringMatching(/^linux-64\/shared-b-1\.0-/),
    ]);
    expect(existsSync(join(shared, '.nx-conda.lock'))).toBe(false);
  });

  it('says in one line that the engine is missing or its daemon does not answer', () => {
    const noEngine = ws.nx(['run', 'one:build-recipe', '--skip-nx-cache', '--exclude-task-dependencies'], {
      PATH: '/nonexistent',
    });
    expect(noEngine.code).not.toBe(0);
    expect(noEngine.output).toMatch(
      /^nx-conda: docker: command not found on PATH; install docker or choose the other engine with the 'engine' option$/m,
    );
    const noDaemon = ws.nx(['run', 'one:build-recipe', '--skip-nx-cache', '--exclude-task-dependencies'], {
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    });
    expect(noDaemon.code).not.toBe(0);
    expect(noDaemon.output).toMatch(
      /^nx-conda: docker is not usable: .*daemon.*; start its daemon or check your permissions on its socket$/m,
    );
    expect(channelPackages(join(ws.root, 'dist/conda/recipes/one'))).toHaveLength(1);
  });

  it('purges only package images it made: a foreign image of that name stays, and one already gone is quiet', () => {
    expect(docker(['tag', TEST_IMAGES.base, 'biocontainers/fake:1.0--0']).code).toBe(0);
    ws.write(
      'tools/project.json',
      JSON.stringify({
        name: 'tools',
        root: 'tools',
        targets: {
          purge: {
            executor: 'nx-conda:purge-image',
            options: { packages: ['fake=1.0--0', 'never-built=2.0--1'], images: ['nx-conda-e2e/absent:1'] },
          },
        },
      }),
    );
    const result = ws.nx(['run', 'tools:purge']);
    expectSuccess(result);
    // Not made by package-image in this workspace (issue 19): never removed.
    expect(docker(['image', 'inspect', 'biocontainers/fake:1.0--0']).code).toBe(0);
    expect(docker(['image', 'inspect', TEST_IMAGES.base]).code).toBe(0);
    docker(['rmi', 'biocontainers/fake:1.0--0']);
  });

  it('purges the builder image an image project made, by its hash tag', () => {
    // A builder image of this test's own (other tests and helpers share the usual one).
    ws.write(
      'tools/purged-image/project.json',
      JSON.stringify({
        name: 'purged-image',
        root: 'tools/purged-image',
        targets: {
          'docker-image': {
            executor: 'nx-conda:docker-image',
            options: { baseImage: TEST_IMAGES.base, imageName: 'nx-conda-e2e/purged-builder' },
          },
          'purge-image': { executor: 'nx-conda:purge-image', options: { imageProject: 'purged-image' } },
        },
      }),
    );
    const built = ws.nx(['run', 'purged-image:docker-image']);
    expectSuccess(built);
    const tag = /(?:Built|Reused) (nx-conda-e2e\/purged-builder:[0-9a-f]{12})/.exec(built.output)?.[1];
    expect(tag).toBeDefined();
    expect(docker(['image', 'inspect', tag!]).code).toBe(0);
    const purged = ws.nx(['run', 'purged-image:purge-image']);
    expectSuccess(purged);
    expect(purged.output).toMatch(/removed 1, already gone 0/);
    expect(docker(['image', 'inspect', tag!]).code).not.toBe(0);
    expect(docker(['image', 'inspect', TEST_IMAGES.base]).code).toBe(0);
  });

  it('a failed builder image build names the image, quotes its last lines and says what to do, without a stack (issue 20)', () => {
    // The test base image has no conda: its `conda install` step fails at once.
    ws.write(
      'tools/broken-image/project.json',
      JSON.stringify({
        name: 'broken-image',
        root: 'tools/broken-image',
        targets: {
          'docker-image': {
            executor: 'nx-conda:docker-image',
            options: { baseImage: TEST_IMAGES.base, imageName: 'nx-conda-e2e/broken-builder', packages: ['zlib'] },
          },
        },
      }),
    );
    const stepContainers = () =>
      docker(['container', 'ls', '--all', '--quiet', '--filter', `ancestor=${TEST_IMAGES.base}`]).stdout.trim();
    const before = stepContainers();
    const result = ws.nx(['run', 'broken-image:docker-image']);
    expect(result.code).not.toBe(0);
    // the failed step's container is removed (the legacy builder keeps it without --force-rm)
    expect(stepContainers()).toBe(before);
    expect(result.output).toMatch(
      /^nx-conda: docker build of image nx-conda-e2e\/broken-builder:[0-9a-f]{12} failed \(exit code \d+\); last lines of output:$/m,
    );
    expect(result.output).toMatch(/conda: not found/);
    expect(result.output).toContain('Find the step that failed in the output above, fix it');
    expect(result.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(docker(['image', 'ls', '--quiet', 'nx-conda-e2e/broken-builder']).stdout.trim()).toBe('');
  });
});
