/**
 * Nx's logger, as `@nx/devkit` exports it, without loading all of
 * `@nx/devkit`: an executor runs in a process Nx forks for each task, where
 * importing `@nx/devkit` costs about 0.13 s (measured; issue 13), a tenth of
 * a trivial build. `nx/src/utils/logger` is the module devkit re-exports
 * (`nx/src/...` is in nx's exports map); `@nx/devkit` stays the fallback.
 *
 * In a batch (many tasks in one process, at once) each task runs inside
 * `captureTaskOutput`: what it logs or streams is printed live with the
 * project's prefix and kept as that task's terminal output for Nx's cache.
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

/** One task's output in a batch: the live prefix and what it printed (without the prefix). */
interface TaskScope {
  prefix: string;
  chunks: string[];
  logger: Logger;
}

const scopes = new AsyncLocalStorage<TaskScope>();

function scopedLogger(scope: Omit<TaskScope, 'logger'>): Logger {
  const write =
    (stream: 'stdout' | 'stderr') =>
    (...values: unknown[]) => {
      const text = `${format(...values)}\n`;
      scope.chunks.push(text);
      const lines = text.slice(0, -1).split('\n');
      process[stream].write(lines.map((line) => `${scope.prefix}${line}\n`).join(''));
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

/**
 * Runs `work` as one task of a batch: its log lines are printed prefixed
 * with `prefix` and, with whatever it streams through `writeOutput`, kept
 * as its terminal output.
 */
export async function captureTaskOutput<T>(
  prefix: string,
  work: () => Promise<T>,
): Promise<{ value: T; output: string }> {
  const partial = { prefix, chunks: [] as string[] };
  const scope: TaskScope = { ...partial, logger: scopedLogger(partial) };
  const value = await scopes.run(scope, work);
  return { value, output: partial.chunks.join('') };
}

/** Writes already prefixed output (a container's lines) to stdout or stderr, and to the current task's terminal output. */
export function writeOutput(stream: 'stdout' | 'stderr', text: string): void {
  const scope = scopes.getStore();
  scope?.chunks.push(text);
  process[stream].write(text);
}

const METHODS = ['info', 'warn', 'error', 'log', 'debug', 'fatal', 'verbose'] as const;

export const logger: Logger = Object.fromEntries(
  METHODS.map((method) => [
    method,
    (...args: unknown[]) => ((scopes.getStore()?.logger ?? base)[method] as (...a: unknown[]) => void)(...args),
  ]),
) as unknown as Logger;
