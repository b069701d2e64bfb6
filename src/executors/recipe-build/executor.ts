import type { ExecutorContext } from '@nx/devkit';
import { runExecutor } from '../run-executor';
import { buildRecipeTask, endBuildSession, newBuildSession } from './build-task';
import type { RecipeBuildExecutorSchema } from './schema';

/** One recipe-build task in a process of its own (`--batch=false`, or a task Nx does not batch). */
export default async function recipeBuildExecutor(
  options: RecipeBuildExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const session = newBuildSession();
  return runExecutor(async () => {
    await buildRecipeTask(options, context, session);
    await endBuildSession(session);
  });
}
