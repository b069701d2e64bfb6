import type { ExecutorContext } from '@nx/devkit';
import { builderImageDependency } from './resolve/image';

/** The builder image of a platform target is the image target its own dependsOn names (docker-image-<platform>). */
describe('builderImageDependency', () => {
  const image = { executor: 'nx-conda:docker-image' };
  const context = (targetName: string): ExecutorContext =>
    ({
      root: '/ws',
      cwd: '/ws',
      isVerbose: false,
      projectName: 'htslib',
      targetName,
      projectGraph: { nodes: {}, dependencies: {} },
      nxJsonConfiguration: {},
      projectsConfigurations: {
        version: 2,
        projects: {
          'builder-image': {
            root: 'tools/builder-image',
            targets: { 'docker-image': image, 'docker-image-linux-aarch64': image },
          },
          htslib: {
            root: 'recipes/htslib',
            targets: {
              'build-recipe': {
                executor: 'nx-conda:recipe-build',
                dependsOn: ['^build-recipe', 'builder-image:docker-image'],
              },
              'build-recipe-linux-aarch64': {
                executor: 'nx-conda:recipe-build',
                dependsOn: [
                  { projects: ['samtools'], target: 'build-recipe-linux-aarch64' },
                  { projects: ['pyhts'], target: 'build-recipe' },
                  'builder-image:docker-image-linux-aarch64',
                ],
              },
            },
          },
        },
      },
    }) as unknown as ExecutorContext;

  it('finds the image target of the target being run', () => {
    expect(builderImageDependency(context('build-recipe'))).toEqual({
      project: 'builder-image',
      target: 'docker-image',
    });
    expect(builderImageDependency(context('build-recipe-linux-aarch64'))).toEqual({
      project: 'builder-image',
      target: 'docker-image-linux-aarch64',
    });
  });
});
