/**
 * The one place that loads execa. execa 9 is ESM-only and our output is
 * CommonJS: with `module: node16`, TypeScript keeps this `import()` as a real
 * dynamic import, so Node loads the ESM module at run time. It is loaded
 * lazily, on the first spawn, so modules that merely import this file (and
 * their unit tests) never touch it.
 */
import type { EngineName } from '../core/defaults';
import { engineEnvironment } from './engine-env';

type Execa = typeof import('execa', { with: { 'resolution-mode': 'import' } });

let loading: Promise<Execa> | undefined;

function loadExeca(): Promise<Execa> {
  loading ??= import('execa');
  return loading;
}

export interface SpawnResult {
  /** undefined when the process did not exit by itself (killed, not started) */
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The binary is not on PATH. */
  notFound: boolean;
  /** Why the process could not run, when it could not. */
  spawnError?: string;
}

function spawnErrorOf(result: { cause?: unknown; exitCode?: number; signal?: string }): {
  notFound: boolean;
  spawnError?: string;
} {
  const cause = result.cause as NodeJS.ErrnoException | undefined;
  if (cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string') {
    return { notFound: cause.code === 'ENOENT', spawnError: cause.message };
  }
  return { notFound: false };
}

export interface CaptureOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** What runs the engine binary: `capture` and `stream` hand every call to it when one is set. */
export interface EngineRunner {
  capture(engine: EngineName, args: string[], opts: CaptureOptions): Promise<SpawnResult>;
  stream(engine: EngineName, args: string[], opts: StreamOptions): Promise<StreamingProcess>;
}

/**
 * The test-only seam: unit specs of the executors run them against a
 * recorded engine (a fake that keeps each command line and answers from a
 * script) through withEngineForTests. Production code never sets it, so
 * `capture` and `stream` always spawn the real binary with execa there.
 */
let engineForTests: EngineRunner | undefined;

/** Runs `work` with every engine call going to `runner` instead of the real binary (unit tests only). */
export async function withEngineForTests<T>(runner: EngineRunner, work: () => Promise<T>): Promise<T> {
  const before = engineForTests;
  engineForTests = runner;
  try {
    return await work();
  } finally {
    engineForTests = before;
  }
}

/** Runs `<engine> args` to completion and captures its output. */
export async function capture(engine: EngineName, args: string[], opts: CaptureOptions = {}): Promise<SpawnResult> {
  if (engineForTests) return engineForTests.capture(engine, args, opts);
  const { execa } = await loadExeca();
  const result = await execa(engine, args, {
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs,
    env: engineEnvironment(process.env, opts.env),
    extendEnv: false,
    stripFinalNewline: true,
  });
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    timedOut: result.timedOut,
    ...spawnErrorOf(result),
  };
}

export interface StreamingProcess {
  /** Resolves when the process ends (never rejects). */
  done: Promise<SpawnResult>;
  /** Sends `signal` (default SIGTERM); SIGKILL follows if the process is still alive 5 s later. */
  kill(signal?: NodeJS.Signals): void;
}

export interface StreamOptions {
  env?: Record<string, string>;
  onStdout: (chunk: Buffer) => void;
  onStderr: (chunk: Buffer) => void;
  /**
   * 'pipe': the child's stdin is a pipe that we never write to nor close,
   * so it reaches end-of-file exactly when this process is gone.
   */
  stdin?: 'ignore' | 'pipe';
}

/** Starts `<engine> args` and hands each output chunk to the callbacks as it comes. */
export async function stream(engine: EngineName, args: string[], opts: StreamOptions): Promise<StreamingProcess> {
  if (engineForTests) return engineForTests.stream(engine, args, opts);
  const { execa } = await loadExeca();
  const subprocess = execa(engine, args, {
    reject: false,
    stdin: opts.stdin ?? 'ignore',
    buffer: false,
    env: engineEnvironment(process.env, opts.env),
    extendEnv: false,
    forceKillAfterDelay: 5000,
  });
  subprocess.stdout?.on('data', opts.onStdout);
  subprocess.stderr?.on('data', opts.onStderr);
  const done = subprocess.then((result) => ({
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: '',
    stderr: '',
    timedOut: result.timedOut,
    ...spawnErrorOf(result),
  }));
  return {
    done,
    kill: (signal) => {
      subprocess.kill(signal);
    },
  };
}
