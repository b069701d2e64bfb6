/**
 * The batch frame of nx-conda's executors (`batchImplementation` with
 * `preferBatch`): Nx hands one process every task of a run for that
 * executor that is not a cache hit. The tasks run in the order of the
 * batch's task graph, at most `--parallel` at once, each with its output
 * captured (handed to Nx as that task's terminal output), and each result
 * goes back to Nx as soon as the task ends, so that Nx caches each task by
 * itself. A failed task fails only its dependents (reported skipped, never
 * run); with --nx-bail nothing new starts after a failure; after
 * SIGINT/SIGTERM/SIGHUP (or when Nx is gone) nothing new starts, and what
 * runs stops and cleans up (each running container listens for the same
 * signals).
 *
 * Each line is printed once. Nx prints each task's terminal output as a
 * block when it ends, except a success under a collapsing output style (the
 * default), which it shows as one line. So a task's lines are held: a task
 * that starts a real build goes live (`goLive`: a long build must be seen
 * progressing, prefixed `[project]`); one that ends without (a skip, an
 * early failure) is printed here only when it succeeded and Nx will not
 * print it. The batch ends with one line of counts and times.
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
import { nxPrintsTaskOutput, nxRunOptions, parentArgv, type NxRunOptions } from './nx-run';
import { runExecutor } from './run-executor';

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

/** How one task ended; a success says how (`outcome`: "built", "already published"), for the batch's closing line. */
export interface TaskRun {
  success: boolean;
  outcome?: string;
}

/** One task through the one error path (runExecutor), `body` saying how it ended. */
export async function runTaskFor(body: () => Promise<string>): Promise<TaskRun> {
  let outcome: string | undefined;
  const { success } = await runExecutor(async () => {
    outcome = await body();
  });
  return { success, outcome };
}

/** What a batch's tasks came to: successes by outcome, failures, tasks not run. */
export interface BatchTally {
  outcomes: Map<string, number>;
  failed: number;
  notRun: number;
}

/** The length of time covered by at least one of `spans` ([start, end] in ms): builds run in parallel. */
export function coveredTime(spans: [number, number][]): number {
  let covered = 0;
  let reached = -Infinity;
  for (const [start, end] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (end <= reached) continue;
    covered += end - Math.max(start, reached);
    reached = end;
  }
  return covered;
}

/**
 * The batch's closing line, e.g. `nx-conda: 443 recipe-build tasks: 1 built,
 * 440 already published, 2 skipped for linux-64, 0 failed (builds 7.5 s,
 * outside 4.1 s)`: the `named` outcomes always, in that order, any other
 * outcome that occurred (sorted), failures always, tasks not run when any;
 * then the time in live work (`work`) and the rest of `totalMs`.
 */
export function summaryLine(
  executor: string,
  tally: BatchTally,
  named: string[],
  work: { label: string; ms: number },
  totalMs: number,
): string {
  const others = [...tally.outcomes.keys()].filter((outcome) => !named.includes(outcome)).sort();
  const parts = [...named, ...others].map((outcome) => `${tally.outcomes.get(outcome) ?? 0} ${outcome}`);
  parts.push(`${tally.failed} failed`);
  if (tally.notRun > 0) parts.push(`${tally.notRun} not run`);
  const total = [...tally.outcomes.values()].reduce((a, b) => a + b, 0) + tally.failed + tally.notRun;
  const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(1);
  return (
    `nx-conda: ${total} ${executor} task${total === 1 ? '' : 's'}: ${parts.join(', ')} ` +
    `(${work.label} ${seconds(work.ms)} s, outside ${seconds(totalMs - work.ms)} s)`
  );
}

export interface BatchOf<O> {
  /** The executor, as the closing line names it. */
  executor: string;
  /** One task, as the executor runs it: its own errors are its result (runExecutor). */
  runTask: (options: O, context: ExecutorContext) => Promise<TaskRun>;
  /** After the last task, when the batch was not stopped. */
  end?: () => Promise<void>;
  /** What did not happen to a skipped task: "built", "run". */
  verb: string;
  /** Outcomes the closing line always names, in order; the first is that of a success that names none. */
  outcomes: [string, ...string[]];
  /** What the closing line calls the time tasks spent live ("builds"). */
  liveWork: string;
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
  // The batch process's whole life counts: Nx starting it is time outside the builds too.
  const processStart = Date.now() - process.uptime() * 1000;
  const argv = parentArgv();
  const options = nxRunOptions(argv, process.env, context.nxJsonConfiguration?.parallel);
  const nxPrints = nxPrintsTaskOutput(argv, process.env);
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
  const outcomes = new Map<string, string>();
  const live: [number, number][] = [];
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
    const { value, output, liveSince, printHeld } = await captureTaskOutput(
      `[${task.target.project}] `,
      () => batch.runTask(inputs[id] ?? ({} as O), taskContext),
      { hold: true },
    );
    const endTime = Date.now();
    if (liveSince !== undefined) live.push([liveSince, endTime]);
    if (value.success) {
      outcomes.set(id, value.outcome ?? batch.outcomes[0]);
      if (!nxPrints(task.target.project)) printHeld();
    }
    return { success: value.success, terminalOutput: output, startTime, endTime };
  };
  const tally: BatchTally = { outcomes: new Map(), failed: 0, notRun: 0 };
  try {
    for await (const ended of scheduleTasks(
      batchDependencies(taskGraph),
      run,
      options,
      () => stop,
      batch.verb,
      checkpoint,
    )) {
      const outcome = outcomes.get(ended.task);
      if (ended.result.status === 'skipped') tally.notRun++;
      else if (!ended.result.success || outcome === undefined) tally.failed++;
      else tally.outcomes.set(outcome, (tally.outcomes.get(outcome) ?? 0) + 1);
      yield ended;
    }
    await batch.end?.();
  } finally {
    for (const signal of signals) process.off(signal, onStop);
    process.off('disconnect', onStop);
    logger.info(
      summaryLine(
        batch.executor,
        tally,
        batch.outcomes,
        { label: batch.liveWork, ms: coveredTime(live) },
        Date.now() - processStart,
      ),
    );
    if (stop) {
      logger.warn(batch.stoppedMessage);
      // Nothing of ours is left to wait for; the worker must not outlive the Nx run that asked it to stop.
      setTimeout(() => process.exit(130), 2000).unref();
    }
  }
}
