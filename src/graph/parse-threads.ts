/**
 * Reading 10,000 recipes cold is most of what the plugin adds to a cold
 * graph (about 1.1-1.4 s in Nx's plugin worker, one core), while Nx's host
 * process waits for it. On a machine with four cores or more, a worker
 * thread reads and parses a share of the recipes that have no cache entry
 * while this thread reads the rest: the result is the same. Not on two
 * cores: measured there (2026-12-07, 10,000 corpus recipes, fresh
 * processes), two threads took as long as one (1.10-1.21 s against
 * 1.10-1.34 s) for two thirds more CPU time (user 1.89 s against 1.14 s):
 * the second isolate compiles the reader again, and V8's background
 * compiler and collector threads, which use the second core of a
 * single-threaded read, then compete with both readers. Any failure of the
 * thread (it cannot start, it dies, it answers something else) falls back
 * to reading its share here: a thread never costs a recipe.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Loaded } from './load-one';

/** Below this many recipes to read, starting a thread costs more than it saves. */
export const THREAD_MIN_FILES = 400;
/** Fewer cores than this: no thread (see above). */
export const THREAD_MIN_CORES = 4;
/** The thread's share: a little under half, because it starts later (it loads the reader first). */
const THREAD_SHARE = 0.45;
/** A thread that has not answered by then is given up on (its share is read here). */
const THREAD_TIMEOUT_MS = 120_000;

/** The compiled worker; absent when running from TypeScript sources (unit tests). */
const WORKER_FILE = join(__dirname, 'parse-worker.js');

/**
 * How many of `count` recipes to hand to a thread (0: none). NX_CONDA_GRAPH_THREADS=0 turns threads off;
 * `always` uses one for any count on any machine (tests, and measuring it on another machine).
 */
export function threadShare(count: number, cores: number, env: NodeJS.ProcessEnv = process.env): number {
  const mode = env.NX_CONDA_GRAPH_THREADS;
  if (mode === '0') return 0;
  if (mode === 'always') return Math.floor(count / 2);
  if (cores < THREAD_MIN_CORES || count < THREAD_MIN_FILES) return 0;
  return Math.floor(count * THREAD_SHARE);
}

export interface ThreadJob {
  root: string;
  files: string[];
  platform: string;
  now: number;
}

function isLoadedList(value: unknown, length: number): value is Loaded[] {
  return (
    Array.isArray(value) &&
    value.length === length &&
    value.every((l) => l !== null && typeof l === 'object' && typeof (l as Loaded).outcome === 'object')
  );
}

function runThread(job: ThreadJob): { result: Promise<Loaded[] | undefined>; stop: () => void } {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_FILE, { workerData: job });
  } catch {
    return { result: Promise.resolve(undefined), stop: () => undefined };
  }
  let timer: NodeJS.Timeout | undefined;
  const result = new Promise<Loaded[] | undefined>((resolve) => {
    worker.once('message', (m: unknown) => resolve(isLoadedList(m, job.files.length) ? m : undefined));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
    timer = setTimeout(() => resolve(undefined), THREAD_TIMEOUT_MS);
    timer.unref();
  });
  return {
    result,
    stop: () => {
      if (timer) clearTimeout(timer);
      void worker.terminate();
    },
  };
}

/**
 * Loads `files` (recipes with no cache entry), a share of them in a worker
 * thread, the rest with `local` while the thread works.
 */
export async function loadInThreads(
  root: string,
  files: readonly string[],
  platform: string,
  now: number,
  local: (file: string) => Loaded,
  cores = availableParallelism(),
): Promise<{ loaded: Map<string, Loaded>; inThread: number }> {
  const out = new Map<string, Loaded>();
  const share = existsSync(WORKER_FILE) ? threadShare(files.length, cores) : 0;
  const remote = files.slice(files.length - share);
  const thread = share ? runThread({ root, files: [...remote], platform, now }) : undefined;
  for (const file of files.slice(0, files.length - share)) out.set(file, local(file));
  let inThread = 0;
  if (thread) {
    const loaded = await thread.result;
    thread.stop();
    if (loaded) inThread = loaded.length;
    remote.forEach((file, i) => out.set(file, loaded ? loaded[i] : local(file)));
  }
  return { loaded: out, inThread };
}
