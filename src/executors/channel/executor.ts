import type { ExecutorContext, ProjectGraph } from '@nx/devkit';
import { logger } from '../../core/logger';
import { realpathSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { gatherChannel, type GatherSource } from '../../channel/gather';
import { OptionError } from '../../core/errors';
import { outputPathOf } from '../../channel/dependencies';
import { DEFAULT_CHANNEL_PATH, EXECUTORS } from '../../core/defaults';
import { withLock } from '../../channel/lock';
import { workspaceSecret } from '../../channel/secret';
import { dataLimits } from '../../channel/package-check';
import { ensureRealDir } from '../../channel/safe-fs';
import { runExecutor } from '../run-executor';
import type { ChannelExecutorSchema } from './schema';

/** Every project with a recipe-build target, with its output folder (workspace-relative). */
export function recipeOutputs(graph: ProjectGraph): { project: string; outputPath: string }[] {
  const found: { project: string; outputPath: string }[] = [];
  for (const [name, node] of Object.entries(graph.nodes)) {
    // A target per platform usually shares one output folder: each folder once (it holds every platform's subdir).
    const paths = new Set<string>();
    for (const target of Object.values(node.data.targets ?? {})) {
      if (target.executor === EXECUTORS.recipeBuild)
        paths.add(outputPathOf(node.data.root, target.options?.outputPath));
    }
    for (const outputPath of paths) {
      found.push({ project: name, outputPath });
    }
  }
  return found.sort((a, b) => a.project.localeCompare(b.project));
}

/** The channel folder of `outputPath`, checked to be a folder inside the workspace. */
export function channelFolder(root: string, outputPath: string | undefined, option = 'outputPath'): string {
  const dir = resolve(root, outputPath || DEFAULT_CHANNEL_PATH);
  const rel = relative(root, dir);
  if (!rel || rel.startsWith('..'))
    throw new OptionError(option, `${option} must be a folder inside the workspace, got "${outputPath}".`);
  return dir;
}

export default async function channelExecutor(
  options: ChannelExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runExecutor(async () => {
    const channelDir = channelFolder(context.root, options.outputPath);
    const limits = dataLimits(options);
    const all = recipeOutputs(context.projectGraph);
    const wanted = options.projects?.length ? new Set(options.projects) : undefined;
    for (const name of wanted ?? []) {
      if (!all.some((p) => p.project === name))
        throw new OptionError('projects', `projects: ${name} is not a project with a recipe-build target.`);
    }
    const sources: GatherSource[] = all
      .filter((p) => !wanted || wanted.has(p.project))
      .map((p) => ({ project: p.project, dir: resolve(context.root, p.outputPath) }));
    ensureRealDir(channelDir);
    const where = relative(context.root, channelDir);
    const result = await withLock(
      `channel:${realpathSync(channelDir)}`,
      async () => gatherChannel(channelDir, sources, new Set(all.map((p) => p.project)), limits),
      {
        what: `the channel ${where}`,
        holder: `${context.projectName ?? 'a'}:${context.targetName ?? 'channel'} of ${context.root}`,
        timeoutSeconds: options.lockTimeoutSeconds || undefined,
        onWait: (other) => logger.info(`nx-conda: waiting for ${other}, which gathers into ${where}`),
        secret: workspaceSecret(context.root),
      },
    );
    for (const key of result.added) logger.info(`  + ${key}`);
    for (const key of result.updated) logger.info(`  ~ ${key}`);
    for (const key of result.removed) logger.info(`  - ${key}`);
    logger.info(
      `nx-conda: channel ${where}: ${result.added.length} added, ${result.updated.length} updated, ${result.removed.length} removed, ` +
        `${result.unchanged} unchanged, ${result.kept} kept from projects without output here; indexed ${result.subdirs.join(', ')}`,
    );
  });
}
