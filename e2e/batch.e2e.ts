import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages } from './utils/conda-package';
import { fakePackageScript } from './utils/fake-package';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import {
  createWorkspace,
  docker,
  expectSuccess,
  explain,
  startNx,
  until,
  workspaceContainers,
  type Workspace,
} from './utils/workspace';

/**
 * Issue 17: recipe-build as one batch (preferBatch, as users get it). A
 * chain a <- b <- c and an independent d run in one Nx run, in one batch
 * process: builds in dependency order, a failure stops only its dependents,
 * each task is cached by itself, a stop leaves no container. The builds are
 * real containers of the rattler-build test image whose build script makes a
 * small real package (as in faults.e2e.ts), so that the batch, not the
 * builder, is what takes the time.
 */
const TEMPLATE = `#!/usr/bin/env bash
set -eo pipefail
staging={{stagingDir}}
recipe={{recipeDir}}
trap 'chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" 2>/dev/null || true' EXIT
if [ -f "$recipe/before.sh" ]; then . "$recipe/before.sh"; fi
name=$(sed -n 's/^  name: //p' "$recipe/recipe.yaml" | head -n 1)
${fakePackageScript('"$name"')}echo "built $name in the container"
`;

const recipeYaml = (name: string, run: string[] = []) =>
  `package:\n  name: ${name}\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n` +
  (run.length ? `\nrequirements:\n  run:\n${run.map((r) => `    - ${r}\n`).join('')}` : '');

const FAILING = 'echo "b is about to fail"\nexit 3\n';

function setUp(): Workspace {
  const ws = createWorkspace('batch', {
    plugins: [{ plugin: 'nx-conda', options: { images: { 'rattler-build': TEST_IMAGES.rattlerBuild } } }],
    targetDefaults: { 'build-recipe': { options: { buildScriptTemplate: 'tools/template.sh' } } },
  });
  ws.write('tools/template.sh', TEMPLATE);
  ws.write('recipes/a/recipe.yaml', recipeYaml('a'));
  ws.write('recipes/b/recipe.yaml', recipeYaml('b', ['a']));
  ws.write('recipes/c/recipe.yaml', recipeYaml('c', ['b']));
  ws.write('recipes/d/recipe.yaml', recipeYaml('d'));
  ws.write('recipes/slow1/recipe.yaml', recipeYaml('slow1'));
  ws.write('recipes/slow2/recipe.yaml', recipeYaml('slow2'));
  for (const slow of ['slow1', 'slow2']) ws.write(`recipes/${slow}/before.sh`, `echo "${slow} started"\nsleep 600\n`);
  return ws;
}

const out = (ws: Workspace, name: string) => join(ws.root, 'dist/conda/recipes', name);
const built = (ws: Workspace, name: string) => (existsSync(out(ws, name)) ? channelPackages(out(ws, name)) : []);
const CHAIN = ['run-many', '-t', 'build-recipe', '-p', 'a', 'b', 'c', 'd', '--parallel=2'];

describe('recipe-build as one batch (preferBatch, real engine)', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = setUp();
  });
  afterAll(() => {
    for (const name of workspaceContainers(ws).split('\n').filter(Boolean)) docker(['rm', '-f', name]);
  });

  it('a failing recipe fails only its dependents: a and d are built, c is not, all in one batch process', () => {
    ws.write('recipes/b/before.sh', FAILING);
    const result = ws.nx(CHAIN);
    expect(result.code).not.toBe(0);
    // Nx ran the four build-recipe tasks in one batch process.
    expect(result.output).toMatch(/Running 4 tasks with nx-conda:recipe-build/);
    // Live output is prefixed per project; the failure shows b's last lines.
    expect(result.output).toMatch(/\[a\] built a in the container/);
    expect(result.output).toMatch(/\[b\] nx-conda: build of b \(recipes\/b\/recipe\.yaml\) exited with code 3/);
    expect(result.output).toMatch(/Its last lines:\n(.*\n)*.*\| b is about to fail/);
    // c was handed back as skipped (never built), which Nx reports as not run.
    expect(result.output).toMatch(/Tasks not run because their dependencies failed[^\n]*\n+- c:build-recipe\n/);
    expect(built(ws, 'a')).toEqual(['noarch/a-1.0-0.tar.bz2']);
    expect(built(ws, 'd')).toEqual(['noarch/d-1.0-0.tar.bz2']);
    expect(existsSync(out(ws, 'b'))).toBe(false);
    expect(existsSync(out(ws, 'c'))).toBe(false);
    expect(workspaceContainers(ws)).toBe('');
    const staging = join(ws.root, 'tmp/nx-conda/staging');
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
  });

  it('each task is cached by itself: the next run restores a and d and builds b and c; then all four are cache hits', () => {
    rmSync(join(ws.root, 'recipes/b/before.sh'));
    const fixed = ws.nx(CHAIN);
    expectSuccess(fixed);
    expect(fixed.output).toMatch(/Running 2 tasks with nx-conda:recipe-build/);
    expect(fixed.output).toMatch(
      /staging channel for c: 2 package\(s\) from 2 dependencies \(b, a\)|staging channel for c: 2 package\(s\) from 2 dependencies \(a, b\)/,
    );
    for (const name of ['a', 'b', 'c', 'd']) expect(built(ws, name)).toEqual([`noarch/${name}-1.0-0.tar.bz2`]);

    const again = ws.nx(CHAIN);
    expectSuccess(again);
    expect(again.output).toMatch(
      /Nx read the output from the cache instead of running the command for 4 out of 4 tasks/,
    );
    expect(again.output).not.toMatch(/tasks with nx-conda:recipe-build/);

    // Each task's terminal output is its own: c's replay names c's staging channel, not d's build.
    const c = ws.nx(['run', 'c:build-recipe']);
    expectSuccess(c);
    expect(c.output).toMatch(/existing outputs match the cache|local cache/);
    expect(c.output).toMatch(/staging channel for c/);
    expect(c.output).not.toMatch(/\bd\b.*built d in the container|staging channel for d/);

    rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
    const restored = ws.nx(CHAIN);
    expectSuccess(restored);
    expect(restored.output).toMatch(/4 out of 4 tasks/);
    for (const name of ['a', 'b', 'c', 'd']) expect(built(ws, name)).toEqual([`noarch/${name}-1.0-0.tar.bz2`]);
  });

  it('--nx-bail: after b fails nothing new starts in the batch (d, ready but not started, is not built)', () => {
    ws.write('recipes/b/before.sh', FAILING);
    rmSync(join(ws.root, 'dist'), { recursive: true, force: true });
    const result = ws.nx([...CHAIN.slice(0, -1), '--parallel=1', '--nx-bail', '--skip-nx-cache']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/exited with code 3/);
    expect(built(ws, 'a')).toEqual(['noarch/a-1.0-0.tar.bz2']);
    expect(existsSync(out(ws, 'd'))).toBe(false);
    expect(existsSync(out(ws, 'c'))).toBe(false);
    rmSync(join(ws.root, 'recipes/b/before.sh'));
  });

  it('SIGTERM to the process group during a batch of two running builds: both containers removed, staging removed', async () => {
    const staging = join(ws.root, 'tmp/nx-conda/staging');
    const run = startNx(ws, [
      'run-many',
      '-t',
      'build-recipe',
      '-p',
      'slow1',
      'slow2',
      '--parallel=2',
      '--skip-nx-cache',
    ]);
    try {
      await until(
        'both slow builds to start',
        () => /slow1 started/.test(run.output()) && /slow2 started/.test(run.output()),
        300,
        run.output,
      );
      expect(run.output()).toMatch(/Running 2 tasks with nx-conda:recipe-build/);
      expect(workspaceContainers(ws).split('\n').filter(Boolean)).toHaveLength(2);
      process.kill(-run.child.pid!, 'SIGTERM');
      expect(await run.exited).not.toBe(0);
    } finally {
      if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
    }
    await until(
      'no container of the workspace',
      () => workspaceContainers(ws) === '',
      60,
      () => explain({ code: 0, stdout: run.output(), stderr: '', output: '' }),
    );
    await until(
      'the staging folders gone',
      () => !existsSync(staging) || readdirSync(staging).length === 0,
      60,
      run.output,
    );
    expect(existsSync(out(ws, 'slow1'))).toBe(false);
    expect(existsSync(out(ws, 'slow2'))).toBe(false);
  });
});

/**
 * Issue 26, point 5: a run of many tasks, most skipped as already published
 * (skipExisting against a file:// upstream channel), one skipped for the
 * platform (build: skip) and one really built, prints each skipped task's
 * line once in the whole Nx output, under the style that shows every task
 * (Nx's block) and under the default one (ours, live), and ends with one
 * closing line of counts.
 */
describe('a batch of many skipped tasks prints each once, and one closing line', () => {
  const PUBLISHED = Array.from({ length: 30 }, (_, i) => `pub${String(i + 1).padStart(2, '0')}`);
  let ws: Workspace;
  beforeAll(() => {
    const channel = join(mkdtempSync(join(E2E_ROOT, 'published-')), 'channel');
    mkdirSync(join(channel, 'noarch'), { recursive: true });
    const record = (name: string) => ({
      name,
      version: '1.0',
      build: '0',
      build_number: 0,
      depends: [],
      subdir: 'noarch',
    });
    writeFileSync(
      join(channel, 'noarch', 'repodata.json'),
      JSON.stringify({
        info: { subdir: 'noarch' },
        packages: Object.fromEntries(PUBLISHED.map((name) => [`${name}-1.0-0.tar.bz2`, record(name)])),
        'packages.conda': {},
      }),
    );
    ws = createWorkspace('batch-published', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: {
            images: { 'rattler-build': TEST_IMAGES.rattlerBuild },
            channels: [`file://${channel}`],
            skipExisting: true,
          },
        },
      ],
      targetDefaults: { 'build-recipe': { options: { buildScriptTemplate: 'tools/template.sh' } } },
    });
    ws.write('tools/template.sh', TEMPLATE);
    for (const name of PUBLISHED) ws.write(`recipes/${name}/recipe.yaml`, recipeYaml(name));
    ws.write('recipes/fresh/recipe.yaml', recipeYaml('fresh', ['pub01']));
    ws.write(
      'recipes/winonly/recipe.yaml',
      'package:\n  name: winonly\n  version: "1.0"\n\nbuild:\n  number: 0\n  skip:\n    - linux\n',
    );
  });
  afterAll(() => {
    for (const name of workspaceContainers(ws).split('\n').filter(Boolean)) docker(['rm', '-f', name]);
  });

  const times = (output: string, text: string) => output.split(text).length - 1;
  const ALL = ['run-many', '-t', 'build-recipe', '--parallel=2', '--skip-nx-cache'];
  const CLOSING =
    /^nx-conda: 32 recipe-build tasks: 1 built, 30 already published, 1 skipped for linux-64, 0 failed \(builds \d+\.\d s, outside \d+\.\d s\)$/m;

  for (const style of ['static', 'static-failures-only']) {
    it(`--output-style=${style}: each skipped task's line once, the build live, one closing line`, () => {
      const result = ws.nx([...ALL, `--output-style=${style}`]);
      expectSuccess(result);
      if (process.env.NX_CONDA_E2E_LINES)
        process.stdout.write(`lines (${style}): ${result.output.split('\n').length}\n`);
      expect(result.output).toMatch(/Running 32 tasks with nx-conda:recipe-build/);
      for (const name of PUBLISHED) {
        const line = `nx-conda: skipped ${name}: ${name} 1.0 (build 0) in noarch already in file://`;
        expect([name, times(result.output, line)]).toEqual([name, 1]);
      }
      expect(
        times(
          result.output,
          'nx-conda: skipped winonly for linux-64: recipes/winonly/recipe.yaml says build: skip there.',
        ),
      ).toBe(1);
      expect(result.output).toMatch(/^\[fresh\] built fresh in the container$/m);
      expect(result.output.match(new RegExp(CLOSING.source, 'gm'))).toHaveLength(1);
      expect(built(ws, 'fresh')).toEqual(['noarch/fresh-1.0-0.tar.bz2']);
    });
  }

  it('nx run <project>:build-recipe: the project asked for is shown by Nx, its dependencies by us, each once', () => {
    const skipLine = (name: string) => `nx-conda: skipped ${name}: ${name} 1.0 (build 0) in noarch already in file://`;
    const one = ws.nx(['run', 'pub02:build-recipe', '--skip-nx-cache']);
    expectSuccess(one);
    expect(times(one.output, skipLine('pub02'))).toBe(1);
    const withDependency = ws.nx(['run', 'fresh:build-recipe', '--skip-nx-cache']);
    expectSuccess(withDependency);
    expect(times(withDependency.output, skipLine('pub01'))).toBe(1);
    expect(withDependency.output).toMatch(/^nx-conda: 2 recipe-build tasks: 1 built, 1 already published, 0 failed /m);
  });
});
