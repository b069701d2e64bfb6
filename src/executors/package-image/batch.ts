/**
 * package-image's batch implementation (`preferBatch`, the frame in
 * ../batch.ts): one process for every package-image task of a run, so that
 * `nx affected -t package-image` over many projects whose images are up to
 * date costs one Nx worker, not one forked process per project.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runBatch, runTaskFor, type BatchTaskResult } from '../batch';
import { MADE, packageImageTask } from './executor';
import type { PackageImageExecutorSchema } from './schema';

/** Nx's batch entry for package-image (executors.json `batchImplementation`). */
export default function packageImageBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, PackageImageExecutorSchema>,
  overrides: PackageImageExecutorSchema,
  context: ExecutorContext,
): AsyncGenerator<BatchTaskResult> {
  return runBatch(taskGraph, inputs, overrides, context, {
    executor: 'package-image',
    runTask: (options, taskContext) => runTaskFor(() => packageImageTask(options, taskContext)),
    verb: 'run',
    outcomes: [MADE],
    liveWork: 'image work',
    stoppedMessage: 'nx-conda: the batch was stopped; running image builds and tests were stopped and cleaned up.',
  });
}
