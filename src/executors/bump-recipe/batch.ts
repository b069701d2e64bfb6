/**
 * bump-recipe's batch implementation (`preferBatch`, the frame in
 * ../batch.ts): one process for every bump-recipe task of a run, sharing one
 * upstream client, so that `nx run-many -t bump-recipe --check` over a large
 * tree costs one Nx worker and asks each upstream URL once.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runBatch, type BatchTaskResult } from '../batch';
import { bumpRecipe, newBumpSession } from './executor';
import type { BumpRecipeExecutorSchema } from './schema';

/** Nx's batch entry for bump-recipe (executors.json `batchImplementation`). */
export default function bumpRecipeBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, BumpRecipeExecutorSchema & { verbose?: boolean }>,
  overrides: BumpRecipeExecutorSchema & { verbose?: boolean },
  context: ExecutorContext,
): AsyncGenerator<BatchTaskResult> {
  const session = newBumpSession();
  return runBatch(taskGraph, inputs, overrides, context, {
    executor: 'bump-recipe',
    runTask: (options, taskContext) => bumpRecipe(options, taskContext, session),
    verb: 'run',
    outcomes: ['checked'],
    liveWork: 'upstream work',
    stoppedMessage: 'nx-conda: the batch was stopped; recipes being bumped were left as they were.',
  });
}
