import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError } from '../../core/errors';
import { PackageImageError, resolvePackageImageOptions } from './options';
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
});
