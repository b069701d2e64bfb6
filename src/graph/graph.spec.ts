import type { CreateNodesContext } from '@nx/devkit';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createDependencies, createNodes, createNodesV2 } from '../index';
import { cacheFilePath, clearMemoryCache, loadRecipes } from './cache';
import { normalizeOptions, registrationKey } from './options';
import { findCycles } from './cycles';
import { recipeFilter } from './glob';

/** One recipe folder path against include/exclude, through the filter the graph uses (its file taken as `<root>/meta.yaml`). */
const isSelected = (root: string, include: string[], exclude: string[]) =>
  recipeFilter(include, exclude)(root, `${root}/meta.yaml`);
import { assignProjectNames } from './naming';

const meta = (name: string, reqs: string[] = [], outputs: string[] = []) =>
  [
    `{% set name = "${name}" %}`,
    'package:',
    '  name: {{ name }}',
    '  version: "1.0"',
    'requirements:',
    '  host:',
    ...reqs.map((r) => `    - ${r}`),
    '    - linux-only  # [linux]',
    ...(outputs.length ? ['outputs:', ...outputs.map((o) => `  - name: ${o}`)] : []),
    '',
  ].join('\n');

describe('assignProjectNames', () => {
  it('gives the bare name to the shallowest folder and a path suffix to the others', () => {
    const names = assignProjectNames([
      { root: 'recipes/foo/1.2', packageName: 'foo' },
      { root: 'recipes/foo', packageName: 'foo' },
      { root: 'other/foo', packageName: 'foo' },
      { root: 'recipes/foo/old/0.9', packageName: 'foo' },
      { root: 'recipes/bar', packageName: 'bar' },
    ]);
    expect(Object.fromEntries(names)).toEqual({
      'other/foo': 'foo',
      'recipes/foo': 'foo@recipes/foo',
      'recipes/foo/1.2': 'foo@recipes/foo/1.2',
      'recipes/foo/old/0.9': 'foo@recipes/foo/old/0.9',
      'recipes/bar': 'bar',
    });
    const nested = assignProjectNames([
      { root: 'recipes/foo/1.2', packageName: 'foo' },
      { root: 'recipes/foo', packageName: 'foo' },
    ]);
    expect(Object.fromEntries(nested)).toEqual({ 'recipes/foo': 'foo', 'recipes/foo/1.2': 'foo@1.2' });
  });
});

describe('glob and cycles', () => {
  it('matches folder globs', () => {
    expect(isSelected('recipes/foo', ['recipes/**'], [])).toBe(true);
    expect(isSelected('recipes/foo', ['recipes/*'], ['recipes/{foo,bar}'])).toBe(false);
    expect(isSelected('other/foo', ['recipes/**'], [])).toBe(false);
    expect(isSelected('recipes/foo/1.2', [], ['recipes/foo/**'])).toBe(false);
    // Nx's semantics (minimatch, dot: true): a folder pattern does not take the folders below it.
    expect(isSelected('recipes/foo/1.2', [], ['recipes/foo'])).toBe(true);
  });
  it('matches include/exclude with minimatch as Nx does (classes, extglobs, ordered negations, dot files)', () => {
    expect(isSelected('recipes/apple', ['recipes/[ab]*'], [])).toBe(true);
    expect(isSelected('recipes/banana', ['recipes/[ab]*'], [])).toBe(true);
    expect(isSelected('recipes/cherry', ['recipes/[ab]*'], [])).toBe(false);
    expect(isSelected('recipes/foo', ['recipes/!(bar)'], [])).toBe(true);
    expect(isSelected('recipes/bar', ['recipes/!(bar)'], [])).toBe(false);
    expect(isSelected('recipes/old/x', ['recipes/**', '!recipes/old/**'], [])).toBe(false);
    expect(isSelected('recipes/new/x', ['recipes/**', '!recipes/old/**'], [])).toBe(true);
    expect(isSelected('recipes/old/keep', ['recipes/**', '!recipes/old/**', 'recipes/old/keep'], [])).toBe(true);
    expect(isSelected('other/x', ['!recipes/**'], [])).toBe(true);
    expect(isSelected('.hidden/x', ['**/x'], [])).toBe(true);
    // the recipe file path matches too
    expect(isSelected('recipes/foo', ['recipes/*/meta.yaml'], [])).toBe(true);
  });
  it('finds cycles', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['a'])],
    ]);
    expect(findCycles(edges.keys(), edges)).toEqual([['a', 'b', 'c']]);
  });
  it('finds exactly the groups of mutually reachable recipes (random graphs against reachability)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let round = 0; round < 200; round++) {
      const n = 2 + Math.floor(rand() * 25);
      const edges = new Map<string, Set<string>>();
      for (let i = 0; i < n * 1.5; i++) {
        const a = `n${Math.floor(rand() * n)}`;
        const b = `n${Math.floor(rand() * n)}`;
        if (!edges.has(a)) edges.set(a, new Set());
        edges.get(a)!.add(b);
      }
      const reach = (from: string) => {
        const seen = new Set([from]);
        const todo = [from];
        while (todo.length) {
          for (const t of edges.get(todo.pop()!) ?? []) {
            if (seen.has(t)) continue;
            seen.add(t);
            todo.push(t);
          }
        }
        return seen;
      };
      const all = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])])];
      const reachable = new Map(all.map((v) => [v, reach(v)]));
      const expected = new Set<string>();
      for (const v of all) {
        const group = all.filter((w) => reachable.get(v)!.has(w) && reachable.get(w)!.has(v)).sort();
        if (group.length > 1) expected.add(group.join(','));
      }
      const found = findCycles(edges.keys(), edges).map((c) => c.join(','));
      expect(new Set(found)).toEqual(expected);
      expect(found).toHaveLength(expected.size);
    }
  });
});

describe('createNodes / createDependencies on a workspace', () => {
  let root: string;
  let dataDir: string;
  let warn: jest.SpyInstance;
  const context = (): CreateNodesContext => ({ workspaceRoot: root, nxJsonConfiguration: {} });
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  const files = [
    'recipes/foo/meta.yaml',
    'recipes/foo/1.2/meta.yaml',
    'recipes/bar/meta.yaml',
    'recipes/both/meta.yaml',
    'recipes/both/recipe.yaml',
    'recipes/broken/meta.yaml',
    'recipes/cyc1/meta.yaml',
    'recipes/cyc2/meta.yaml',
  ];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nx-conda-graph-'));
    dataDir = join(root, '.nx', 'workspace-data');
    process.env.NX_WORKSPACE_DATA_DIRECTORY = dataDir;
    clearMemoryCache();
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    write('recipes/foo/meta.yaml', meta('foo', ['bar >=1', 'python'], ['libfoo']));
    write('recipes/foo/1.2/meta.yaml', meta('foo', ['bar']));
    write('recipes/bar/meta.yaml', meta('bar', ['zlib']));
    write('recipes/both/meta.yaml', meta('ignored-meta'));
    write('recipes/both/recipe.yaml', 'package:\n  name: both\n  version: 1.0\nrequirements:\n  run:\n    - libfoo\n');
    write('recipes/broken/meta.yaml', 'package:\n  name: broken\n  version: {{ oops( }}\n');
    write('recipes/cyc1/meta.yaml', meta('cyc1', ['cyc2']));
    write('recipes/cyc2/meta.yaml', meta('cyc2', ['cyc1']));
    write('linux-only/meta.yaml', meta('linux-only'));
  });
  afterEach(() => {
    warn.mockRestore();
    delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    rmSync(root, { recursive: true, force: true });
  });

  async function nodes(options: Record<string, unknown> = {}, list = [...files, 'linux-only/meta.yaml']) {
    const results = await createNodes[1](list, options, context());
    return Object.fromEntries(results.flatMap(([, r]) => Object.entries(r.projects ?? {})));
  }

  it('exports the same tuple as createNodesV2 on both recipe kinds', () => {
    expect(createNodesV2).toBe(createNodes);
    expect(createNodes[0]).toBe('**/{meta.yaml,recipe.yaml,project.json,package.json}');
  });

  it('makes a project per readable recipe folder with the contract targets', async () => {
    const projects = await nodes();
    expect(Object.keys(projects).sort()).toEqual([
      'linux-only',
      'recipes/bar',
      'recipes/both',
      'recipes/cyc1',
      'recipes/cyc2',
      'recipes/foo',
      'recipes/foo/1.2',
    ]);
    expect(projects['recipes/foo'].name).toBe('foo');
    expect(projects['recipes/foo/1.2'].name).toBe('foo@1.2');
    expect(projects['recipes/both'].name).toBe('both');
    const foo = projects['recipes/foo'];
    // No condaGlobals in this nx.json: the inputs are written out in full.
    expect(foo.targets!['build-recipe']).toMatchObject({
      executor: 'nx-conda:recipe-build',
      cache: true,
      dependsOn: ['^build-recipe'],
      inputs: expect.arrayContaining(['{projectRoot}/**/*', '^default', '{workspaceRoot}/conda_build_config.yaml']),
      outputs: ['{workspaceRoot}/dist/conda/{projectRoot}/noarch', '{workspaceRoot}/dist/conda/{projectRoot}/linux-64'],
    });
    // The executor derives the recipe, the builder and the output folder from the project root.
    expect(foo.targets!['build-recipe'].options).toBeUndefined();
    // Only build-recipe without target-name options.
    expect(Object.keys(foo.targets!)).toEqual(['build-recipe']);
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      expect.stringMatching(/^nx-conda: skipping recipe recipes\/broken\/meta.yaml:3: Jinja: syntax error/),
    ]);
  });

  it('applies options: target names, output root, platform, image project, engine, include/exclude', async () => {
    const projects = await nodes({
      buildTargetName: 'conda-build',
      purgeTargetName: 'conda-purge',
      outputRoot: 'out/pkgs/',
      platform: 'osx-arm64',
      imageProject: 'builder-image',
      images: { 'rattler-build': 'my/rattler:1' },
      engine: 'podman',
      include: ['recipes/**'],
      exclude: ['recipes/cyc*'],
    });
    expect(Object.keys(projects).sort()).toEqual(['recipes/bar', 'recipes/both', 'recipes/foo', 'recipes/foo/1.2']);
    const t = projects['recipes/foo'].targets!;
    expect(t['conda-build']).toMatchObject({
      // The builder image is the docker-image target the build depends on (the executor reads it there).
      dependsOn: ['^conda-build', 'builder-image:docker-image'],
      inputs: expect.arrayContaining([{ dependentTasksOutputFiles: '**/nx-conda-image.json' }]),
      outputs: ['{workspaceRoot}/out/pkgs/{projectRoot}/noarch', '{workspaceRoot}/out/pkgs/{projectRoot}/osx-arm64'],
      options: { outputPath: 'out/pkgs/recipes/foo', platform: 'osx-arm64', engine: 'podman' },
    });
    // A builder with its own image neither uses nor waits for the image project.
    const both = projects['recipes/both'].targets!['conda-build'];
    expect(both.options).toMatchObject({ image: 'my/rattler:1' });
    expect(both.options.imageProject).toBeUndefined();
    expect(both.dependsOn).toEqual(['^conda-build']);
    // purge-image (named, so inferred) removes the builder image the build uses and this project's package images.
    expect(t['conda-purge']).toMatchObject({
      executor: 'nx-conda:purge-image',
      cache: false,
      options: { imageProject: 'builder-image', engine: 'podman', packageProject: 'foo' },
    });
    // package-image and lint-recipe are not named, so not inferred.
    expect(Object.keys(t).sort()).toEqual(['conda-build', 'conda-purge']);
    // A recipe built in a given image purges only its package images.
    expect(projects['recipes/both'].targets!['conda-purge'].options).toEqual({
      packageProject: 'both',
      engine: 'podman',
    });
  });

  it('returns edges to every provider, without self-edges, and reports cycles', async () => {
    const projects = await nodes();
    const byName = Object.fromEntries(Object.entries(projects).map(([r, p]) => [p.name!, { ...p, root: r }]));
    const depsContext = {
      projects: byName,
      externalNodes: {},
      workspaceRoot: root,
      nxJsonConfiguration: {},
      fileMap: { projectFileMap: {}, nonProjectFiles: [] },
      filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
    };
    const deps = await createDependencies({}, depsContext);
    const pairs = deps.map((d) => `${d.source}->${d.target}`).sort();
    expect(pairs).toEqual([
      'bar->linux-only',
      'both->foo',
      'cyc1->cyc2',
      'cyc1->linux-only',
      'cyc2->cyc1',
      'cyc2->linux-only',
      'foo->bar',
      'foo->linux-only',
      'foo@1.2->bar',
      'foo@1.2->linux-only',
    ]);
    expect(deps[0]).toMatchObject({ type: 'static', sourceFile: expect.stringMatching(/meta.yaml$/) });
    expect(warn.mock.calls.map((c) => c[0])).toContainEqual(
      expect.stringContaining('dependency cycle between recipes cyc1, cyc2'),
    );

    // Without the state of createNodes (another process): same edges, from the caches.
    clearMemoryCache();
    jest.resetModules();
    const quiet = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fresh = require('../index') as typeof import('../index');
    const again = await fresh.createDependencies({}, depsContext);
    expect(again.map((d) => `${d.source}->${d.target}`).sort()).toEqual(pairs);
    quiet.mockRestore();
  });

  it('caches parse results on disk and re-reads only changed recipes', async () => {
    const list = ['recipes/foo/meta.yaml', 'recipes/bar/meta.yaml', 'recipes/broken/meta.yaml'];
    expect(loadRecipes(root, list, 'linux-64').stats).toMatchObject({ parsed: 3, fromDisk: 0 });
    expect(readdirSync(dataDir).some((f) => f.startsWith('nx-conda-recipes-'))).toBe(true);
    expect(loadRecipes(root, list, 'linux-64').stats).toMatchObject({ parsed: 0, fromMemory: 3 });
    clearMemoryCache();
    write('recipes/bar/meta.yaml', meta('bar', ['zlib', 'xz']));
    const warm = loadRecipes(root, list, 'linux-64');
    expect(warm.stats).toMatchObject({ parsed: 1, fromDisk: 2 });
    const bar = warm.outcomes.get('recipes/bar/meta.yaml')!;
    expect(bar.ok && bar.info.requirements.host).toEqual(['linux-only', 'xz', 'zlib']);
    const broken = warm.outcomes.get('recipes/broken/meta.yaml')!;
    expect(broken).toMatchObject({ ok: false, error: { file: 'recipes/broken/meta.yaml', line: 3 } });
    // another platform is another key
    expect(loadRecipes(root, list, 'win-64').stats.parsed).toBe(3);
  });
});

describe('warnings, cache key and data folder', () => {
  let root: string;
  let warn: jest.SpyInstance;
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const ctx = () => ({ workspaceRoot: root, nxJsonConfiguration: {} });
  const files = ['a/meta.yaml', 'b/meta.yaml', 'broken/meta.yaml'];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nx-conda-reg-'));
    delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    clearMemoryCache();
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    write('a/meta.yaml', 'package:\n  name: a\n');
    write('b/meta.yaml', 'package:\n  name: b\nrequirements:\n  run: [a]\n');
    write('broken/meta.yaml', 'package: [\n');
  });
  afterEach(() => {
    warn.mockRestore();
    rmSync(root, { recursive: true, force: true });
  });

  it('reports a broken recipe on every graph computation, not once per process (the daemon keeps its worker)', async () => {
    await createNodes[1](files, {}, ctx());
    await createNodes[1](files, {}, ctx());
    const skips = warn.mock.calls
      .map((c) => String(c[0]))
      .filter((m) => m.includes('skipping recipe broken/meta.yaml'));
    expect(skips).toHaveLength(2);
  });

  it('keeps the cache in the workspace data folder Nx itself computes for the workspace', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nxDir = require('nx/src/utils/cache-directory').workspaceDataDirectoryForWorkspace(root);
    expect(cacheFilePath(root, 'k')).toBe(join(nxDir, basename(cacheFilePath(root, 'k')!)));
    expect(nxDir).toBe(join(root, '.nx', 'workspace-data'));
  });

  it('gives each registration (all its options) its own cache: two includes stay warm side by side', () => {
    const a = registrationKey(normalizeOptions({ include: ['a'] }));
    const b = registrationKey(normalizeOptions({ include: ['b'] }));
    expect(a).not.toBe(b);
    expect(registrationKey(normalizeOptions({ platform: 'linux-64', include: ['a'] }))).toBe(a);
    expect(cacheFilePath(root, a)).not.toBe(cacheFilePath(root, b));
    expect(loadRecipes(root, ['a/meta.yaml'], 'linux-64', a).stats.parsed).toBe(1);
    expect(loadRecipes(root, ['b/meta.yaml'], 'linux-64', b).stats.parsed).toBe(1);
    clearMemoryCache();
    expect(loadRecipes(root, ['a/meta.yaml'], 'linux-64', a).stats).toMatchObject({ parsed: 0, fromDisk: 1 });
    expect(loadRecipes(root, ['b/meta.yaml'], 'linux-64', b).stats).toMatchObject({ parsed: 0, fromDisk: 1 });
  });
});

describe("a recipe whose package name is another project's name", () => {
  let root: string;
  let warn: jest.SpyInstance;
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nx-conda-clash-'));
    process.env.NX_WORKSPACE_DATA_DIRECTORY = join(root, '.nx', 'workspace-data');
    clearMemoryCache();
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    write('tools/numpy/project.json', JSON.stringify({ name: 'numpy', targets: {} }));
    write('web/package.json', JSON.stringify({ name: 'Scipy' }));
    write('apps/ui/package.json', JSON.stringify({ name: '@org/ui' }));
    write('recipes/numpy/meta.yaml', 'package:\n  name: numpy\n');
    write('recipes/numpy/project.json', JSON.stringify({ name: 'numpy' }));
    // (a block list: a line ending in `[numpy]` is a selector for conda-build)
    write('recipes/scipy/meta.yaml', 'package:\n  name: scipy\nrequirements:\n  run:\n    - numpy\n');
    write('recipes/ui/meta.yaml', 'package:\n  name: ui\n');
  });
  afterEach(() => {
    warn.mockRestore();
    delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    rmSync(root, { recursive: true, force: true });
  });

  it('gets a distinct project name and a warning, and the graph keeps its edges', async () => {
    const files = [
      'apps/ui/package.json',
      'recipes/numpy/meta.yaml',
      'recipes/numpy/project.json',
      'recipes/scipy/meta.yaml',
      'recipes/ui/meta.yaml',
      'tools/numpy/project.json',
      'web/package.json',
    ];
    const results = await createNodes[1](files, {}, { workspaceRoot: root, nxJsonConfiguration: {} });
    const projects = Object.fromEntries(results.flatMap(([, r]) => Object.entries(r.projects ?? {})));
    expect(Object.fromEntries(Object.entries(projects).map(([r, p]) => [r, p.name]))).toEqual({
      // its own folder's project.json is its own project (Nx merges by root): no clash
      'recipes/numpy': 'numpy@recipes/numpy',
      'recipes/scipy': 'scipy@recipes/scipy',
      // a scoped npm name is never a conda name
      'recipes/ui': 'ui',
    });
    const messages = warn.mock.calls.map((c) => String(c[0]));
    expect(messages).toEqual([
      'nx-conda: recipe recipes/numpy/meta.yaml provides numpy, the name of another project (tools/numpy/project.json): its project is named numpy@recipes/numpy instead (rename one of them to get the plain name back)',
      'nx-conda: recipe recipes/scipy/meta.yaml provides scipy, the name of another project (web/package.json): its project is named scipy@recipes/scipy instead (rename one of them to get the plain name back)',
    ]);
    const byName = Object.fromEntries(Object.entries(projects).map(([r, p]) => [p.name!, { ...p, root: r }]));
    const deps = await createDependencies(
      {},
      {
        projects: { ...byName, numpy: { root: 'tools/numpy', name: 'numpy' } },
        externalNodes: {},
        workspaceRoot: root,
        nxJsonConfiguration: {},
        fileMap: { projectFileMap: {}, nonProjectFiles: [] },
        filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
      },
    );
    expect(deps.map((d) => `${d.source}->${d.target}`)).toEqual(['scipy@recipes/scipy->numpy@recipes/numpy']);
  });
});
