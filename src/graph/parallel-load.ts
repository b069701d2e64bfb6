/**
 * Cold graphs of large workspaces: recipes to parse shared with worker
 * threads. A plugin worker is one process on one core while Nx waits for it,
 * and parsing (Jinja, selectors, YAML) is most of a cold graph's cost, so a
 * second core halves it (issue 10: `nx show projects`, 10,000 recipes).
 *
 * createNodes reads recipes synchronously (one code path for every caller),
 * so the workers are waited for synchronously too: each posts its results on
 * its own MessagePort and counts itself done in shared memory; this thread
 * sleeps on that counter (Atomics.wait) and then takes the messages with
 * receiveMessageOnPort. A worker that fails, or does not answer in time,
 * gives no result, and its share is read in this thread after all.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { CacheEntry, Loaded } from './cache';

/** Fewer recipes to parse than this are parsed in one thread: a worker costs about 0.1 s to start. */
export const PARALLEL_MIN_RECIPES = 1000;
const MAX_THREADS = 3;
/** Hostile recipes are bounded per file (see recipes/), so this is only a guard against a lost worker. */
const WAIT_MS = 120_000;

/** What one worker is given. */
export interface WorkerJob {
  files: readonly string[];
  cached: readonly (CacheEntry | undefined)[];
}

export interface WorkerInput extends WorkerJob {
  workspaceRoot: string;
  platform: string;
  now: number;
  port: MessagePort;
  done: SharedArrayBuffer;
}

export type WorkerOutput = { loaded: Loaded[] } | { error: string };

const WORKER_SCRIPT = join(__dirname, 'load-worker.js');

/**
 * How many worker threads to use for `toParse` recipes: none below
 * PARALLEL_MIN_RECIPES, else one less than the cores Node may use (at most
 * MAX_THREADS). NX_CONDA_PARSE_THREADS overrides it: `0` never, `N` that
 * many whenever there are at least two recipes to parse (tests, benchmarks).
 * None when the compiled worker script is absent (the TypeScript sources
 * run under a test runner).
 */
export function parseThreads(toParse: number, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism(), workerScript = WORKER_SCRIPT): number {
  if (!existsSync(workerScript)) return 0;
  const forced = env.NX_CONDA_PARSE_THREADS;
  if (forced !== undefined && forced !== '') {
    const n = Number(forced);
    return Number.isInteger(n) && n > 0 && toParse >= 2 ? Math.min(n, 16) : 0;
  }
  if (toParse < PARALLEL_MIN_RECIPES) return 0;
  return Math.max(0, Math.min(MAX_THREADS, cores - 1));
}

/**
 * Starts one worker per job; `wait()` blocks until all are done (or the
 * guard time passed) and gives each job's results, or undefined for a job
 * whose worker failed. Workers never keep the process alive.
 */
export function startWorkers(
  workspaceRoot: string,
  platform: string,
  now: number,
  jobs: readonly WorkerJob[],
): { wait(): (Loaded[] | undefined)[] } {
  const done = new SharedArrayBuffer(4);
  const counter = new Int32Array(done);
  const started: { worker?: Worker; port?: MessagePort }[] = jobs.map((job) => {
    const { port1, port2 } = new MessageChannel();
    try {
      const input: WorkerInput = { ...job, workspaceRoot, platform, now, port: port2, done };
      const worker = new Worker(WORKER_SCRIPT, { workerData: input, transferList: [port2] });
      worker.unref();
      // An error event cannot be seen while this thread waits: the worker reports its own errors (load-worker.ts).
      worker.on('error', () => undefined);
      return { worker, port: port1 };
    } catch {
      port1.close();
      Atomics.add(counter, 0, 1); // never started: counted as done, with no result
      return {};
    }
  });
  return {
    wait() {
      const deadline = Date.now() + WAIT_MS;
      for (let seen = Atomics.load(counter, 0); seen < jobs.length; seen = Atomics.load(counter, 0)) {
        const left = deadline - Date.now();
        if (left <= 0 || Atomics.wait(counter, 0, seen, left) === 'timed-out') break;
      }
      return started.map(({ worker, port }) => {
        const message = port ? (receiveMessageOnPort(port)?.message as WorkerOutput | undefined) : undefined;
        port?.close();
        void worker?.terminate();
        return message && 'loaded' in message ? message.loaded : undefined;
      });
    },
  };
}
