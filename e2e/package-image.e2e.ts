import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelPackages } from './utils/conda-package';
import { findInImage } from './utils/image-files';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { nonLoopbackAddress, registryAvailable, startRegistry, type TestRegistry } from './utils/registry';
import { startServer, type TestServer } from './utils/server';
import {
  createWorkspace,
  docker,
  expectSuccess,
  explain,
  workspaceContainers,
  workspaceLabel,
  type Workspace,
} from './utils/workspace';

/**
 * Issue 19: package-image with the real conda of the conda-build test image:
 * one image per package file (each output), installed at /usr/local on the
 * offline base image, the package's own tests run inside it with no network,
 * reused while the package file is unchanged, purged by what we made only.
 */
const NAMESPACE = `e2e-pkgimage-${randomBytes(4).toString('hex')}`;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const labels = (ref: string): Record<string, string> =>
  JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref]).stdout || 'null') ?? {};
const exists = (ref: string) => docker(['image', 'inspect', ref]).code === 0;
const idOf = (ref: string) => docker(['image', 'inspect', '--format', '{{.Id}}', ref]).stdout;
const ourImages = () =>
  docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${NAMESPACE}/*`])
    .stdout.split('\n')
    .filter(Boolean)
    .sort();

function writeRecipes(ws: Workspace): void {
  ws.write(
    'recipes/libgreet/meta.yaml',
    [
      'package:\n  name: libgreet\n  version: "2.1"',
      'build:\n  number: 0\n  noarch: generic\n  script: mkdir -p $PREFIX/share && echo greetings > $PREFIX/share/libgreet.txt',
      '',
    ].join('\n'),
  );
  ws.write(
    'recipes/hello-tool/meta.yaml',
    [
      'package:\n  name: hello-tool\n  version: "1.0"',
      'build:\n  number: 0',
      'requirements:\n  run:\n    - libgreet',
      'test:\n  commands:\n    - hello-tool | grep "hello from tool"\n    - test -f $PREFIX/share/libgreet.txt',
      '',
    ].join('\n'),
  );
  ws.write(
    'recipes/hello-tool/build.sh',
    'mkdir -p $PREFIX/bin\nprintf \'#!/bin/sh\\necho "hello from tool $(cat /usr/local/share/libgreet.txt)"\\n\' > $PREFIX/bin/hello-tool\nchmod +x $PREFIX/bin/hello-tool\n',
  );
  // Two outputs: two packages, two images, each tested with its own commands.
  ws.write(
    'recipes/pair/meta.yaml',
    [
      'package:\n  name: pair-split\n  version: "3.0"',
      'outputs:',
      '  - name: pair-a',
      '    script: out.sh',
      '    test:\n      commands:\n        - test -f $PREFIX/share/pair-a.txt',
      '  - name: pair-b',
      '    script: out.sh',
      '    test:\n      commands:\n        - test -f $PREFIX/share/pair-b.txt',
      '',
    ].join('\n'),
  );
  ws.write('recipes/pair/out.sh', 'mkdir -p $PREFIX/share && echo $PKG_NAME > $PREFIX/share/$PKG_NAME.txt\n');
  // Passes in the builder image (which has conda's .condarc), fails in the package's own image.
  ws.write(
    'recipes/badtest/meta.yaml',
    [
      'package:\n  name: badtest\n  version: "0.1"',
      'build:\n  number: 0\n  noarch: generic\n  script: mkdir -p $PREFIX/share && touch $PREFIX/share/badtest',
      'test:\n  commands:\n    - test -f $PREFIX/share/badtest\n    - test -f /opt/conda/.condarc',
      '',
    ].join('\n'),
  );
}

describe('package-image (conda-build test image, real engine)', () => {
  let ws: Workspace;
  const extra: string[] = [];
  beforeAll(() => {
    ws = createWorkspace('pkgimage', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: {
            image: TEST_IMAGES.condaBuild,
            packageBaseImage: TEST_IMAGES.base,
            namespace: NAMESPACE,
            // Opt-in targets (only build-recipe is inferred by default).
            packageImageTargetName: 'package-image',
            purgeTargetName: 'purge-image',
          },
        },
      ],
    });
    writeRecipes(ws);
  });
  afterAll(() => {
    for (const ref of [...ourImages(), ...extra]) docker(['image', 'rm', '--force', ref]);
    for (const ref of docker([
      'image',
      'ls',
      '--format',
      '{{.Repository}}:{{.Tag}}',
      '--filter',
      'reference=nx-conda-untested/badtest',
    ])
      .stdout.split('\n')
      .filter(Boolean))
      docker(['image', 'rm', '--force', ref]);
  });

  it('infers package-image on its build when named, with a description', () => {
    const project = JSON.parse(ws.nx(['show', 'project', 'hello-tool', '--json']).stdout);
    const target = project.targets['package-image'];
    expect(target).toMatchObject({
      executor: 'nx-conda:package-image',
      cache: false,
      dependsOn: ['build-recipe'],
      options: { image: TEST_IMAGES.condaBuild, packageBaseImage: TEST_IMAGES.base, namespace: NAMESPACE },
    });
    expect(target.metadata.description).toMatch(/image/);
    expect(project.targets['purge-image'].options).toMatchObject({ packageProject: 'hello-tool' });
  });

  it('builds, tests and tags one image with the package and its run requirements at /usr/local, without conda', () => {
    const result = ws.nx(['run', 'hello-tool:package-image']);
    expectSuccess(result);
    const tag = `${NAMESPACE}/hello-tool:1.0--0`;
    expect(result.output).toMatch(/testing .*hello-tool:1\.0--0: 1 step\(s\), no network/);
    expect(result.output).toContain('nx-conda-test: 1 test step(s) passed');
    expect(result.output).toMatch(/built, 1 test step\(s\) passed/);
    const out = join(ws.root, 'dist/conda/recipes/hello-tool');
    const [pkg] = channelPackages(out);
    expect(pkg).toBe('linux-64/hello-tool-1.0-0.conda');
    expect(labels(tag)).toMatchObject({
      'nx-conda': 'package',
      'nx-conda.workspace': workspaceLabel(ws),
      'nx-conda.project': 'hello-tool',
      'nx-conda.package-file': 'hello-tool-1.0-0.conda',
      'nx-conda.package-sha256': sha256(join(out, pkg)),
      'nx-conda.tests': 'passed',
    });
    // The tool on PATH, its run requirement installed, no activation; no conda, no package cache, no temporary tag.
    const run = docker(['run', '--rm', '--network', 'none', tag, 'hello-tool']);
    expect(run).toEqual({ code: 0, stdout: 'hello from tool greetings' });
    const clean = docker([
      'run',
      '--rm',
      '--network',
      'none',
      tag,
      'sh',
      '-c',
      'test -f /usr/local/conda-meta/libgreet-2.1-0.json && test ! -e /opt/conda/.condarc && test ! -e /opt/conda/pkgs && test ! -e /tmp/nx-conda-pkgs && ! command -v conda && echo clean',
    ]);
    expect(clean.stdout).toBe('clean');
    expect(docker(['image', 'ls', '--quiet', '--filter', 'reference=nx-conda-untested/hello-tool']).stdout).toBe('');
    // The install stage (an unnamed image without BuildKit) is gone too.
    const stage = `nx-conda.install-stage=${workspaceLabel(ws)}-${sha256(join(out, pkg))}`;
    expect(docker(['image', 'ls', '--all', '--quiet', '--filter', `label=${stage}`]).stdout).toBe('');
  });

  it('reuses the image while the package file is unchanged: no container, no build', () => {
    const before = idOf(`${NAMESPACE}/hello-tool:1.0--0`);
    const result = ws.nx(['run', 'hello-tool:package-image']);
    expectSuccess(result);
    expect(result.output).toMatch(/hello-tool:1\.0--0 {2}reused/);
    expect(result.output).not.toMatch(/nx-conda: building |nx-conda: testing |nx-conda-test:/);
    expect(idOf(`${NAMESPACE}/hello-tool:1.0--0`)).toBe(before);
  });

  it('rebuilds when the package file changes, and removes the image it replaced', () => {
    const tag = `${NAMESPACE}/hello-tool:1.0--0`;
    const before = idOf(tag);
    ws.write(
      'recipes/hello-tool/build.sh',
      `${ws.read('recipes/hello-tool/build.sh')}mkdir -p $PREFIX/share && echo v2 > $PREFIX/share/hello-v2\n`,
    );
    const result = ws.nx(['run', 'hello-tool:package-image']);
    expectSuccess(result);
    expect(result.output).toMatch(/hello-tool:1\.0--0 {2}built, 1 test step\(s\) passed/);
    expect(idOf(tag)).not.toBe(before);
    expect(docker(['run', '--rm', tag, 'cat', '/usr/local/share/hello-v2']).stdout).toBe('v2');
    expect(exists(before)).toBe(false);
  });

  it('gives a multi-output recipe one tested image per output', () => {
    const result = ws.nx(['run', 'pair-split:package-image']);
    expectSuccess(result);
    expect(ourImages()).toEqual(expect.arrayContaining([`${NAMESPACE}/pair-a:3.0--0`, `${NAMESPACE}/pair-b:3.0--0`]));
    for (const name of ['pair-a', 'pair-b']) {
      expect(labels(`${NAMESPACE}/${name}:3.0--0`)['nx-conda.tests']).toBe('passed');
      expect(docker(['run', '--rm', `${NAMESPACE}/${name}:3.0--0`, 'cat', `/usr/local/share/${name}.txt`]).stdout).toBe(
        name,
      );
    }
    expect(result.output.match(/test step\(s\) passed/g)?.length).toBeGreaterThanOrEqual(2);
  });

  it('fails on a failing test with the command and its last lines, and removes the untested image', () => {
    const result = ws.nx(['run', 'badtest:package-image']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/test of badtest-0\.1-0\.tar\.bz2|test of badtest-0\.1-0\.conda/);
    expect(result.output).toContain('the untested image was removed');
    expect(result.output).toMatch(/failing command: test -f \/opt\/conda\/\.condarc/);
    expect(result.output).toMatch(/Last lines:/);
    expect(exists(`${NAMESPACE}/badtest:0.1--0`)).toBe(false);
    expect(docker(['image', 'ls', '--quiet', '--filter', 'reference=nx-conda-untested/badtest']).stdout).toBe('');
  });

  it('skipTests skips the tests, says so, and labels the image untested', () => {
    const result = ws.nx(['run', 'badtest:package-image', '--skipTests']);
    expectSuccess(result);
    expect(result.output).toMatch(/tests of badtest-0\.1-0\.\S+ NOT run \(skipTests\)/);
    expect(labels(`${NAMESPACE}/badtest:0.1--0`)['nx-conda.tests']).toBe('skipped');
  });

  // Issue 31, point 1.
  it('never moves a tag it did not make: a foreign image under the tag is an error naming it; force takes the tag and leaves that image', () => {
    const tag = `${NAMESPACE}/libgreet:2.1--0`;
    expect(docker(['tag', TEST_IMAGES.base, tag]).code).toBe(0);
    const refused = ws.nx(['run', 'libgreet:package-image']);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`${tag} is held by an image nx-conda did not make (no nx-conda labels)`);
    expect(refused.output).not.toMatch(/nx-conda: building /);
    expect(idOf(tag)).toBe(idOf(TEST_IMAGES.base));
    const forced = ws.nx(['run', 'libgreet:package-image', '--force']);
    expectSuccess(forced);
    expect(labels(tag)['nx-conda']).toBe('package');
    expect(exists(TEST_IMAGES.base)).toBe(true);
  });

  it('purge-image removes exactly the images package-image made here', () => {
    const ours = `${NAMESPACE}/hello-tool:1.0--0`;
    // Same repository, not ours: a plain image, one built FROM ours (inherits our labels), one of another workspace.
    const foreign = `${NAMESPACE}/hello-tool:foreign`;
    const derived = `${NAMESPACE}/hello-tool:derived`;
    const other = `${NAMESPACE}/hello-tool:1.0--1`;
    expect(docker(['image', 'tag', TEST_IMAGES.base, foreign]).code).toBe(0);
    const ctx = mkdtempSync(join(tmpdir(), 'nx-conda-e2e-derived-'));
    try {
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${ours}\nRUN true\n`);
      expect(docker(['build', '--quiet', '--tag', derived, ctx]).code).toBe(0);
      writeFileSync(join(ctx, 'Dockerfile'), `FROM ${TEST_IMAGES.base}\n`);
      const otherLabels = [
        'nx-conda=package',
        'nx-conda.workspace=0123456789abcdef',
        'nx-conda.project=hello-tool',
        'nx-conda.package-file=hello-tool-1.0-1.conda',
      ].flatMap((l) => ['--label', l]);
      expect(docker(['build', '--quiet', ...otherLabels, '--tag', other, ctx]).code).toBe(0);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
    extra.push(foreign, derived, other);

    const byProject = ws.nx(['run', 'hello-tool:purge-image']);
    expectSuccess(byProject);
    expect(exists(ours)).toBe(false);
    for (const ref of [foreign, derived, other]) expect({ ref, there: exists(ref) }).toEqual({ ref, there: true });
    expect(exists(`${NAMESPACE}/pair-a:3.0--0`)).toBe(true);

    const byName = ws.nx(['run', 'pair-split:purge-image', '--names=pair-a', '--packageProject=']);
    expectSuccess(byName);
    expect(exists(`${NAMESPACE}/pair-a:3.0--0`)).toBe(false);
    expect(exists(`${NAMESPACE}/pair-b:3.0--0`)).toBe(true);

    const byPackage = ws.nx([
      'run',
      'pair-split:purge-image',
      '--packages=pair-b=3.0--0',
      '--packages=hello-tool=1.0--1',
      '--packageProject=',
    ]);
    expectSuccess(byPackage);
    expect(byPackage.output).toMatch(/hello-tool:1\.0--1: not made by package-image in this workspace; left alone/);
    expect(exists(`${NAMESPACE}/pair-b:3.0--0`)).toBe(false);
    expect(exists(other)).toBe(true);

    const all = ws.nx(['run', 'badtest:purge-image', '--packageImages', '--packageProject=']);
    expectSuccess(all);
    expect(exists(`${NAMESPACE}/badtest:0.1--0`)).toBe(false);
    expect(ourImages()).toEqual([derived, foreign, other].sort());
    if (all.code !== 0) throw new Error(explain(all));
  });
});

describe('package-image of a rattler-build package (conda of the conda-build image installs)', () => {
  let ws: Workspace;
  const namespace = `${NAMESPACE}-r`;
  beforeAll(() => {
    ws = createWorkspace('pkgimage-rattler', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: {
            images: { 'conda-build': TEST_IMAGES.condaBuild, 'rattler-build': TEST_IMAGES.rattlerBuild },
            packageBaseImage: TEST_IMAGES.base,
            namespace,
            packageImageTargetName: 'package-image',
            purgeTargetName: 'purge-image',
          },
        },
      ],
    });
    ws.write(
      'recipes/rtool/recipe.yaml',
      [
        'package:\n  name: rtool\n  version: "1.0"',
        "build:\n  number: 0\n  script:\n    - mkdir -p $PREFIX/bin\n    - printf '#!/bin/sh\\necho hello rattler\\n' > $PREFIX/bin/rtool\n    - chmod +x $PREFIX/bin/rtool",
        'tests:\n  - script:\n      - rtool | grep "hello rattler"\n  - script:\n      content: test -x $PREFIX/bin/rtool',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => {
    for (const ref of docker([
      'image',
      'ls',
      '--format',
      '{{.Repository}}:{{.Tag}}',
      '--filter',
      `reference=${namespace}/*`,
    ])
      .stdout.split('\n')
      .filter(Boolean))
      docker(['image', 'rm', '--force', ref]);
  });

  it("runs info/tests/tests.yaml's tests in the image and tags it", () => {
    const result = ws.nx(['run', 'rtool:package-image']);
    expectSuccess(result);
    expect(result.output).toMatch(/testing .*rtool:1\.0--\S+: 2 step\(s\), no network/);
    expect(result.output).toContain('nx-conda-test: 2 test step(s) passed');
    const [ref] = docker([
      'image',
      'ls',
      '--format',
      '{{.Repository}}:{{.Tag}}',
      '--filter',
      `reference=${namespace}/rtool`,
    ])
      .stdout.split('\n')
      .filter(Boolean);
    expect(ref).toMatch(new RegExp(`^${namespace}/rtool:1\\.0--h[0-9a-f]+_0$`));
    expect(labels(ref)['nx-conda.tests']).toBe('passed');
    expect(docker(['run', '--rm', '--network', 'none', ref, 'rtool']).stdout).toBe('hello rattler');
  });
});

/** podman with the test images (scripts/ensure-podman.sh loads them from docker). */
const podman = (args: string[]) => {
  const r = spawnSync('podman', args, { encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: (r.stdout ?? '').trim() };
};
const podmanReady =
  podman(['run', '--rm', '--network', 'none', TEST_IMAGES.base, 'true']).code === 0 &&
  podman(['image', 'exists', TEST_IMAGES.condaBuild]).code === 0;
if (!podmanReady)
  console.warn(
    'package-image podman test skipped: podman or its test images are missing (bash scripts/ensure-podman.sh)',
  );

(podmanReady ? describe : describe.skip)('package-image with podman (real podman, conda-build test image)', () => {
  let ws: Workspace;
  const namespace = `${NAMESPACE}-podman`;
  /** Names podman gives this test's images (`localhost/...`), filtered here: podman's reference filter also lists other names of the same id. */
  const ours = () =>
    podman(['images', '--format', '{{.Repository}}:{{.Tag}}'])
      .stdout.split('\n')
      .filter((ref) => ref.startsWith(`localhost/${namespace}/`))
      .sort();
  const podmanLabels = (ref: string): Record<string, string> =>
    JSON.parse(podman(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref]).stdout || 'null') ?? {};
  beforeAll(() => {
    ws = createWorkspace('pkgimage-podman', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: {
            image: TEST_IMAGES.condaBuild,
            packageBaseImage: TEST_IMAGES.base,
            namespace,
            packageImageTargetName: 'package-image',
            purgeTargetName: 'purge-image',
            engine: 'podman',
          },
        },
      ],
    });
    ws.write(
      'recipes/ptool/meta.yaml',
      [
        'package:\n  name: ptool\n  version: "1.0"',
        "build:\n  number: 0\n  noarch: generic\n  script: mkdir -p $PREFIX/bin && printf '#!/bin/sh\\necho hello from podman\\n' > $PREFIX/bin/ptool && chmod +x $PREFIX/bin/ptool",
        'test:\n  commands:\n    - ptool | grep "hello from podman"',
        '',
      ].join('\n'),
    );
    ws.write(
      'recipes/ppair/meta.yaml',
      [
        'package:\n  name: ppair-split\n  version: "3.0"',
        'outputs:',
        '  - name: ppair-a',
        '    script: out.sh',
        '    test:\n      commands:\n        - test -f $PREFIX/share/ppair-a.txt',
        '  - name: ppair-b',
        '    script: out.sh',
        '    test:\n      commands:\n        - test -f $PREFIX/share/ppair-b.txt',
        '',
      ].join('\n'),
    );
    ws.write('recipes/ppair/out.sh', 'mkdir -p $PREFIX/share && echo $PKG_NAME > $PREFIX/share/$PKG_NAME.txt\n');
  });
  afterAll(() => {
    const refs = ours();
    // By name, without --force: a name on a shared image (the foreign tag of the base image) goes, the image stays.
    if (refs.length > 0) podman(['rmi', ...refs]);
  });

  it('builds, tests and tags one image per package (each output of a multi-output recipe) in podman', () => {
    const result = ws.nx(['run-many', '-t', 'package-image', '-p', 'ptool', 'ppair-split']);
    expectSuccess(result);
    const tags = ['ppair-a:3.0--0', 'ppair-b:3.0--0', 'ptool:1.0--0'].map((t) => `localhost/${namespace}/${t}`);
    expect(ours()).toEqual(tags);
    for (const tag of tags)
      expect({ tag, tests: podmanLabels(tag)['nx-conda.tests'] }).toEqual({ tag, tests: 'passed' });
    expect(podmanLabels(tags[2])).toMatchObject({
      'nx-conda': 'package',
      'nx-conda.workspace': workspaceLabel(ws),
      'nx-conda.package-file': expect.stringMatching(/^ptool-1\.0-0\.(conda|tar\.bz2)$/),
    });
    // One line per image in the tasks' own outputs (a batch also streams them live, each line prefixed [project]).
    expect(
      result.output.split('\n').filter((l) => l.includes('built, 1 test step(s) passed') && !l.startsWith('[')),
    ).toHaveLength(3);
    // The tool on PATH in podman's image, with no network; each output holds its own file; docker has none of them.
    expect(podman(['run', '--rm', '--network', 'none', tags[2], 'ptool'])).toEqual({
      code: 0,
      stdout: 'hello from podman',
    });
    for (const name of ['ppair-a', 'ppair-b'])
      expect(
        podman(['run', '--rm', `localhost/${namespace}/${name}:3.0--0`, 'cat', `/usr/local/share/${name}.txt`]).stdout,
      ).toBe(name);
    expect(docker(['image', 'ls', '--quiet', '--filter', `reference=${namespace}/*`]).stdout).toBe('');
    expect(podman(['images', '--quiet', '--filter', 'reference=nx-conda-untested/*']).stdout).toBe('');
    expect(workspaceContainers(ws, 'podman')).toBe('');
    // No install stage left behind (podman keeps it as an unnamed image).
    const stages = podman(['images', '--all', '--format', '{{.ID}} {{.Labels}}']).stdout;
    expect(stages.split('\n').filter((l) => l.includes(`nx-conda.install-stage:${workspaceLabel(ws)}-`))).toEqual([]);
  });

  it('reuses the images while the package files are unchanged: no container, no build', () => {
    const before = podman(['image', 'inspect', '--format', '{{.Id}}', `localhost/${namespace}/ptool:1.0--0`]).stdout;
    const result = ws.nx(['run', 'ptool:package-image']);
    expectSuccess(result);
    expect(result.output).toMatch(/ptool:1\.0--0 {2}reused/);
    expect(result.output).not.toMatch(/nx-conda: building |nx-conda: testing |nx-conda-test:/);
    expect(podman(['image', 'inspect', '--format', '{{.Id}}', `localhost/${namespace}/ptool:1.0--0`]).stdout).toBe(
      before,
    );
  });

  // Issue 31, point 2: podman verifies TLS unless the registry is on loopback or insecureRegistry is set.
  (registryAvailable() ? it : it.skip)(
    'pushes to a loopback registry; one elsewhere is TLS-verified, pushed only with insecureRegistry',
    async () => {
      const loopback = await startRegistry();
      const address = nonLoopbackAddress();
      const plain = address ? await startRegistry(address) : undefined;
      const names = [loopback, plain].filter((r) => r !== undefined).map((r) => `${r.host}/${namespace}/ptool:1.0--0`);
      try {
        const pushed = ws.nx(['run', 'ptool:package-image', `--registry=${loopback.host}`]);
        expectSuccess(pushed);
        expect(pushed.output).toContain(`${loopback.host}/${namespace}/ptool:1.0--0  pushed`);
        if (!plain) return console.warn('no non-loopback address: TLS push check skipped');
        const refused = ws.nx(['run', 'ptool:package-image', `--registry=${plain.host}`]);
        expect(refused.code).not.toBe(0);
        expect(refused.output).toMatch(/HTTP response to HTTPS client|tls|x509|certificate/i);
        const insecure = ws.nx(['run', 'ptool:package-image', `--registry=${plain.host}`, '--insecureRegistry']);
        expectSuccess(insecure);
        expect(insecure.output).toContain(`${plain.host}/${namespace}/ptool:1.0--0  pushed`);
      } finally {
        for (const name of names) podman(['rmi', name]);
        await loopback.stop();
        await plain?.stop();
      }
    },
  );

  it('purge-image removes exactly the images package-image made here, in podman', () => {
    const foreign = `localhost/${namespace}/ptool:foreign`;
    expect(podman(['tag', TEST_IMAGES.base, foreign]).code).toBe(0);
    const byProject = ws.nx(['run', 'ptool:purge-image']);
    expectSuccess(byProject);
    expect(ours()).toEqual([`localhost/${namespace}/ppair-a:3.0--0`, `localhost/${namespace}/ppair-b:3.0--0`, foreign]);

    const all = ws.nx(['run', 'ptool:purge-image', '--packageImages', '--packageProject=']);
    expectSuccess(all);
    expect(ours()).toEqual([foreign]);
    expect(podman(['image', 'exists', TEST_IMAGES.base]).code).toBe(0);
    // No unnamed image of ours stays (podman keeps a build's steps unless told not to).
    const label = `label=nx-conda.workspace=${workspaceLabel(ws)}`;
    expect(podman(['images', '--all', '--quiet', '--filter', label]).stdout).toBe('');
  });
});

const withRegistry = registryAvailable() ? describe : describe.skip;
if (!registryAvailable())
  console.warn('package-image push test skipped: docker-registry is not installed (bash scripts/ensure-registry.sh)');

withRegistry('package-image push to a real registry (docker-registry on loopback)', () => {
  let ws: Workspace;
  let registry: TestRegistry;
  const namespace = `${NAMESPACE}-push`;
  const local = `${namespace}/pushed-tool:1.0--0`;
  let remote: string;
  const cleanup: string[] = [];
  const seen: string[] = [];
  beforeAll(async () => {
    registry = await startRegistry();
    remote = `${registry.host}/${local}`;
    ws = createWorkspace('pkgimage-push', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: {
            image: TEST_IMAGES.condaBuild,
            packageBaseImage: TEST_IMAGES.base,
            namespace,
            packageImageTargetName: 'package-image',
            purgeTargetName: 'purge-image',
            registry: registry.host,
          },
        },
      ],
    });
    ws.write(
      'recipes/pushed-tool/meta.yaml',
      [
        'package:\n  name: pushed-tool\n  version: "1.0"',
        "build:\n  number: 0\n  script: mkdir -p $PREFIX/bin && printf '#!/bin/sh\\necho pushed and pulled\\n' > $PREFIX/bin/pushed-tool && chmod +x $PREFIX/bin/pushed-tool",
        'test:\n  commands:\n    - pushed-tool',
        '',
      ].join('\n'),
    );
    cleanup.push(local, remote);
  });
  /** Every name this test's registry gave an image here: tags and `repo@sha256:` digests (a push or pull leaves one). */
  const registryNames = () =>
    docker([
      'image',
      'ls',
      '--digests',
      '--format',
      '{{.Repository}}:{{.Tag}} {{.Repository}}@{{.Digest}}',
      '--filter',
      `reference=${registry.host}/${namespace}/*`,
    ])
      .stdout.split(/\s+/)
      .filter((ref) => ref && !ref.endsWith(':<none>') && !ref.endsWith('@<none>'));
  /**
   * What the test made goes by id (our images: built, or replaced by force);
   * the names it gave others' images (the base image pushed as "someone
   * else's" and pulled back) go by name and digest only, so that the image
   * itself (the shared base image) stays.
   */
  const removeOurs = () => {
    const ids = new Set([...cleanup.map(idOf), ...seen].filter(Boolean));
    for (const ref of cleanup) docker(['image', 'rm', ref]);
    for (const ref of registryNames()) docker(['image', 'rm', ref]);
    for (const id of ids) if (id !== idOf(TEST_IMAGES.base)) docker(['image', 'rm', '--force', id]);
    return ids;
  };
  afterAll(async () => {
    if (registry) removeOurs();
    await registry?.stop();
  });

  it('pushes the tested tag; pulled back into an engine without it, the tool runs', () => {
    const result = ws.nx(['run', 'pushed-tool:package-image']);
    expectSuccess(result);
    expect(result.output).toContain(`${remote}  pushed`);
    const again = ws.nx(['run', 'pushed-tool:package-image']);
    expectSuccess(again);
    expect(again.output).toContain(`${remote}  already in the registry`);
    const id = idOf(local);
    expect(docker(['image', 'rm', local, remote]).code).toBe(0);
    expect(exists(local) || exists(remote)).toBe(false);
    expect(docker(['pull', '--quiet', remote]).code).toBe(0);
    expect(idOf(remote)).toBe(id);
    expect(docker(['run', '--rm', '--network', 'none', remote, 'pushed-tool']).stdout).toBe('pushed and pulled');
  });

  it('refuses to overwrite a registry tag that holds other content, unless force', () => {
    // Someone else's image under our tag in the registry.
    expect(docker(['tag', TEST_IMAGES.base, remote]).code).toBe(0);
    expect(docker(['push', '--quiet', remote]).code).toBe(0);
    seen.push(idOf(local));
    // The registry-qualified name here is someone else's too: never pulled over or moved without force (issue 31).
    const held = ws.nx(['run', 'pushed-tool:package-image']);
    expect(held.code).not.toBe(0);
    expect(held.output).toContain(`${remote} is held by an image nx-conda did not make`);
    expect(idOf(remote)).toBe(idOf(TEST_IMAGES.base));
    expect(docker(['image', 'rm', remote]).code).toBe(0);
    const refused = ws.nx(['run', 'pushed-tool:package-image']);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`${remote} exists in the registry with other content`);
    expect(refused.output).toMatch(/Set force to replace it/);

    const forced = ws.nx(['run', 'pushed-tool:package-image', '--force']);
    expectSuccess(forced);
    expect(forced.output).toContain(`${remote}  pushed`);
    const ours = idOf(local);
    expect(docker(['image', 'rm', remote]).code).toBe(0);
    expect(docker(['pull', '--quiet', remote]).code).toBe(0);
    expect(idOf(remote)).toBe(ours);
    seen.push(ours);
  });

  // Issue 31, point 2: a registry that is not on loopback is verified (docker's daemon: only 127.0.0.0/8 is insecure by default).
  it('verifies TLS when pushing to a registry that is not on loopback', async () => {
    const address = nonLoopbackAddress();
    if (!address) return console.warn('no non-loopback address: TLS push check skipped');
    const plain = await startRegistry(address);
    try {
      const result = ws.nx(['run', 'pushed-tool:package-image', `--registry=${plain.host}`]);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/HTTP response to HTTPS client|tls|x509|certificate/i);
      expect(result.output).not.toContain(`${plain.host}/${local}  pushed`);
    } finally {
      docker(['image', 'rm', `${plain.host}/${local}`]);
      await plain.stop();
    }
  });

  it('leaves no image and no name of its own behind (the base image it pushed as foreign stays)', () => {
    const ids = removeOurs();
    expect(ids.size).toBeGreaterThanOrEqual(1);
    expect(registryNames()).toEqual([]);
    expect(
      docker(['image', 'ls', '--all', '--quiet', '--filter', `reference=${registry.host}/${namespace}/*`]).stdout,
    ).toBe('');
    for (const id of ids) expect({ id, there: exists(id) }).toEqual({ id, there: false });
    expect(exists(TEST_IMAGES.base)).toBe(true);
  });
});

// Issue 31, point 6: a channel with credentials (user:password@ and a /t/<token>/ path) that the install stage
// uses; the image pushed and pulled back holds none of them, in any file, its history or its configuration.
withRegistry(
  'package-image with a credentialed channel: no pushed image carries a credential (docker, loopback registry)',
  () => {
    const namespace = `${NAMESPACE}-cred`;
    const secret = randomBytes(6).toString('hex');
    const user = `e2euser${secret}`;
    const password = `e2epass${secret}`;
    const token = `e2etoken${secret}`;
    const local = `${namespace}/credtool:1.0--0`;
    // The conda-build test image is offline by its .condarc; the installer here may use the network.
    const installer = `${namespace}/installer:online`;
    let server: TestServer;
    let registry: TestRegistry;
    let ws: Workspace;
    let remote: string;
    let channel: string;
    beforeAll(async () => {
      // The upstream channel: credlib, built once elsewhere, served under /t/<token>/upstream.
      const publisher = createWorkspace('pkgimage-cred-publisher', {
        plugins: [{ plugin: 'nx-conda', options: { image: TEST_IMAGES.condaBuild } }],
      });
      publisher.write(
        'recipes/credlib/meta.yaml',
        'package:\n  name: credlib\n  version: "1.0"\nbuild:\n  number: 0\n  noarch: generic\n  script: mkdir -p $PREFIX/share && echo lib > $PREFIX/share/credlib.txt\n',
      );
      expectSuccess(publisher.nx(['run', 'credlib:build-recipe']));
      const served = mkdtempSync(join(E2E_ROOT, 'cred-upstream-'));
      cpSync(join(publisher.root, 'dist/conda/recipes/credlib'), join(served, 't', token, 'upstream'), {
        recursive: true,
      });
      // conda (with the rattler solver) reads the index with the token and downloads packages without it: both paths.
      symlinkSync(join('t', token, 'upstream'), join(served, 'upstream'));
      server = await startServer('static', served);
      channel = `http://${user}:${password}@127.0.0.1:${server.port}/t/${token}/upstream`;
      registry = await startRegistry();
      remote = `${registry.host}/${local}`;
      const ctx = mkdtempSync(join(tmpdir(), 'nx-conda-e2e-installer-'));
      try {
        writeFileSync(join(ctx, 'Dockerfile'), `FROM ${TEST_IMAGES.condaBuild}\nENV CONDA_OFFLINE=false\n`);
        expect(docker(['build', '--quiet', '--tag', installer, ctx]).code).toBe(0);
      } finally {
        rmSync(ctx, { recursive: true, force: true });
      }
      ws = createWorkspace('pkgimage-cred', {
        plugins: [
          {
            plugin: 'nx-conda',
            options: {
              image: TEST_IMAGES.condaBuild,
              packageBaseImage: TEST_IMAGES.base,
              namespace,
              packageImageTargetName: 'package-image',
              registry: registry.host,
            },
          },
        ],
      });
      // credtool needs credlib at run time, which only the upstream channel has: the install stage fetches it there.
      // (No test in the recipe: the offline build would need credlib to test.)
      ws.write(
        'recipes/credtool/meta.yaml',
        [
          'package:\n  name: credtool\n  version: "1.0"',
          'build:\n  number: 0\n  noarch: generic\n  script: mkdir -p $PREFIX/share && echo tool > $PREFIX/share/credtool.txt',
          'requirements:\n  run:\n    - credlib',
          '',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      for (const ref of [local, remote, installer].filter(Boolean)) docker(['image', 'rm', '--force', ref]);
      await registry?.stop();
      await server?.stop();
    });

    it('installs from the channel with its credentials, pushes, and the pushed image holds none of them', () => {
      // Built without its test (the offline test image would need credlib to test it), then imaged as it is.
      expectSuccess(ws.nx(['run', 'credtool:build-recipe', '--skipTests']));
      // Host network: the install stage reaches the channel on this machine's loopback, as builds do.
      const result = ws.nx([
        'run',
        'credtool:package-image',
        '--excludeTaskDependencies',
        '--network=host',
        `--image=${installer}`,
        `--channels=${channel}`,
      ]);
      expectSuccess(result);
      expect(result.output).toContain(`${remote}  pushed`);
      const requests = server.requests();
      expect(requests.filter((l) => l.startsWith(`GET /t/${token}/upstream/noarch/repodata.json 200 `))).not.toEqual(
        [],
      );
      expect(requests.filter((l) => /^GET \S*\/upstream\/noarch\/credlib-1\.0-0\.\S+ 200 /.test(l))).not.toEqual([]);
      // The image as the registry has it: pulled back into an engine without it.
      expect(docker(['image', 'rm', local, remote]).code).toBe(0);
      expect(docker(['pull', '--quiet', remote]).code).toBe(0);
      expect(docker(['run', '--rm', '--network', 'none', remote, 'cat', '/usr/local/share/credlib.txt']).stdout).toBe(
        'lib',
      );
      expect(findInImage(remote, [user, password, token])).toEqual([]);
    });
  },
);
