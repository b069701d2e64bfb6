import { addProjectConfiguration, readProjectConfiguration } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initGenerator } from './generator';

describe('init: the conda-channel project', () => {
  it('creates tools/conda-channel with channel and publish targets, once', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, { skipFormat: true });
    const project = readProjectConfiguration(tree, 'conda-channel');
    expect(project.root).toBe('tools/conda-channel');
    expect(project.targets?.channel).toMatchObject({
      executor: 'nx-conda:channel',
      dependsOn: [{ projects: ['tag:conda'], target: 'build-recipe' }],
      options: { outputPath: 'dist/channel' },
    });
    expect(project.targets?.publish).toMatchObject({
      executor: 'nx-conda:publish',
      dependsOn: ['channel'],
      options: { channelPath: 'dist/channel' },
    });
    const before = tree.read('tools/conda-channel/project.json', 'utf8');
    await initGenerator(tree, { skipFormat: true });
    expect(tree.read('tools/conda-channel/project.json', 'utf8')).toBe(before);
  });

  it('leaves an existing conda-channel project alone', async () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'conda-channel', { root: 'ops/channel', targets: {} });
    await initGenerator(tree, { skipFormat: true });
    expect(readProjectConfiguration(tree, 'conda-channel').root).toBe('ops/channel');
    expect(tree.exists('tools/conda-channel/project.json')).toBe(false);
  });
});
