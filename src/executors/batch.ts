/**
 * The batch frame of nx-conda's executors (`batchImplementation` with
 * `preferBatch`): Nx hands one process every task of a run for that
 * executor that is not a cache hit. The tasks run in the order of the
 * batch's task graph, at most `--parallel` at once, each with its output
 * captured (printed live with a `[project]` prefix, handed to Nx as that
 * task's terminal output), and each result goes back to Nx as soon as the
 * task ends, so that Nx caches each task by itself. A failed task fails only
 * its dependents (reported skipped, never run); with --nx-bail nothing new
 * starts after a failure; after SIGINT/SIGTERM/SIGHUP (or when Nx is gone)
 * nothing new starts, and what runs stops and cleans up (each running
 * container listens for the same signals).
 *
 * Nx caches a batch's tasks (locally and in the remote cache) only when the
 * batch process ends. With NX_CONDA_BATCH_CHECKPOINT_SECONDS set, a batch
 * that has run that long starts nothing new, waits for its running tasks and
 * ends, leaving the others unreported: Nx caches what finished and hands the
 * rest to a new batch (Nx's batch "waves"). A CI agent killed mid-run then
 * loses at most that much work: its rerun restores what finished.
 */
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { captureTaskOutput, logger } from '../core/logger';
import { nxRunOptions, parentArgv, type NxRunOptions } from './nx-run';

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
 * says a stop was asked for: nothing new starts. `verb` says in the
 * skipped tasks' output what did not happen to them ("built", "run").
 */
export async function* scheduleTasks(
  deps: Map<string, string[]>,
  run: RunTask,
  options: NxRunOptions,
  stopped: () => boolean = () => false,
  verb = 'built',
  checkpoint: () => boolean = () => false,
): AsyncGenerator<BatchTaskResult> {
  const pending = startOrder(deps);
  const succeeded = new Set<string>();
  const failed = new Set<string>();
  const running = new Map<string, Promise<{ id: string; result: BatchTaskResult['result'] }>>();
  const skipped = (id: string, why: string): BatchTaskResult => ({
    task: id,
    result: { success: false, status: 'skipped', terminalOutput: `nx-conda: not ${verb}: ${why}\n` },
  });
  while (pending.length > 0 || running.size > 0) {
    // Dependents of a failed task never run (to a fixpoint: their own dependents too).
    for (let changed = true; changed;) {
      changed = false;
      for (const id of [...pending]) {
        const bad = deps.get(id)!.find((dep) => failed.has(dep));
        if (bad === undefined) continue;
        pending.splice(pending.indexOf(id), 1);
        failed.add(id);
        changed = true;
        yield skipped(id, `it depends on ${bad}, which failed or was not ${verb}.`);
      }
    }
    const halted = stopped() || (options.bail && failed.size > 0);
    // A checkpoint hands back what finished (at least one task, so that each batch moves on).
    const pausing = !halted && succeeded.size + failed.size > 0 && checkpoint();
    if (!halted && !pausing) {
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
    if (running.size === 0 && pausing) {
      if (pending.length > 0)
        logger.info(
          `nx-conda: batch checkpoint: ${succeeded.size + failed.size} task(s) done, handed to Nx to cache; ${pending.length} left for Nx's next batch`,
        );
      break;
    }
    if (running.size === 0) {
      // Stopped, bailed, or (never in a task graph) a cycle: what is left does not run.
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

/** The environment variable that sets a batch's checkpoint (seconds; unset, empty or negative: none). */
export const BATCH_CHECKPOINT_ENV = 'NX_CONDA_BATCH_CHECKPOINT_SECONDS';

/** NX_CONDA_BATCH_CHECKPOINT_SECONDS as a number of seconds ≥ 0, or undefined (no checkpoint). */
export function batchCheckpointSeconds(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[BATCH_CHECKPOINT_ENV]?.trim();
  if (!raw) return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

export interface BatchOf<O> {
  /** One task, as the executor runs it: its own errors are its result (runExecutor). */
  runTask: (options: O, context: ExecutorContext) => Promise<{ success: boolean }>;
  /** After the last task, when the batch was not stopped. */
  end?: () => Promise<void>;
  /** What did not happen to a skipped task: "built", "run". */
  verb: string;
  /** The warning after a stop. */
  stoppedMessage: string;
}

/** Nx's batch entry (executors.json `batchImplementation`) of an executor, from how it runs one task. */
export async function* runBatch<O extends { verbose?: boolean }>(
  taskGraph: TaskGraph,
  inputs: Record<string, O>,
  overrides: O,
  context: ExecutorContext,
  batch: BatchOf<O>,
): AsyncGenerator<BatchTaskResult> {
  const options = nxRunOptions(parentArgv(), process.env, context.nxJsonConfiguration?.parallel);
  const checkpointSeconds = batchCheckpointSeconds(process.env);
  const begun = Date.now();
  const checkpoint = () => checkpointSeconds !== undefined && Date.now() - begun >= checkpointSeconds * 1000;
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
      batch.runTask(inputs[id] ?? ({} as O), taskContext),
    );
    return { success: value.success, terminalOutput: output, startTime, endTime: Date.now() };
  };
  try {
    yield* scheduleTasks(batchDependencies(taskGraph), run, options, () => stop, batch.verb, checkpoint);
    await batch.end?.();
  } finally {
    for (const signal of signals) process.off(signal, onStop);
    process.off('disconnect', onStop);
    if (stop) {
      logger.warn(batch.stoppedMessage);
      // Nothing of ours is left to wait for; the worker must not outlive the Nx run that asked it to stop.
      setTimeout(() => process.exit(130), 2000).unref();
    }
  }
}
