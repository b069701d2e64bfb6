/**
 * Nx's logger, as `@nx/devkit` exports it, without loading all of
 * `@nx/devkit`: an executor runs in a process Nx forks for each task, where
 * importing `@nx/devkit` costs about 0.13 s (measured; issue 13), a tenth of
 * a trivial build. `nx/src/utils/logger` is the module devkit re-exports
 * (`nx/src/...` is in nx's exports map); `@nx/devkit` stays the fallback.
 *
 * In a batch (many tasks in one process, at once) each task runs inside
 * `captureTaskOutput`: what it logs or streams is kept as that task's
 * terminal output for Nx's cache and printed live with the project's prefix,
 * or, when held, only once the task calls `goLive` (a real build starts) or
 * the batch prints it at the end (see ../executors/batch.ts for when).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import type { logger as DevkitLogger } from '@nx/devkit';

type Logger = typeof DevkitLogger;
type Driver = Pick<Console, 'info' | 'warn' | 'error' | 'log' | 'debug'>;

interface NxLoggerModule {
  logger?: Logger;
  createLogger?: (driver: Driver) => Logger;
}

function nxLoggerModule(): NxLoggerModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('nx/src/utils/logger') as NxLoggerModule;
  } catch {
    return {}; // an nx without that module: the public path below
  }
}

const nxModule = nxLoggerModule();

function load(): Logger {
  const nxLogger = nxModule.logger;
  if (nxLogger && typeof nxLogger.info === 'function' && typeof nxLogger.warn === 'function') return nxLogger;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@nx/devkit') as typeof import('@nx/devkit')).logger;
}

const base: Logger = load();

type Stream = 'stdout' | 'stderr';

/** One task's output in a batch: the live prefix and what it printed (without the prefix). */
interface TaskScope {
  prefix: string;
  chunks: string[];
  /** Live text not printed yet, while the task is held; undefined once it is live. */
  held?: { stream: Stream; text: string }[];
  /** When the task went live (goLive), if it did. */
  liveSince?: number;
  logger: Logger;
}

/** Prints live text of the task now, or keeps it for later while the task is held. */
function emit(scope: Omit<TaskScope, 'logger'>, stream: Stream, text: string): void {
  if (scope.held) scope.held.push({ stream, text });
  else process[stream].write(text);
}

function printHeld(scope: Omit<TaskScope, 'logger'>): void {
  const held = scope.held ?? [];
  scope.held = undefined;
  for (const { stream, text } of held) process[stream].write(text);
}

const scopes = new AsyncLocalStorage<TaskScope>();

function scopedLogger(scope: Omit<TaskScope, 'logger'>): Logger {
  const write =
    (stream: Stream) =>
    (...values: unknown[]) => {
      const text = `${format(...values)}\n`;
      scope.chunks.push(text);
      const lines = text.slice(0, -1).split('\n');
      emit(scope, stream, lines.map((line) => `${scope.prefix}${line}\n`).join(''));
    };
  const driver: Driver = {
    info: write('stdout'),
    log: write('stdout'),
    debug: write('stdout'),
    warn: write('stderr'),
    error: write('stderr'),
  };
  if (nxModule.createLogger) return nxModule.createLogger(driver);
  return { ...base, ...driver, fatal: driver.error, verbose: () => undefined } as Logger;
}

/** What one task of a batch printed, and whether it went live. */
export interface TaskOutput<T> {
  value: T;
  /** Its terminal output (for Nx and its cache). */
  output: string;
  /** When it went live (`goLive`), if it was held and did. */
  liveSince?: number;
  /** Prints what was held back, if anything (a held task that never went live). */
  printHeld: () => void;
}

/**
 * Runs `work` as one task of a batch: its log lines, prefixed with
 * `prefix`, and whatever it streams through `writeOutput` are kept as its
 * terminal output and printed live; with `hold`, printed only from
 * `goLive` on (what came before is printed then), or by `printHeld`.
 */
export async function captureTaskOutput<T>(
  prefix: string,
  work: () => Promise<T>,
  { hold = false }: { hold?: boolean } = {},
): Promise<TaskOutput<T>> {
  const partial: Omit<TaskScope, 'logger'> = { prefix, chunks: [], held: hold ? [] : undefined };
  const scope: TaskScope = Object.assign(partial, { logger: scopedLogger(partial) });
  const value = await scopes.run(scope, work);
  return {
    value,
    output: scope.chunks.join(''),
    liveSince: scope.liveSince,
    printHeld: () => printHeld(scope),
  };
}

/**
 * The current task of a batch starts what users must see progress of (a
 * build): what it held back is printed now, and the rest as it comes.
 * Outside a held task, nothing changes.
 */
export function goLive(): void {
  const scope = scopes.getStore();
  if (!scope?.held) return;
  scope.liveSince = Date.now();
  printHeld(scope);
}

/** Writes already prefixed output (a container's lines) to stdout or stderr, and to the current task's terminal output. */
export function writeOutput(stream: Stream, text: string): void {
  const scope = scopes.getStore();
  if (!scope) {
    process[stream].write(text);
    return;
  }
  scope.chunks.push(text);
  emit(scope, stream, text);
}

const METHODS = ['info', 'warn', 'error', 'log', 'debug', 'fatal', 'verbose'] as const;

export const logger: Logger = Object.fromEntries(
  METHODS.map((method) => [
    method,
    (...args: unknown[]) => ((scopes.getStore()?.logger ?? base)[method] as (...a: unknown[]) => void)(...args),
  ]),
) as unknown as Logger;
