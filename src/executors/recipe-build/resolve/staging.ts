/** The staging concern of recipe-build's options: the output folder and the folders builds may write. */
import type { ExecutorContext } from '@nx/devkit';
import { isAbsolute, relative, resolve } from 'node:path';
import { outputPathOf } from '../../../channel/dependencies';
import { OptionError } from '../../../core/errors';
import { protectedFolders, sharedStagingProblem } from '../shared-staging';
import { orDefault, type RecipeBuildOptions } from './types';

export interface ResolvedStaging {
  outputPath: string;
  outputDir: string;
  stagingRoot: string;
  sharedStagingDir?: string;
}

/** Whether `inner` is `outer` or inside it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function resolveStaging(
  options: RecipeBuildOptions,
  context: ExecutorContext,
  projectRoot: string,
): ResolvedStaging {
  const root = context.root;
  const outputPath = options.outputPath || outputPathOf(projectRoot);
  const outputDir = resolve(root, outputPath);
  if (relative(root, outputDir).startsWith('..') || outputDir === root)
    throw new OptionError(
      'outputPath',
      `outputPath must be a folder inside the workspace (it is emptied before each build), got "${outputPath}".`,
    );

  const stagingRoot = resolve(root, orDefault(options.stagingRoot, 'stagingRoot'));
  const sharedStagingDir = options.sharedStagingDir ? resolve(root, options.sharedStagingDir) : undefined;
  // The staging folder is mounted writable in the container: never the workspace, a folder above it, or an output folder.
  for (const [option, dir] of [
    ['stagingRoot', stagingRoot],
    ['sharedStagingDir', sharedStagingDir],
  ] as const) {
    if (dir !== undefined && (within(root, dir) || within(dir, outputDir) || within(outputDir, dir)))
      throw new OptionError(
        option,
        `${option} ${JSON.stringify(dir)} must be a folder of its own: not the workspace or a folder above it, not holding or inside the output folder, ` +
          'since builds can write anything there.',
      );
  }
  if (options.sharedStagingDir) {
    // Mounted whole in every build that shares it: compared by real path with every folder of ours (see shared-staging.ts).
    const problem = sharedStagingProblem(root, options.sharedStagingDir, protectedFolders(root, stagingRoot, context));
    if (problem)
      throw new OptionError(
        'sharedStagingDir',
        `sharedStagingDir ${JSON.stringify(options.sharedStagingDir)} is refused: ${problem}. Every build that shares it can write ` +
          'anything there, so it must be a folder of its own (for example tmp/conda-bld, or an absolute path outside the workspace).',
      );
  }
  return { outputPath, outputDir, stagingRoot, sharedStagingDir };
}
