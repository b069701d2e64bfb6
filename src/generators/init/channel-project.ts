import {
  addProjectConfiguration,
  getProjects,
  updateProjectConfiguration,
  type TargetConfiguration,
  type Tree,
} from '@nx/devkit';
import { DEFAULT_CHANNEL_PATH, DEFAULT_TARGETS, EXECUTORS } from '../../core/defaults';

export const CHANNEL_PROJECT = 'conda-channel';
export const CHANNEL_PROJECT_ROOT = 'tools/conda-channel';

/** The many-agents targets: `plan` splits a run into stages and shards, `shard` runs one of them. */
function agentTargets(buildTargetName: string): Record<string, TargetConfiguration> {
  return {
    plan: {
      executor: EXECUTORS.plan,
      options: { maxStages: 6, target: buildTargetName },
      // It reads git, Nx's task graph and the upstream channels: nothing a cache could key on.
      cache: false,
    },
    shard: { executor: EXECUTORS.shard, options: {}, cache: false },
  };
}

/**
 * The project `conda-channel` (tools/conda-channel): `channel` gathers every
 * recipe project's packages into dist/channel after building them (its
 * dependsOn runs build-recipe of every project tagged `conda`); `publish`
 * copies that channel to the destination set in its options; `plan` and
 * `shard` split a run over many CI agents. Created once; an existing project
 * of that name is left as it is, except that one of ours (a `channel` target
 * with nx-conda:channel) gets the `plan` and `shard` targets it lacks.
 */
export function ensureChannelProject(tree: Tree, buildTargetName: string = DEFAULT_TARGETS.buildRecipe): void {
  const existing = getProjects(tree).get(CHANNEL_PROJECT);
  if (existing) {
    if (existing.targets?.channel?.executor !== EXECUTORS.channel) return;
    const missing = Object.entries(agentTargets(buildTargetName)).filter(([name]) => !existing.targets?.[name]);
    if (missing.length === 0) return;
    updateProjectConfiguration(tree, CHANNEL_PROJECT, {
      ...existing,
      targets: { ...existing.targets, ...Object.fromEntries(missing) },
    });
    return;
  }
  if (tree.exists(`${CHANNEL_PROJECT_ROOT}/project.json`)) return;
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
    targets: { channel, publish, ...agentTargets(buildTargetName) },
  });
}
