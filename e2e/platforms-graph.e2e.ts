import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import { createWorkspace, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Several platforms, the graph: which platform targets real Nx shows, and
 * the tasks `nx affected -t build-recipe-linux-aarch64` makes from them, with
 * bioconda's t1k case (samtools on x86_64 only). Then one native platform
 * build (linux-64 as the other platform of an aarch64 workspace, so that no
 * emulation is needed): what it owns of the output folder.
 */
/** A task dependency as `--graph=stdout` writes it (Nx 24: `{ id }`). */
type TaskRef = string | { id: string };
const ids = (refs: TaskRef[]) => refs.map((r) => (typeof r === 'string' ? r : r.id)).sort();

describe('several platforms: targets and task graph', () => {
  let ws: Workspace;
  const T = 'build-recipe-linux-aarch64';
  const meta = (name: string, host: string[], extra = '') =>
    `package:\n  name: ${name}\n  version: "1.0"\nrequirements:\n  host:\n${host.map((h) => `    - ${h}\n`).join('')}${extra}`;
  const ARM = 'extra:\n  additional-platforms:\n    - linux-aarch64\n    - osx-arm64\n';

  beforeAll(() => {
    ws = createWorkspace('platforms-graph', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: { imageProject: 'builder-image', platforms: ['linux-64', 'linux-aarch64', 'osx-arm64'] },
        },
      ],
    });
    const image = { executor: 'nx-conda:docker-image', cache: false, options: { baseImage: 'example/base:1' } };
    ws.write(
      'tools/builder-image/project.json',
      JSON.stringify({
        name: 'builder-image',
        targets: {
          'docker-image': image,
          'docker-image-linux-aarch64': { ...image, options: { ...image.options, platform: 'linux-aarch64' } },
        },
      }),
    );
    ws.write('recipes/htslib/meta.yaml', meta('htslib', ['zlib'], ARM));
    ws.write('recipes/samtools/meta.yaml', meta('samtools', ['htslib'], ARM));
    ws.write('recipes/t1k/meta.yaml', meta('t1k', ['htslib', 'samtools 0.1.19.*  # [x86_64]'], ARM));
    ws.write('recipes/pyhts/meta.yaml', `${meta('pyhts', ['htslib'], ARM)}build:\n  noarch: python\n`);
    ws.write('recipes/uses-py/meta.yaml', meta('uses-py', ['pyhts'], ARM));
    ws.write('recipes/x86/meta.yaml', meta('x86', ['htslib']));
    ws.git(['init', '-q', '-b', 'main']);
    ws.git(['add', '-A']);
    ws.git(['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'recipes']);
  });

  it('nx show project: the platform target with its description; none for noarch or unlisted recipes', () => {
    const shown = ws.nx(['show', 'project', 't1k', '--json']);
    expectSuccess(shown);
    expect(shown.output).toMatch(/osx-arm64 packages cannot be built in a Linux container/);
    const t1k = JSON.parse(shown.stdout);
    expect(t1k.targets[T]).toMatchObject({
      executor: 'nx-conda:recipe-build',
      cache: true,
      options: { platform: 'linux-aarch64' },
      outputs: ['{workspaceRoot}/dist/conda/{projectRoot}/linux-aarch64'],
      dependsOn: [{ projects: ['htslib'], target: T }, 'builder-image:docker-image-linux-aarch64'],
      metadata: { description: expect.stringContaining('linux-aarch64') },
    });
    expect(Object.keys(t1k.targets).filter((t: string) => t.includes('osx'))).toEqual([]);
    for (const name of ['pyhts', 'x86']) {
      const other = ws.nx(['show', 'project', name, '--json']);
      expectSuccess(other);
      expect(Object.keys(JSON.parse(other.stdout).targets)).toEqual(['build-recipe']);
    }
  });

  it('nx affected -t build-recipe-linux-aarch64: per-platform edges, noarch dependencies on their primary task', () => {
    const result = ws.nx(['affected', '-t', T, '--files=recipes/htslib/meta.yaml', '--graph=stdout']);
    expectSuccess(result);
    const { tasks } = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as {
      tasks: { tasks: Record<string, unknown>; dependencies: Record<string, TaskRef[]> };
    };
    expect(Object.keys(tasks.tasks).sort()).toEqual(
      [
        `htslib:${T}`,
        `samtools:${T}`,
        `t1k:${T}`,
        `uses-py:${T}`,
        // pyhts is noarch: its primary task, and through it htslib's (a remote-cache hit on an arm runner).
        'pyhts:build-recipe',
        'htslib:build-recipe',
        'builder-image:docker-image',
        'builder-image:docker-image-linux-aarch64',
      ].sort(),
    );
    // t1k on aarch64 never waits for samtools (x86_64 only in its recipe).
    expect(ids(tasks.dependencies[`t1k:${T}`])).toEqual(
      [`htslib:${T}`, 'builder-image:docker-image-linux-aarch64'].sort(),
    );
    expect(ids(tasks.dependencies[`uses-py:${T}`])).toEqual(
      [`htslib:${T}`, 'pyhts:build-recipe', 'builder-image:docker-image-linux-aarch64'].sort(),
    );
    // The linux-64 task of t1k still waits for samtools.
    const primary = ws.nx(['run', 't1k:build-recipe', '--graph=stdout']);
    expectSuccess(primary);
    const p = JSON.parse(primary.stdout.slice(primary.stdout.indexOf('{'))) as {
      tasks: { dependencies: Record<string, TaskRef[]> };
    };
    expect(ids(p.tasks.dependencies['t1k:build-recipe'])).toContain('samtools:build-recipe');
  });
});

describe("a platform build owns only its platform's subdir of the output folder (issue 27)", () => {
  it('build-recipe-linux-64 of an aarch64 workspace: its package in linux-64/, the noarch output left to build-recipe', () => {
    const ws = createWorkspace('platform-owner', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: {
            platform: 'linux-aarch64',
            platforms: ['linux-aarch64', 'linux-64'],
            images: { 'rattler-build': TEST_IMAGES.rattlerBuild },
            packageCache: false,
          },
        },
      ],
    });
    ws.write(
      'recipes/split/recipe.yaml',
      [
        'recipe:\n  name: split\n  version: "1.0"\n\nbuild:\n  number: 0\n',
        'outputs:',
        '  - package:\n      name: split-lib\n    build:\n      script:\n        - mkdir -p $PREFIX/share && uname -m > $PREFIX/share/split-lib.txt',
        '  - package:\n      name: split-data\n    build:\n      noarch: generic\n      script:\n        - mkdir -p $PREFIX/share && echo data > $PREFIX/share/split-data.txt',
        '\nextra:\n  additional-platforms:\n    - linux-64\n',
      ].join('\n'),
    );
    // noarch/ as the primary build (linux-aarch64) left it, in the same output folder.
    const out = join(ws.root, 'dist/conda/recipes/split');
    mkdirSync(join(out, 'noarch'), { recursive: true });
    writeFileSync(join(out, 'noarch', 'split-data-1.0-h0_0.conda'), 'made by build-recipe');
    writeFileSync(join(out, 'noarch', 'repodata.json'), '{"info":{"subdir":"noarch"},"packages":{}}');
    const primaryNoarch = () =>
      Object.fromEntries(
        readdirSync(join(out, 'noarch')).map((f) => [f, readFileSync(join(out, 'noarch', f), 'utf8')]),
      );
    const before = primaryNoarch();

    const result = ws.nx(['run', 'split:build-recipe-linux-64']);
    expectSuccess(result);
    expect(result.output).toMatch(
      /nx-conda: built 1 package\(s\) for split with rattler-build in [0-9.]+ s \(image [^)]+\); left out 1 noarch package\(s\) it also made \(split-data-1\.0-[^)]+\): noarch\/ of dist\/conda\/recipes\/split is the linux-aarch64 build's/,
    );
    expect(channelPackages(out).filter((p) => p.startsWith('linux-64/'))).toEqual([
      expect.stringMatching(/^linux-64\/split-lib-1\.0-/),
    ]);
    expect(primaryNoarch()).toEqual(before);
  });
});
