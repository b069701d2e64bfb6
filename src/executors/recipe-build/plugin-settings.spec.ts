import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOptions } from './options';

/**
 * What the plugin no longer writes into each project (graph/targets.ts): the
 * executor reads channels and skipExisting from the plugin registration in
 * nx.json, and the builder image from the docker-image target it depends on.
 */
describe('recipe-build settings from the workspace, not from each project', () => {
  const root = mkdtempSync(join(tmpdir(), 'nx-conda-ws-'));
  mkdirSync(join(root, 'recipes/a'), { recursive: true });
  writeFileSync(join(root, 'recipes/a/meta.yaml'), 'package: {name: a, version: "1"}\n');
  const context = (nxJson: object, dependsOn: unknown[] = []) =>
    ({
      root,
      projectName: 'a',
      targetName: 'build-recipe',
      nxJsonConfiguration: nxJson,
      projectsConfigurations: {
        version: 2,
        projects: {
          a: { root: 'recipes/a', targets: { 'build-recipe': { executor: 'nx-conda:recipe-build', dependsOn } } },
          'builder-image': {
            root: 'tools/builder-image',
            targets: { 'docker-image': { executor: 'nx-conda:docker-image' } },
          },
          other: { root: 'other', targets: { 'docker-image': { executor: 'nx:run-commands' } } },
        },
      },
      isVerbose: false,
    }) as unknown as ExecutorContext;
  const registration = {
    plugins: [{ plugin: 'nx-conda', options: { channels: ['conda-forge'], skipExisting: true } }],
  };

  it('takes channels and skipExisting from the registration that infers the project', () => {
    expect(resolveOptions({}, context(registration), {})).toMatchObject({
      channels: ['conda-forge'],
      skipExisting: true,
    });
    expect(resolveOptions({}, context({}), {})).toMatchObject({ channels: [], skipExisting: false });
  });

  it("owns noarch/ of the output folder only on the registration's primary platform (issue 27)", () => {
    const platforms = { plugins: [{ plugin: 'nx-conda', options: { platforms: ['linux-64', 'linux-aarch64'] } }] };
    expect(resolveOptions({ platform: 'linux-aarch64' }, context(platforms), {})).toMatchObject({
      primaryPlatform: 'linux-64',
      ownedSubdirs: ['linux-aarch64'],
    });
    expect(resolveOptions({}, context(platforms), {}).ownedSubdirs).toEqual(['noarch', 'linux-64']);
    // Every option given, as targetDefaults may: the registration is still read.
    const given = { channels: [], skipExisting: false, packageCache: false, packageCacheMegabytes: 1 };
    expect(resolveOptions({ ...given, platform: 'linux-aarch64' }, context(platforms), {}).ownedSubdirs).toEqual([
      'linux-aarch64',
    ]);
    // Not inferred by a registration: the build is its own primary one, as before.
    expect(resolveOptions({ platform: 'linux-aarch64' }, context({}), {}).ownedSubdirs).toEqual([
      'noarch',
      'linux-aarch64',
    ]);
  });

  it('lets an option of the target win over the registration', () => {
    expect(resolveOptions({ channels: ['mine'], skipExisting: false }, context(registration), {})).toMatchObject({
      channels: ['mine'],
      skipExisting: false,
    });
  });

  it('builds in the image of the docker-image target it depends on, and only of nx-conda:docker-image', () => {
    expect(resolveOptions({}, context({}, ['^build-recipe', 'builder-image:docker-image']), {}).image).toEqual({
      kind: 'project',
      project: 'builder-image',
      target: 'docker-image',
    });
    expect(
      resolveOptions({}, context({}, [{ projects: ['builder-image'], target: 'docker-image' }]), {}).image,
    ).toMatchObject({ kind: 'project', project: 'builder-image' });
    // Not ours, or not a dependency: the default image.
    expect(resolveOptions({}, context({}, ['other:docker-image']), {}).image.kind).toBe('ref');
    expect(resolveOptions({ image: 'my/image:1' }, context({}, ['builder-image:docker-image']), {}).image).toEqual({
      kind: 'ref',
      ref: 'my/image:1',
    });
  });
});
