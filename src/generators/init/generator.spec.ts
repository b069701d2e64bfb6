import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { logger, readJson, readNxJson, readProjectConfiguration, updateNxJson, type Tree } from '@nx/devkit';
import { DEFAULT_BASE_IMAGE } from '../../core/defaults';
import initGenerator from './generator';

/** Every file the generators changed, with its content. */
function snapshot(tree: Tree): Record<string, string | null> {
  return Object.fromEntries(tree.listChanges().map((c) => [c.path, c.content?.toString('utf-8') ?? null]));
}

function pluginEntries(tree: Tree) {
  return (readNxJson(tree)?.plugins ?? []).filter((p) =>
    typeof p === 'string' ? p === 'nx-conda' : p.plugin === 'nx-conda',
  );
}

describe('nx-conda:init', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    // formatFiles warns that the test workspace's formatter is not installed
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('registers the plugin, creates the builder-image project and ignores the outputs', async () => {
    await initGenerator(tree, { skipFormat: true });

    expect(pluginEntries(tree)).toEqual([
      {
        plugin: 'nx-conda',
        options: {
          imageProject: 'builder-image',
          lintTargetName: 'lint-recipe',
          packageImageTargetName: 'package-image',
        },
      },
    ]);
    expect(readNxJson(tree)?.generators).toEqual({ 'nx-conda:recipe': { format: 'meta' } });
    // Nx's default inputs cover a build: the recipe folder and condaGlobals (see graph/targets.ts).
    expect(readNxJson(tree)?.namedInputs).toEqual({
      default: ['{projectRoot}/**/*', 'condaGlobals'],
      condaGlobals: [
        '{workspaceRoot}/conda_build_config.yaml',
        '{workspaceRoot}/variants.yaml',
        { dependentTasksOutputFiles: '**/nx-conda-image.json' },
      ],
    });

    const project = readProjectConfiguration(tree, 'builder-image');
    expect(project.root).toBe('tools/builder-image');
    expect(project.targets).toEqual({
      'docker-image': {
        executor: 'nx-conda:docker-image',
        cache: false,
        outputs: ['{workspaceRoot}/dist/nx-conda/images/{projectName}'],
        options: {
          baseImage: DEFAULT_BASE_IMAGE,
          requirementsFile: 'tools/builder-image/requirements.txt',
        },
      },
      'purge-image': { executor: 'nx-conda:purge-image', cache: false },
      'purge-containers': { executor: 'nx-conda:purge-image', cache: false, options: { containers: true } },
    });

    const requirements = tree.read('tools/builder-image/requirements.txt', 'utf-8')!;
    expect(requirements.split('\n').filter((l) => l.trim() && !l.startsWith('#'))).toEqual([]);
    expect(requirements).toContain('builder-image');

    const gitignore = tree.read('.gitignore', 'utf-8')!;
    expect(gitignore).toContain('/dist/conda\n');
    expect(gitignore).toContain('/tmp/nx-conda\n');
  });

  it('writes no targetDefaults (the inferred targets carry their own cache settings)', async () => {
    const before = readNxJson(tree)?.targetDefaults;
    await initGenerator(tree, { skipFormat: true });
    expect(readNxJson(tree)?.targetDefaults).toEqual(before);
  });

  it('works when called with no options at all, as `nx add` does', async () => {
    await initGenerator(tree, undefined as never);
    expect(pluginEntries(tree)).toHaveLength(1);
    expect(tree.exists('tools/builder-image/project.json')).toBe(true);
  });

  it('formats by default without failing', async () => {
    await initGenerator(tree, {});
    expect(tree.exists('tools/builder-image/project.json')).toBe(true);
  });

  it('is idempotent: a second run changes nothing', async () => {
    await initGenerator(tree, { skipFormat: true });
    const first = snapshot(tree);
    await initGenerator(tree, { skipFormat: true });
    expect(snapshot(tree)).toEqual(first);
    expect(tree.read('.gitignore', 'utf-8')!.match(/dist\/conda/g)).toHaveLength(1);
  });

  it('a later run without options keeps customized values', async () => {
    await initGenerator(tree, {
      skipFormat: true,
      builder: 'rattler-build',
      engine: 'podman',
      baseImage: 'localhost/my-base:1',
    });
    const first = snapshot(tree);
    await initGenerator(tree, { skipFormat: true });
    expect(snapshot(tree)).toEqual(first);
    await initGenerator(tree, {
      skipFormat: true,
      builder: 'rattler-build',
      engine: 'podman',
      baseImage: 'localhost/my-base:1',
    });
    expect(snapshot(tree)).toEqual(first);
  });

  it('--builder rattler-build makes recipe.yaml the default format; an explicit later --builder replaces it', async () => {
    await initGenerator(tree, { skipFormat: true, builder: 'rattler-build' });
    expect(readNxJson(tree)?.generators).toEqual({ 'nx-conda:recipe': { format: 'recipe' } });
    // nothing about the builder goes into the plugin options
    expect(pluginEntries(tree)).toEqual([
      {
        plugin: 'nx-conda',
        options: {
          imageProject: 'builder-image',
          lintTargetName: 'lint-recipe',
          packageImageTargetName: 'package-image',
        },
      },
    ]);
    await initGenerator(tree, { skipFormat: true, builder: 'conda-build' });
    expect(readNxJson(tree)?.generators).toEqual({ 'nx-conda:recipe': { format: 'meta' } });
  });

  it('--builder rattler-build without --baseImage warns that the default image has no rattler-build', async () => {
    const warn = jest.mocked(logger.warn);
    await initGenerator(tree, { skipFormat: true, builder: 'rattler-build' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/recipe\.yaml recipes \(rattler-build\) need an image with rattler-build/);
    expect(warn.mock.calls[0][0]).toContain('--baseImage');
    expect(warn.mock.calls[0][0]).toContain('"images": {"rattler-build": "<image>"}');

    // not when a base image is given, nor when the plugin names an image for rattler-build
    warn.mockClear();
    await initGenerator(tree, { skipFormat: true, builder: 'rattler-build', baseImage: 'localhost/rattler:1' });
    await initGenerator(tree, { skipFormat: true, builder: 'rattler-build' });
    const other = createTreeWithEmptyWorkspace();
    const nxJson = readNxJson(other)!;
    nxJson.plugins = [{ plugin: 'nx-conda', options: { images: { 'rattler-build': 'localhost/rattler:1' } } }];
    updateNxJson(other, nxJson);
    await initGenerator(other, { skipFormat: true, builder: 'rattler-build' });
    await initGenerator(tree, { skipFormat: true, builder: 'conda-build' });
    expect(warn).not.toHaveBeenCalled();
  });

  it('keeps other generator defaults and updates the nested form in place', async () => {
    const nxJson = readNxJson(tree)!;
    nxJson.generators = { 'nx-conda': { recipe: { format: 'meta', license: 'BSD-3-Clause' } }, '@nx/js:lib': { x: 1 } };
    updateNxJson(tree, nxJson);
    await initGenerator(tree, { skipFormat: true, builder: 'rattler-build' });
    expect(readNxJson(tree)?.generators).toEqual({
      'nx-conda': { recipe: { format: 'recipe', license: 'BSD-3-Clause' } },
      '@nx/js:lib': { x: 1 },
    });
  });

  it('--engine podman goes into the plugin options and the docker-image target', async () => {
    await initGenerator(tree, { skipFormat: true, engine: 'podman', baseImage: 'docker.io/library/debian:12' });
    expect(pluginEntries(tree)).toEqual([
      {
        plugin: 'nx-conda',
        options: {
          imageProject: 'builder-image',
          engine: 'podman',
          lintTargetName: 'lint-recipe',
          packageImageTargetName: 'package-image',
        },
      },
    ]);
    const options = readProjectConfiguration(tree, 'builder-image').targets?.['docker-image'].options;
    expect(options).toEqual({
      baseImage: 'docker.io/library/debian:12',
      engine: 'podman',
      requirementsFile: 'tools/builder-image/requirements.txt',
    });
    expect(readProjectConfiguration(tree, 'builder-image').targets?.['purge-containers'].options).toEqual({
      containers: true,
      engine: 'podman',
    });

    // explicitly back to docker: the (default) engine is removed again
    await initGenerator(tree, { skipFormat: true, engine: 'docker' });
    expect(pluginEntries(tree)).toEqual([
      {
        plugin: 'nx-conda',
        options: {
          imageProject: 'builder-image',
          lintTargetName: 'lint-recipe',
          packageImageTargetName: 'package-image',
        },
      },
    ]);
    expect(readProjectConfiguration(tree, 'builder-image').targets?.['docker-image'].options.engine).toBeUndefined();
    expect(readProjectConfiguration(tree, 'builder-image').targets?.['purge-containers'].options).toEqual({
      containers: true,
    });
  });

  it('--platforms: the plugin option, a docker-image target per other platform, and a channel that gathers them', async () => {
    await initGenerator(tree, { skipFormat: true, platforms: 'linux-64,linux-aarch64' });
    const entry = pluginEntries(tree)[0] as { options: Record<string, unknown> };
    expect(entry.options.platforms).toEqual(['linux-64', 'linux-aarch64']);
    const image = readProjectConfiguration(tree, 'builder-image');
    expect(image.targets!['docker-image-linux-aarch64']).toEqual({
      executor: 'nx-conda:docker-image',
      cache: false,
      outputs: ['{workspaceRoot}/dist/nx-conda/images/linux-aarch64/{projectName}'],
      options: { ...image.targets!['docker-image'].options, platform: 'linux-aarch64' },
      metadata: { description: 'Build the builder image for linux-aarch64' },
    });
    expect(image.targets!['docker-image-linux-64']).toBeUndefined();
    expect(readProjectConfiguration(tree, 'conda-channel').targets!.channel.dependsOn).toEqual([
      { projects: ['tag:conda'], target: 'build-recipe' },
      { projects: ['tag:conda'], target: 'build-recipe-linux-aarch64' },
    ]);
    // Idempotent; a later --baseImage reaches every platform's image target.
    const before = JSON.stringify(snapshot(tree));
    await initGenerator(tree, { skipFormat: true });
    expect(JSON.stringify(snapshot(tree))).toBe(before);
    await initGenerator(tree, { skipFormat: true, baseImage: 'example/base:2' });
    const after = readProjectConfiguration(tree, 'builder-image').targets!['docker-image-linux-aarch64'].options;
    expect(after).toMatchObject({ baseImage: 'example/base:2', platform: 'linux-aarch64' });
  });

  it('--platforms refuses an unknown platform and osx, naming the value', async () => {
    await expect(initGenerator(tree, { skipFormat: true, platforms: ['linux-64', 'osx-arm'] })).rejects.toThrow(
      /--platforms:.*"osx-arm", which is not a conda platform/,
    );
    await expect(initGenerator(tree, { skipFormat: true, platforms: 'osx-arm64' })).rejects.toThrow(
      /osx-arm64 packages cannot be built in a Linux container/,
    );
  });

  it('an explicit --baseImage on a later run updates the existing project', async () => {
    await initGenerator(tree, { skipFormat: true });
    await initGenerator(tree, { skipFormat: true, baseImage: 'localhost/other:2' });
    expect(readProjectConfiguration(tree, 'builder-image').targets?.['docker-image'].options.baseImage).toBe(
      'localhost/other:2',
    );
  });

  it('--directory places the image project elsewhere', async () => {
    await initGenerator(tree, { skipFormat: true, directory: './infra/image/' });
    const project = readProjectConfiguration(tree, 'builder-image');
    expect(project.root).toBe('infra/image');
    expect(project.targets?.['docker-image'].options.requirementsFile).toBe('infra/image/requirements.txt');
    expect(tree.exists('infra/image/requirements.txt')).toBe(true);
  });

  it.each(['/abs/path', '../outside', '.', ''])('rejects --directory %p', async (directory) => {
    await expect(initGenerator(tree, { skipFormat: true, directory })).rejects.toThrow(/inside the workspace/);
  });

  it('rejects an unknown builder or engine', async () => {
    await expect(initGenerator(tree, { builder: 'boa' as never })).rejects.toThrow(/--builder must be one of/);
    await expect(initGenerator(tree, { engine: 'lxc' as never })).rejects.toThrow(/--engine must be one of/);
  });

  it('does not register twice: a string entry is completed in place', async () => {
    const nxJson = readNxJson(tree)!;
    nxJson.plugins = ['@nx/js/typescript', 'nx-conda'];
    updateNxJson(tree, nxJson);
    await initGenerator(tree, { skipFormat: true });
    expect(readNxJson(tree)?.plugins).toEqual([
      '@nx/js/typescript',
      { plugin: 'nx-conda', options: { imageProject: 'builder-image' } },
    ]);
  });

  it('does not register twice: an object entry keeps its options; the gitignore follows its outputRoot', async () => {
    const nxJson = readNxJson(tree)!;
    nxJson.plugins = [
      { plugin: 'nx-conda', options: { imageProject: 'conda-image', outputRoot: 'out/pkgs' }, include: ['recipes/**'] },
    ];
    updateNxJson(tree, nxJson);
    await initGenerator(tree, { skipFormat: true });
    expect(readNxJson(tree)?.plugins).toEqual([
      { plugin: 'nx-conda', options: { imageProject: 'conda-image', outputRoot: 'out/pkgs' }, include: ['recipes/**'] },
    ]);
    // the image project is created under the name the plugin uses
    expect(readProjectConfiguration(tree, 'conda-image').targets?.['docker-image']).toBeDefined();
    expect(tree.read('.gitignore', 'utf-8')).toContain('/out/pkgs\n');
  });

  it('creates no image project when the plugin uses a prebuilt image', async () => {
    const nxJson = readNxJson(tree)!;
    nxJson.plugins = [{ plugin: 'nx-conda', options: { image: 'localhost/prebuilt:1' } }];
    updateNxJson(tree, nxJson);
    await initGenerator(tree, { skipFormat: true });
    expect(tree.exists('tools/builder-image/project.json')).toBe(false);
    expect(readNxJson(tree)?.plugins).toEqual([{ plugin: 'nx-conda', options: { image: 'localhost/prebuilt:1' } }]);
  });

  it('leaves an existing builder-image project without a docker-image target alone', async () => {
    tree.write('tools/builder-image/project.json', JSON.stringify({ name: 'builder-image', targets: {} }));
    await initGenerator(tree, { skipFormat: true, baseImage: 'x:1' });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('left unchanged'));
    expect(readJson(tree, 'tools/builder-image/project.json')).toEqual({ name: 'builder-image', targets: {} });
  });

  it('refuses to create the project over another project', async () => {
    tree.write('tools/builder-image/project.json', JSON.stringify({ name: 'something-else' }));
    await expect(initGenerator(tree, { skipFormat: true })).rejects.toThrow(
      /already holds a project \('something-else'\)/,
    );
  });

  it('keeps an existing .gitignore and adds only what it does not cover', async () => {
    tree.write('.gitignore', 'node_modules\n/dist');
    await initGenerator(tree, { skipFormat: true });
    expect(tree.read('.gitignore', 'utf-8')).toBe(
      'node_modules\n/dist\n\n# nx-conda: built packages and staging channels\n/tmp/nx-conda\n',
    );
  });

  it.each(['dist/conda', '/dist/conda/', 'dist/conda/**', 'dist/'])(
    'treats %p as covering dist/conda',
    async (line) => {
      tree.write('.gitignore', `${line}\ntmp\n`);
      await initGenerator(tree, { skipFormat: true });
      expect(tree.read('.gitignore', 'utf-8')).toBe(`${line}\ntmp\n`);
    },
  );

  it('works in a workspace without nx.json', async () => {
    tree.delete('nx.json');
    await initGenerator(tree, { skipFormat: true });
    expect(pluginEntries(tree)).toHaveLength(1);
  });
});

describe('nx-conda:init and Nx inference plugins (addPlugin, NX_ADD_PLUGINS)', () => {
  let tree: Tree;
  let dir: string;
  const saved = process.env.NX_ADD_PLUGINS;
  beforeEach(() => {
    // addPlugin runs the plugin over the files on disk: a real folder under the tree.
    dir = mkdtempSync(join(tmpdir(), 'nx-conda-init-'));
    for (const [name, deps] of [
      ['foo', []],
      ['bar', ['foo']],
    ] as const) {
      mkdirSync(join(dir, 'recipes', name), { recursive: true });
      const requirements = deps.length ? `requirements:\n  host:\n${deps.map((d) => `    - ${d}\n`).join('')}` : '';
      writeFileSync(
        join(dir, 'recipes', name, 'meta.yaml'),
        `package:\n  name: ${name}\n  version: "1.0"\n${requirements}`,
      );
    }
    tree = createTreeWithEmptyWorkspace();
    Object.assign(tree, { root: dir });
    process.env.NX_WORKSPACE_DATA_DIRECTORY = join(dir, '.nx', 'workspace-data');
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    if (saved === undefined) delete process.env.NX_ADD_PLUGINS;
    else process.env.NX_ADD_PLUGINS = saved;
    delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the plugin with the default target names when nothing conflicts', async () => {
    await initGenerator(tree, { skipFormat: true });
    expect(pluginEntries(tree)).toEqual([
      {
        plugin: 'nx-conda',
        options: {
          imageProject: 'builder-image',
          lintTargetName: 'lint-recipe',
          packageImageTargetName: 'package-image',
        },
      },
    ]);
  });

  it('tidies the entry addPlugin wrote in one pass: one entry, no default target name, the engine kept; a rerun changes nothing', async () => {
    await initGenerator(tree, { skipFormat: true, engine: 'podman' });
    const expected = [
      {
        plugin: 'nx-conda',
        options: {
          imageProject: 'builder-image',
          engine: 'podman',
          lintTargetName: 'lint-recipe',
          packageImageTargetName: 'package-image',
        },
      },
    ];
    expect(pluginEntries(tree)).toEqual(expected);
    expect(readNxJson(tree)?.generators).toEqual({ 'nx-conda:recipe': { format: 'meta' } });
    const first = snapshot(tree);
    await initGenerator(tree, { skipFormat: true, engine: 'podman' });
    await initGenerator(tree, { skipFormat: true });
    expect(snapshot(tree)).toEqual(first);
    expect(pluginEntries(tree)).toEqual(expected);
  });

  it('picks other target names when a recipe folder already has build-recipe and package-image', async () => {
    tree.write(
      'recipes/foo/project.json',
      JSON.stringify({
        name: 'foo',
        root: 'recipes/foo',
        targets: { 'build-recipe': { command: 'echo mine' }, 'package-image': { command: 'echo mine' } },
      }),
    );
    await initGenerator(tree, { skipFormat: true });
    const [entry] = pluginEntries(tree) as { plugin: string; options: Record<string, string> }[];
    expect(entry.options.buildTargetName).toMatch(/^conda[:-]build-recipe$/);
    expect(entry.options.packageImageTargetName).toMatch(/^conda[:-]package-image$/);
    expect(entry.options.lintTargetName).toBe('lint-recipe');
    expect(entry.options.imageProject).toBe('builder-image');
  });

  it.each([
    ['NX_ADD_PLUGINS=false', () => void (process.env.NX_ADD_PLUGINS = 'false')],
    ['useInferencePlugins: false', (t: Tree) => updateNxJson(t, { ...readNxJson(t), useInferencePlugins: false })],
  ])('with %s writes explicit targets and edges instead of a registration', async (_how, setUp) => {
    setUp(tree);
    await initGenerator(tree, { skipFormat: true });
    expect(pluginEntries(tree)).toEqual([]);
    const bar = readJson(tree, 'recipes/bar/project.json');
    expect(bar).toMatchObject({ name: 'bar', implicitDependencies: ['foo'] });
    expect(bar.targets['build-recipe']).toMatchObject({
      executor: 'nx-conda:recipe-build',
      cache: true,
      dependsOn: ['^build-recipe', 'builder-image:docker-image'],
      inputs: expect.arrayContaining(['{projectRoot}/**/*', '^default']),
    });
    expect(Object.keys(bar.targets).sort()).toEqual(['build-recipe', 'lint-recipe', 'package-image']);
    expect(readJson(tree, 'recipes/foo/project.json').implicitDependencies).toEqual([]);
    expect(readProjectConfiguration(tree, 'builder-image').targets?.['docker-image']).toBeDefined();
  });

  it('keeps an existing project.json when writing explicit targets', async () => {
    process.env.NX_ADD_PLUGINS = 'false';
    tree.write('recipes/foo/project.json', JSON.stringify({ name: 'foo', targets: {} }));
    await initGenerator(tree, { skipFormat: true });
    expect(readJson(tree, 'recipes/foo/project.json')).toEqual({ name: 'foo', targets: {} });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('recipes/foo/project.json exists and is kept'));
  });
});
