/**
 * recipe-build's batch implementation (`preferBatch`, the frame in
 * ../batch.ts): the engine check, the builder-image lookup and each upstream
 * index are done once per batch (a BuildSession); each task runs the same
 * build steps as a task of its own.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runBatch, runTaskFor, type BatchTaskResult } from '../batch';
import { BUILT, buildRecipeTask, endBuildSession, newBuildSession } from './build-task';
import type { RecipeBuildExecutorSchema } from './schema';

/** Nx's batch entry for recipe-build (executors.json `batchImplementation`). */
export default function recipeBuildBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, RecipeBuildExecutorSchema>,
  overrides: RecipeBuildExecutorSchema,
  context: ExecutorContext,
): AsyncGenerator<BatchTaskResult> {
  const session = newBuildSession();
  return runBatch(taskGraph, inputs, overrides, context, {
    executor: 'recipe-build',
    runTask: (options, taskContext) => runTaskFor(() => buildRecipeTask(options, taskContext, session)),
    end: () => endBuildSession(session),
    verb: 'built',
    outcomes: [BUILT],
    liveWork: 'builds',
    stoppedMessage: 'nx-conda: the batch was stopped; running builds were stopped and cleaned up.',
  });
}
