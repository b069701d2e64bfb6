import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError, UserError } from '../../core/errors';
import { RecipeBuildError, resolveOptions } from './options';
import type { RecipeBuildExecutorSchema } from './schema';

/** Issue 9: every value that becomes a path or an engine argument is checked before anything runs. */
describe('resolveOptions refuses values that would leave their place', () => {
  const root = mkdtempSync(join(tmpdir(), 'nx-conda-ws-'));
  mkdirSync(join(root, 'recipes/a'), { recursive: true });
  writeFileSync(join(root, 'recipes/a/recipe.yaml'), 'package: {name: a, version: "1"}\n');
  const context = (projectName = 'a') =>
    ({
      root,
      projectName,
      projectsConfigurations: { version: 2, projects: { [projectName]: { root: 'recipes/a' } } },
      isVerbose: false,
    }) as unknown as ExecutorContext;
  const resolve = (options: RecipeBuildExecutorSchema, name?: string) => () =>
    resolveOptions(options, context(name), {});

  it('accepts the defaults', () => {
    expect(resolve({})()).toMatchObject({ platform: 'linux-64', network: 'host' });
  });

  it.each(['../../../../x', 'linux-64/../..', 'conda-bld', 'linux-64 '])('refuses platform %j', (platform) => {
    expect(resolve({ platform })).toThrow(/is not a conda subdir/);
  });

  it("takes platform '' for the default", () => {
    expect(resolve({ platform: '' })()).toMatchObject({ platform: 'linux-64' });
  });

  it.each(['--privileged', '-v/:/host', 'alpine latest', 'alpine\n'])('refuses image %j', (image) => {
    expect(resolve({ image })).toThrow(/is not an image reference/);
  });

  it.each(['--privileged', 'host --privileged', 'a,b'])('refuses network %j', (network) => {
    expect(resolve({ network })).toThrow(/is not a network name/);
  });

  it.each([
    '.',
    '..',
    '/',
    'dist/conda/recipes/a/noarch',
    'dist',
    'tmp/nx-conda',
    'tmp/nx-conda/runs',
    'tmp/nx-conda/runs/x',
  ])('refuses sharedStagingDir %j', (sharedStagingDir) => {
    expect(resolve({ sharedStagingDir })).toThrow(/must be a folder of its own/);
  });

  describe('sharedStagingDir overlapping our own folders, by real path (issue 18, point 3)', () => {
    beforeAll(() => {
      mkdirSync(join(root, 'tmp/nx-conda'), { recursive: true });
      mkdirSync(join(root, 'node_modules'), { recursive: true });
      symlinkSync(join(root, 'tmp/nx-conda'), join(root, 'tmp/lnk'));
      symlinkSync(join(root, 'tmp'), join(root, 'tmp/up'));
      symlinkSync(join(root, 'recipes'), join(root, 'shared-link'));
    });
    it.each([
      ['tmp/nx-conda/staging', /is inside stagingRoot/],
      ['tmp/nx-conda/staging/shared', /is inside stagingRoot/],
      ['tmp/nx-conda/repodata', /is inside tmp\/nx-conda, nx-conda's own folder/],
      ['tmp/lnk', /holds stagingRoot/],
      ['tmp/lnk/x', /is inside tmp\/nx-conda/],
      ['tmp/up/nx-conda/staging', /is inside stagingRoot/],
      ['tmp', /holds stagingRoot/],
      ['recipes', /holds the folder of project a \(recipes\/a\)/],
      ['recipes/a/shared', /is inside the folder of project a/],
      ['shared-link/a', /is inside the folder of project a/],
      ['node_modules/x', /is inside the workspace's node_modules/],
      ['.git', /is inside the workspace's .git/],
      ['.nx/cache', /is inside Nx's folder .nx/],
      ['../elsewhere', /outside the workspace through a relative path/],
      ['/', /the workspace or a folder above it/],
    ])('refuses %j', (sharedStagingDir, why) => {
      expect(resolve({ sharedStagingDir })).toThrow(why);
      expect(resolve({ sharedStagingDir })).toThrow(/must be a folder of its own/);
    });
    it('accepts a folder of its own in the workspace, and an absolute one outside it', () => {
      expect(resolve({ sharedStagingDir: 'tmp/conda-bld' })().sharedStagingDir).toBe(join(root, 'tmp/conda-bld'));
      const outside = mkdtempSync(join(tmpdir(), 'nx-conda-shared-'));
      expect(resolve({ sharedStagingDir: outside })().sharedStagingDir).toBe(outside);
    });
  });

  it('refuses container paths with .. or odd characters, env names that are not names', () => {
    expect(resolve({ containerStaging: '/opt/../etc' })).toThrow(/no '\.\.'/);
    expect(resolve({ containerRecipe: '/opt/a,readonly=false' })).toThrow(/may hold only/);
    expect(resolve({ env: { 'A=B': 'x' } })).toThrow(/not a valid variable name/);
    expect(resolve({}, 'a\nb')).toThrow(/control characters/);
    expect(resolve({}, 'a\u001b]0;t\u0007')).toThrow(/control characters/);
    expect(resolve({}, 'a\u009b31m')).toThrow(/control characters/);
    expect(resolve({}, 'a\u202eb')).toThrow(/control characters/);
    expect(resolve({}, '-x')).toThrow(/starts with "-"/);
  });

  it('checks the hardening options: socket mounts and --privileged through runArgs are refused, no-new-privileges is on', () => {
    expect(resolve({ runArgs: ['--volume=/var/run/docker.sock:/var/run/docker.sock'] })).toThrow(/engine socket/);
    expect(resolve({ runArgs: ['--privileged'] })).toThrow(/hands the build container the host/);
    expect(resolve({ memory: '1; rm -rf /' })).toThrow(/not a size/);
    expect(resolve({})().hardening).toEqual({
      pidsLimit: 4096,
      noNewPrivileges: true,
      runArgs: [],
      mounts: { workspace: expect.any(String), allowed: [] },
    });
  });
});

/** Issue 20, point 3: each concern throws an OptionError naming the option where the problem is found. */
describe('resolveOptions: one error idiom, by concern', () => {
  const root = mkdtempSync(join(tmpdir(), 'nx-conda-ws-'));
  mkdirSync(join(root, 'recipes/a'), { recursive: true });
  writeFileSync(join(root, 'recipes/a/meta.yaml'), 'package: {name: a, version: "1"}\n');
  const context = {
    root,
    projectName: 'a',
    projectsConfigurations: { version: 2, projects: { a: { root: 'recipes/a' } } },
    isVerbose: false,
  } as unknown as ExecutorContext;
  const errorOf = (options: RecipeBuildExecutorSchema): Error => {
    try {
      resolveOptions(options, context, {});
    } catch (e) {
      return e as Error;
    }
    throw new Error(`resolveOptions took ${JSON.stringify(options)}`);
  };

  it.each<[string, RecipeBuildExecutorSchema, string, RegExp]>([
    ['recipe', { builder: 'rattler-build' }, 'builder', /builder rattler-build needs recipe\.yaml/],
    ['recipe', { platform: 'linux-64/..' }, 'platform', /platform "linux-64\/\.\." is not a conda subdir: use noarch/],
    [
      'recipe',
      { variantConfigFiles: ['nope.yaml'] },
      'variantConfigFiles',
      /variantConfigFiles: nope\.yaml does not exist/,
    ],
    ['recipe', { recipeDir: 'recipes/b' }, 'recipeDir', /recipeDir: recipe folder recipes\/b does not exist/],
    ['image', { image: '--privileged' }, 'image', /image "--privileged" is not an image reference/],
    ['image', { network: 'a,b' }, 'network', /network "a,b" is not a network name/],
    ['image', { env: { 'A-B': 'x' } }, 'env', /env name 'A-B' is not a valid variable name/],
    ['image', { containerRecipe: 'opt/recipe' }, 'containerRecipe', /containerRecipe must be an absolute path/],
    ['staging', { outputPath: '../out' }, 'outputPath', /outputPath must be a folder inside the workspace/],
    ['staging', { stagingRoot: '.' }, 'stagingRoot', /stagingRoot ".*" must be a folder of its own/],
    ['staging', { sharedStagingDir: 'recipes' }, 'sharedStagingDir', /sharedStagingDir "recipes" is refused/],
    ['limits', { timeoutSeconds: -1 }, 'timeoutSeconds', /timeoutSeconds must be 0 or more, got -1/],
    ['limits', { lockTimeoutSeconds: -1 }, 'lockTimeoutSeconds', /lockTimeoutSeconds must be 0 or more/],
    ['limits', { memory: 'lots' }, 'memory', /memory "lots" is not a size/],
    ['limits', { runArgs: ['--privileged'] }, 'runArgs', /runArgs cannot set --privileged/],
    ['limits', { maxPackageMegabytes: -1 }, 'maxPackageMegabytes', /maxPackageMegabytes must be a positive number/],
    ['channels', { channels: ['-c x'] }, 'channels', /channels: "-c x" is not a channel name/],
    ['channels', { skipExisting: true }, 'skipExisting', /skipExisting needs upstream channels/],
  ])('%s: %j is refused as an OptionError naming %s', (_concern, options, option, message) => {
    const error = errorOf(options);
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as OptionError).option).toBe(option);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(option);
  });

  it('a missing recipe is a RecipeBuildError naming the folder and the project', () => {
    mkdirSync(join(root, 'recipes/empty'), { recursive: true });
    const of = (project: string) =>
      ({
        ...context,
        projectName: project,
        projectsConfigurations: { version: 2, projects: { [project]: { root: `recipes/${project}` } } },
      }) as unknown as ExecutorContext;
    expect(() => resolveOptions({}, of('b'), {})).toThrow(RecipeBuildError);
    expect(() => resolveOptions({}, of('b'), {})).toThrow(/^Recipe folder recipes\/b of project b does not exist\.$/);
    expect(() => resolveOptions({}, of('empty'), {})).toThrow(RecipeBuildError);
    expect(() => resolveOptions({}, of('empty'), {})).toThrow(/No meta\.yaml or recipe\.yaml in recipes\/empty/);
  });

  it('an unexpected error is not dressed as a user error: it keeps its type and stack', () => {
    const broken = { ...context, projectsConfigurations: { version: 2, projects: {} } } as unknown as ExecutorContext;
    let error: unknown;
    try {
      resolveOptions({}, broken, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(UserError);
  });
});
