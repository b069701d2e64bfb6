import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember, repodata } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import { createWorkspace, docker, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 8: what real recipes declare, built by the real conda-build (and the
 * real rattler-build where the concept exists): multiple outputs, `skip`,
 * variants, noarch and platform packages, a failing `test:` phase; and the
 * cache keys of build-recipe.
 */
const IMAGES = { 'conda-build': TEST_IMAGES.condaBuild, 'rattler-build': TEST_IMAGES.rattlerBuild };

const RECIPES: Record<string, string> = {
  // Two outputs: a platform package and a noarch one that needs it.
  'recipes/multi/meta.yaml': `package:
  name: multi-split
  version: "1.0"
build:
  number: 0
outputs:
  - name: multi-lib
    script: install-lib.sh
    test:
      commands:
        - test -f $PREFIX/share/multi-lib.txt
  - name: multi-data
    build:
      noarch: generic
    script: install-data.sh
    requirements:
      run:
        - multi-lib
`,
  'recipes/multi/install-lib.sh': 'mkdir -p "$PREFIX/share" && echo lib > "$PREFIX/share/multi-lib.txt"\n',
  'recipes/multi/install-data.sh': 'mkdir -p "$PREFIX/share" && echo data > "$PREFIX/share/multi-data.txt"\n',
  // Requires one output of another recipe by its name.
  'recipes/user/meta.yaml': `package:
  name: user
  version: "1.0"
build:
  number: 0
  script:
    - test -f $PREFIX/share/multi-lib.txt
    - mkdir -p $PREFIX/share && echo user > $PREFIX/share/user.txt
requirements:
  host:
    - multi-lib
  run:
    - multi-lib
test:
  commands:
    - test -f $PREFIX/share/user.txt
`,
  'recipes/winonly/meta.yaml': `package:
  name: winonly
  version: "1.0"
build:
  number: 0
  skip: true  # [linux]
  script: echo never built on linux
`,
  'recipes/needs-winonly/meta.yaml': `package:
  name: needs-winonly
  version: "1.0"
build:
  number: 0
  script: echo never built
requirements:
  host:
    - winonly
`,
  // Uses the variant variable \`flavor\` of the workspace conda_build_config.yaml.
  'recipes/flavored/meta.yaml': `package:
  name: flavored
  version: "1.0"
build:
  number: 0
  script:
    - mkdir -p $PREFIX/share && echo "{{ flavor }}" > $PREFIX/share/flavor.txt
test:
  commands:
    - test -f $PREFIX/share/flavor.txt
`,
  'recipes/failtest/meta.yaml': `package:
  name: failtest
  version: "1.0"
build:
  number: 0
  script: echo "built, but the test will not find its file"
test:
  commands:
    - test -f $PREFIX/share/never-made.txt
`,
  // The same concepts in rattler-build's recipe.yaml.
  'recipes/rmulti/recipe.yaml': `recipe:
  name: rmulti
  version: "1.0"
build:
  number: 0
outputs:
  - package:
      name: rmulti-lib
    build:
      script:
        - mkdir -p $PREFIX/share && echo lib > $PREFIX/share/rmulti-lib.txt
  - package:
      name: rmulti-data
    build:
      noarch: generic
      script:
        - mkdir -p $PREFIX/share && echo data > $PREFIX/share/rmulti-data.txt
`,
  'recipes/ruser/recipe.yaml': `package:
  name: ruser
  version: "1.0"
build:
  number: 0
  script:
    - test -f $PREFIX/share/rmulti-lib.txt
    - mkdir -p $PREFIX/share && echo ruser > $PREFIX/share/ruser.txt
requirements:
  host:
    - rmulti-lib
`,
  'recipes/rskip/recipe.yaml': `package:
  name: rskip
  version: "1.0"
build:
  number: 0
  skip:
    - win
    - linux
  script:
    - echo never built on linux
`,
  'conda_build_config.yaml': 'flavor:\n  - vanilla\n  - chocolate\n',
};

const out = (ws: Workspace, project: string) => join(ws.root, 'dist/conda/recipes', project);
const indexJson = (channel: string, file: string) =>
  JSON.parse(readPackageMember(join(channel, file), 'info/index.json'));

describe('what real recipes declare (real conda-build and rattler-build, real engine)', () => {
  let ws: Workspace;
  let build: ReturnType<Workspace['nx']>;
  beforeAll(() => {
    ws = createWorkspace('features', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }] });
    for (const [path, text] of Object.entries(RECIPES)) ws.write(path, text, path.endsWith('.sh') ? 0o755 : undefined);
    build = ws.nx([
      'run-many',
      '-t',
      'build-recipe',
      '--parallel=2',
      '-p',
      'multi-split',
      'user',
      'winonly',
      'flavored',
      'rmulti',
      'ruser',
      'rskip',
    ]);
  });

  it('builds every output of a multi-output recipe, noarch and platform packages in their subdirs', () => {
    expectSuccess(build);
    const multi = out(ws, 'multi');
    expect(channelPackages(multi)).toEqual(['linux-64/multi-lib-1.0-0.conda', 'noarch/multi-data-1.0-0.conda']);
    expect(indexJson(multi, 'linux-64/multi-lib-1.0-0.conda')).toMatchObject({
      name: 'multi-lib',
      version: '1.0',
      build: '0',
      subdir: 'linux-64',
    });
    const data = indexJson(multi, 'noarch/multi-data-1.0-0.conda');
    expect(data).toMatchObject({ name: 'multi-data', subdir: 'noarch', noarch: 'generic' });
    expect(data.depends).toEqual(['multi-lib']);
    expect(Object.keys(repodata(multi, 'noarch')['packages.conda'])).toEqual(['multi-data-1.0-0.conda']);

    const rmulti = out(ws, 'rmulti');
    const rfiles = channelPackages(rmulti);
    expect(rfiles).toEqual([
      expect.stringMatching(/^linux-64\/rmulti-lib-1\.0-.*\.conda$/),
      expect.stringMatching(/^noarch\/rmulti-data-1\.0-.*\.conda$/),
    ]);
    expect(indexJson(rmulti, rfiles[1])).toMatchObject({ name: 'rmulti-data', noarch: 'generic' });
  });

  it('gives a recipe an edge to the recipe of the output it requires, and builds it against that output', () => {
    expectSuccess(build);
    const deps = ws.nx(['graph', '--file=graph.json']);
    expectSuccess(deps);
    const edges = JSON.parse(ws.read('graph.json')).graph.dependencies;
    expect(edges.user.map((d: { target: string }) => d.target)).toEqual(['multi-split']);
    expect(edges.ruser.map((d: { target: string }) => d.target)).toEqual(['rmulti']);
    expect(build.output).toMatch(/staging channel for user: 2 package\(s\) from 1 dependency \(multi-split\)/);
    const [user] = channelPackages(out(ws, 'user'));
    expect(indexJson(out(ws, 'user'), user).depends).toEqual(['multi-lib']);
    expect(
      readPackageMember(join(out(ws, 'ruser'), channelPackages(out(ws, 'ruser'))[0]), 'share/ruser.txt').trim(),
    ).toBe('ruser');
  });

  it('reports a recipe skipped for the platform, runs no container for it, and is not a failure', () => {
    expectSuccess(build);
    for (const [project, folder, file] of [
      ['winonly', 'winonly', 'meta.yaml'],
      ['rskip', 'rskip', 'recipe.yaml'],
    ]) {
      expect(build.output).toContain(
        `nx-conda: skipped ${project} for linux-64: recipes/${folder}/${file} says build: skip there.`,
      );
      // No container output: in a batch only nx-conda's own lines carry the project's prefix.
      expect(build.output).not.toMatch(new RegExp(`\\[${project}\\] (?!nx-conda: )`));
      expect(channelPackages(out(ws, folder))).toEqual([]);
      expect(readdirSync(join(out(ws, folder), 'linux-64')).sort()).toEqual([
        '.nx-conda-skipped.json',
        'repodata.json',
      ]);
    }
  });

  it('tells the dependent of a skipped recipe why it cannot build, without a solver run', () => {
    const result = ws.nx(['run', 'needs-winonly:build-recipe']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /needs-winonly cannot be built for linux-64: it depends on winonly \(recipes\/winonly\/meta\.yaml\), which is skipped for linux-64/,
    );
    expect(result.output).not.toMatch(/\[needs-winonly\] (?!nx-conda: )/);
    expect(existsSync(out(ws, 'needs-winonly'))).toBe(false);
  });

  it('builds every variant of the workspace conda_build_config.yaml, with different build strings', () => {
    expectSuccess(build);
    const flavored = out(ws, 'flavored');
    const files = channelPackages(flavored);
    expect(files).toHaveLength(2);
    const builds = files.map((f) => indexJson(flavored, f).build);
    expect(new Set(builds).size).toBe(2);
    for (const b of builds) expect(b).toMatch(/^h[0-9a-f]+_0$/);
    expect(files.map((f) => readPackageMember(join(flavored, f), 'share/flavor.txt').trim()).sort()).toEqual([
      'chocolate',
      'vanilla',
    ]);
  });

  it('fails a build whose test: command fails, showing that command in the last lines', () => {
    const result = ws.nx(['run', 'failtest:build-recipe']);
    expect(result.code).not.toBe(0);
    const lastLines = result.output.slice(result.output.indexOf('Its last lines:'));
    expect(lastLines).toMatch(/\| .*test -f .*\/share\/never-made\.txt/);
    expect(lastLines).toMatch(/TESTS FAILED/);
    expect(channelPackages(out(ws, 'failtest'))).toEqual([]);
  });
});

describe('build-recipe cache keys (real conda-build, real engine)', () => {
  const base = `nx-conda-e2e/cachekey-base:${process.pid}`;
  const builder = `nx-conda-e2e/cachekey-builder-${process.pid}`;
  let ws: Workspace;
  const cacheLine = /Nx read the output from the cache instead of running the command for (\d+) out of (\d+) tasks/;
  const built = (result: ReturnType<Workspace['nx']>) => {
    expectSuccess(result);
    const [file] = channelPackages(join(ws.root, 'dist/conda/recipes/pinned'));
    return readPackageMember(join(ws.root, 'dist/conda/recipes/pinned', file), 'share/pin.txt').trim();
  };

  beforeAll(() => {
    expect(docker(['tag', TEST_IMAGES.condaBuild, base]).code).toBe(0);
    ws = createWorkspace('cachekeys', {
      plugins: [
        { plugin: 'nx-conda', options: { imageProject: 'builder-image', variantConfigFiles: ['tools/pins.yaml'] } },
      ],
    });
    ws.write(
      'tools/builder-image/project.json',
      JSON.stringify({
        name: 'builder-image',
        root: 'tools/builder-image',
        targets: {
          'docker-image': {
            executor: 'nx-conda:docker-image',
            cache: false,
            outputs: ['{workspaceRoot}/dist/nx-conda/images/{projectName}'],
            options: { baseImage: base, imageName: builder },
          },
        },
      }),
    );
    ws.write('tools/pins.yaml', 'pin:\n  - first\n');
    ws.write(
      'recipes/pinned/meta.yaml',
      'package:\n  name: pinned\n  version: "1.0"\nbuild:\n  number: 0\n  script:\n    - mkdir -p $PREFIX/share && echo "{{ pin }}" > $PREFIX/share/pin.txt\n',
    );
  });

  afterAll(() => {
    const leftovers = docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', builder])
      .stdout.split('\n')
      .filter(Boolean);
    docker(['image', 'rm', '--force', base, ...leftovers]);
  });

  it('restores an unchanged build, and rebuilds when a variant file given by option changes', () => {
    expect(built(ws.nx(['run', 'pinned:build-recipe']))).toBe('first');
    const again = ws.nx(['run', 'pinned:build-recipe']);
    expect(built(again)).toBe('first');
    expect(again.output).toMatch(cacheLine);
    expect(again.output.match(cacheLine)![1]).toBe('1');

    ws.write('tools/pins.yaml', 'pin:\n  - second\n');
    const changed = ws.nx(['run', 'pinned:build-recipe']);
    expect(built(changed)).toBe('second');
    expect(changed.output).not.toMatch(cacheLine);
    expect(changed.output).toMatch(/\[pinned\] /);
  });

  it('rebuilds the builder image and the build when the base image behind the same tag changes', () => {
    const before = JSON.parse(ws.read('dist/nx-conda/images/builder-image/nx-conda-image.json'));
    // A new base image under the same tag, as a re-pulled :latest would be.
    const dockerfile = `FROM ${TEST_IMAGES.condaBuild}\nLABEL nx-conda-e2e.rev=${Date.now()}\n`;
    const rebuilt = spawnSync('docker', ['build', '--quiet', '-t', base, '-'], { input: dockerfile, encoding: 'utf8' });
    expect(rebuilt.status).toBe(0);

    const result = ws.nx(['run', 'pinned:build-recipe']);
    expect(built(result)).toBe('second');
    const after = JSON.parse(ws.read('dist/nx-conda/images/builder-image/nx-conda-image.json'));
    expect(after.baseImageId).not.toBe(before.baseImageId);
    expect(after.tag).not.toBe(before.tag);
    // docker-image built a new builder image (its own output is hidden by `nx run` on success).
    expect(docker(['image', 'inspect', after.tag]).code).toBe(0);
    expect(result.output).not.toMatch(cacheLine);
    expect(result.output).toMatch(/\[pinned\] /);
  });
});
