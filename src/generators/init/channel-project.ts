import { addProjectConfiguration, getProjects, type TargetConfiguration, type Tree } from '@nx/devkit';
import { DEFAULT_CHANNEL_PATH, DEFAULT_TARGETS, EXECUTORS } from '../../core/defaults';

export const CHANNEL_PROJECT = 'conda-channel';
export const CHANNEL_PROJECT_ROOT = 'tools/conda-channel';

/**
 * The project `conda-channel` (tools/conda-channel): `channel` gathers every
 * recipe project's packages into dist/channel after building them (its
 * dependsOn runs build-recipe of every project tagged `conda`); `publish`
 * copies that channel to the destination set in its options. Created once;
 * an existing project of that name is left as it is.
 */
export function ensureChannelProject(tree: Tree, buildTargetName: string = DEFAULT_TARGETS.buildRecipe): void {
  if (getProjects(tree).has(CHANNEL_PROJECT) || tree.exists(`${CHANNEL_PROJECT_ROOT}/project.json`)) return;
  const channel: TargetConfiguration = {
    executor: EXECUTORS.channel,
    dependsOn: [{ projects: ['tag:conda'], target: buildTargetName }],
    options: { outputPath: DEFAULT_CHANNEL_PATH },
    // Incremental over the folder it keeps: never restored from a cache.
    cache: false,
  };
  const publish: TargetConfiguration = {
    executor: EXECUTORS.publish,
    dependsOn: ['channel'],
    options: { channelPath: DEFAULT_CHANNEL_PATH, destination: '' },
    cache: false,
  };
  addProjectConfiguration(tree, CHANNEL_PROJECT, {
    root: CHANNEL_PROJECT_ROOT,
    projectType: 'application',
    tags: ['conda-channel'],
    targets: { channel, publish },
  });
}
