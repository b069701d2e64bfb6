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
    expect(project.targets?.plan).toEqual({
      executor: 'nx-conda:plan',
      options: { maxStages: 6, target: 'build-recipe' },
      cache: false,
    });
    expect(project.targets?.shard).toEqual({ executor: 'nx-conda:shard', options: {}, cache: false });
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

  it('adds plan and shard to a conda-channel project of an earlier init, keeping its targets', async () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'conda-channel', {
      root: 'tools/conda-channel',
      targets: {
        channel: { executor: 'nx-conda:channel', options: { outputPath: 'out/channel' } },
        publish: { executor: 'nx-conda:publish', options: { destination: '/srv/conda' } },
        shard: { executor: 'nx:run-commands', options: { command: 'echo mine' } },
      },
    });
    await initGenerator(tree, { skipFormat: true });
    const targets = readProjectConfiguration(tree, 'conda-channel').targets!;
    expect(targets.channel.options).toEqual({ outputPath: 'out/channel' });
    expect(targets.publish.options).toEqual({ destination: '/srv/conda' });
    expect(targets.plan.executor).toBe('nx-conda:plan');
    expect(targets.shard.executor).toBe('nx:run-commands');
    const before = tree.read('tools/conda-channel/project.json', 'utf8');
    await initGenerator(tree, { skipFormat: true });
    expect(tree.read('tools/conda-channel/project.json', 'utf8')).toBe(before);
  });

  it('plans the build target init registered under another name', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write(
      'nx.json',
      JSON.stringify({ plugins: [{ plugin: 'nx-conda', options: { buildTargetName: 'conda:build-recipe' } }] }),
    );
    await initGenerator(tree, { skipFormat: true });
    expect(readProjectConfiguration(tree, 'conda-channel').targets?.plan.options).toEqual({
      maxStages: 6,
      target: 'conda:build-recipe',
    });
  });
});
