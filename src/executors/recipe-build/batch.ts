/**
 * recipe-build's batch implementation (`preferBatch`): Nx hands it every
 * build-recipe task of a run that is not a cache hit, in one process. The
 * engine check, the builder-image lookup and each upstream index are done
 * once (a BuildSession); the tasks run in the order of the batch's task
 * graph, at most `--parallel` at once, each with the same build steps as a
 * task of its own, and each result goes back to Nx as soon as the task ends,
 * so that Nx caches each task by itself. A failed task fails only its
 * dependents (reported skipped, never built); with --nx-bail nothing new
 * starts after a failure; after SIGINT/SIGTERM/SIGHUP (or when Nx is gone)
 * nothing new starts and the running builds stop and clean up.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { captureTaskOutput, logger } from '../../core/logger';
import { runExecutor } from '../run-executor';
import { buildRecipeTask, endBuildSession, newBuildSession } from './build-task';
import { nxRunOptions, parentArgv, type NxRunOptions } from './nx-run';
import type { RecipeBuildExecutorSchema } from './schema';

export interface BatchTaskResult {
  task: string;
  result: {
    success: boolean;
    terminalOutput: string;
    startTime?: number;
    endTime?: number;
    status?: 'success' | 'failure' | 'skipped';
  };
}

/** The batch tasks each task depends on (edges are `{ id }` in Nx 24, plain ids before). */
export function batchDependencies(taskGraph: TaskGraph): Map<string, string[]> {
  const ids = new Set(Object.keys(taskGraph.tasks));
  const deps = new Map<string, string[]>();
  for (const id of ids) {
    const edges = (taskGraph.dependencies[id] ?? []) as unknown as (string | { id: string })[];
    deps.set(
      id,
      edges.map((edge) => (typeof edge === 'string' ? edge : edge.id)).filter((dep) => ids.has(dep)),
    );
  }
  return deps;
}

/** Task ids in the order to start them among those ready: most dependents first (as Nx orders), then by id. */
export function startOrder(deps: Map<string, string[]>): string[] {
  const dependents = new Map<string, number>();
  for (const list of deps.values()) for (const dep of list) dependents.set(dep, (dependents.get(dep) ?? 0) + 1);
  return [...deps.keys()].sort((a, b) => (dependents.get(b) ?? 0) - (dependents.get(a) ?? 0) || a.localeCompare(b));
}

export type RunTask = (id: string) => Promise<BatchTaskResult['result']>;

/**
 * Runs the tasks of `deps` with `run`, dependencies first, at most
 * `options.parallel` at once, yielding each result as it comes. `stopped()`
 * says a stop was asked for: nothing new starts.
 */
export async function* scheduleTasks(
  deps: Map<string, string[]>,
  run: RunTask,
  options: NxRunOptions,
  stopped: () => boolean = () => false,
): AsyncGenerator<BatchTaskResult> {
  const pending = startOrder(deps);
  const succeeded = new Set<string>();
  const failed = new Set<string>();
  const running = new Map<string, Promise<{ id: string; result: BatchTaskResult['result'] }>>();
  const skipped = (id: string, why: string): BatchTaskResult => ({
    task: id,
    result: { success: false, status: 'skipped', terminalOutput: `nx-conda: not built: ${why}\n` },
  });
  while (pending.length > 0 || running.size > 0) {
    // Dependents of a failed task are never built (to a fixpoint: their own dependents too).
    for (let changed = true; changed;) {
      changed = false;
      for (const id of [...pending]) {
        const bad = deps.get(id)!.find((dep) => failed.has(dep));
        if (bad === undefined) continue;
        pending.splice(pending.indexOf(id), 1);
        failed.add(id);
        changed = true;
        yield skipped(id, `it depends on ${bad}, which failed or was not built.`);
      }
    }
    const halted = stopped() || (options.bail && failed.size > 0);
    if (!halted) {
      for (const id of [...pending]) {
        if (running.size >= options.parallel) break;
        if (!deps.get(id)!.every((dep) => succeeded.has(dep))) continue;
        pending.splice(pending.indexOf(id), 1);
        running.set(
          id,
          run(id).then((result) => ({ id, result })),
        );
      }
    }
    if (running.size === 0) {
      // Stopped, bailed, or (never in a task graph) a cycle: what is left is not built.
      const why = stopped()
        ? 'the run was stopped.'
        : options.bail
          ? 'an earlier task failed (--nx-bail).'
          : 'its dependencies never ended.';
      for (const id of pending.splice(0)) yield skipped(id, why);
      break;
    }
    const { id, result } = await Promise.race(running.values());
    running.delete(id);
    (result.success ? succeeded : failed).add(id);
    yield { task: id, result };
  }
}

/** Nx's batch entry for recipe-build (executors.json `batchImplementation`). */
export default async function* recipeBuildBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, RecipeBuildExecutorSchema>,
  overrides: RecipeBuildExecutorSchema,
  context: ExecutorContext,
): AsyncGenerator<BatchTaskResult> {
  const options = nxRunOptions(parentArgv(), process.env, context.nxJsonConfiguration?.parallel);
  const session = newBuildSession();
  let stop = false;
  const onStop = () => {
    stop = true;
  };
  // Each running container listens for the stop signals too (see runContainer).
  process.setMaxListeners(Math.max(process.getMaxListeners(), options.parallel + 10));
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onStop);
  process.on('disconnect', onStop);
  const run: RunTask = async (id) => {
    const task = taskGraph.tasks[id];
    const taskContext: ExecutorContext = {
      ...context,
      projectName: task.target.project,
      targetName: task.target.target,
      configurationName: task.target.configuration,
      isVerbose: context.isVerbose || Boolean(overrides?.verbose),
    };
    const startTime = Date.now();
    const { value, output } = await captureTaskOutput(`[${task.target.project}] `, () =>
      runExecutor(() => buildRecipeTask(inputs[id] ?? {}, taskContext, session)),
    );
    return { success: value.success, terminalOutput: output, startTime, endTime: Date.now() };
  };
  try {
    yield* scheduleTasks(batchDependencies(taskGraph), run, options, () => stop);
    await endBuildSession(session);
  } finally {
    for (const signal of signals) process.off(signal, onStop);
    process.off('disconnect', onStop);
    if (stop) {
      logger.warn('nx-conda: the batch was stopped; running builds were stopped and cleaned up.');
      // Nothing of ours is left to wait for; the worker must not outlive the Nx run that asked it to stop.
      setTimeout(() => process.exit(130), 2000).unref();
    }
  }
}
