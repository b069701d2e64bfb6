import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError } from '../../core/errors';
import { forPlatform, PackageImageError, resolvePackageImageOptions } from './options';
import type { PackageImageExecutorSchema } from './schema';

/** Issue 20, point 3: a bad option is an OptionError naming it, thrown where it is checked. */
describe('resolvePackageImageOptions: one error idiom', () => {
  const root = mkdtempSync(join(tmpdir(), 'nx-conda-ws-'));
  const context = {
    root,
    projectName: 'a',
    projectsConfigurations: { version: 2, projects: { a: { root: 'recipes/a' } } },
    isVerbose: false,
  } as unknown as ExecutorContext;
  const resolve = (options: PackageImageExecutorSchema) => () =>
    resolvePackageImageOptions({ imageProject: 'builder-image', ...options }, context);
  const optionOf = (options: PackageImageExecutorSchema): string | undefined => {
    try {
      resolve(options)();
    } catch (e) {
      return e instanceof OptionError ? e.option : `not an OptionError: ${String(e)}`;
    }
    return undefined;
  };

  it.each<[PackageImageExecutorSchema, string]>([
    [{ image: '--privileged' }, 'image'],
    [{ packageBaseImage: 'a b' }, 'packageBaseImage'],
    [{ channels: ['-c x'] }, 'channels'],
    [{ network: 'a,b' }, 'network'],
    [{ platform: 'conda-bld' }, 'platform'],
    [{ registry: 'https://host' }, 'registry'],
    [{ testTimeoutSeconds: -1 }, 'testTimeoutSeconds'],
    [{ platforms: ['linux-arch64'] }, 'platforms'],
    [{ platforms: ['osx-arm64'] }, 'platforms'],
    [{ platforms: 'linux-aarch64' as unknown as string[] }, 'platforms'],
    [{ platforms: ['linux-aarch64'], platformImages: { 'linux-ppc64le': 'a/b:1' } }, 'platformImages'],
    [
      { platforms: ['linux-aarch64'], platformImages: { 'linux-aarch64': '--privileged' } },
      'platformImages.linux-aarch64',
    ],
    [
      { platforms: ['linux-aarch64'], platformBaseImages: ['x'] as unknown as Record<string, string> },
      'platformBaseImages',
    ],
  ])('%j is refused as an OptionError naming %s', (options, option) => {
    expect(optionOf(options)).toBe(option);
    expect(resolve(options)).toThrow(option);
  });

  it('no built packages yet is a PackageImageError that says what to run', () => {
    expect(resolve({})).toThrow(PackageImageError);
    expect(resolve({})).toThrow(/dist\/conda\/recipes\/a does not exist: build the packages first/);
    mkdirSync(join(root, 'dist/conda/recipes/a'), { recursive: true });
    expect(resolve({})().outputDir).toBe(join(root, 'dist/conda/recipes/a'));
  });

  it('platforms: the primary first, once; each other platform its installer and base image', () => {
    mkdirSync(join(root, 'dist/conda/recipes/a'), { recursive: true });
    const o = resolve({ platforms: ['linux-64', 'linux-aarch64', 'linux-aarch64'] })();
    expect(o.platforms).toEqual(['linux-64', 'linux-aarch64']);
    expect(resolve({})().platforms).toEqual(['linux-64']);
    // imageProject: that project's target of the platform, as init makes it.
    expect(forPlatform(o, 'linux-aarch64')).toMatchObject({
      platform: 'linux-aarch64',
      installer: { kind: 'project', project: 'builder-image', target: 'docker-image-linux-aarch64' },
      baseImage: o.baseImage,
    });
    expect(forPlatform(o, 'linux-64')).toBe(o);
    const given = resolve({
      image: 'lab/conda:1',
      platforms: ['linux-aarch64'],
      platformImages: { 'linux-aarch64': 'lab/conda:1-arm64' },
      platformBaseImages: { 'linux-aarch64': 'lab/base:arm64' },
    })();
    expect(forPlatform(given, 'linux-aarch64')).toMatchObject({
      installer: { kind: 'ref', ref: 'lab/conda:1-arm64' },
      baseImage: 'lab/base:arm64',
    });
    expect(forPlatform(given, 'linux-64')).toMatchObject({ installer: { kind: 'ref', ref: 'lab/conda:1' } });
  });
});
