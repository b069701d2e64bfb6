/**
 * Nx's logger, as `@nx/devkit` exports it, without loading all of
 * `@nx/devkit`: an executor runs in a process Nx forks for each task, where
 * importing `@nx/devkit` costs about 0.13 s (measured; issue 13), a tenth of
 * a trivial build. `nx/src/utils/logger` is the module devkit re-exports
 * (`nx/src/...` is in nx's exports map); `@nx/devkit` stays the fallback.
 */
import type { logger as DevkitLogger } from '@nx/devkit';

function load(): typeof DevkitLogger {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nxLogger = require('nx/src/utils/logger').logger as typeof DevkitLogger | undefined;
    if (nxLogger && typeof nxLogger.info === 'function' && typeof nxLogger.warn === 'function') return nxLogger;
  } catch {
    // an nx without that module: the public path below
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@nx/devkit') as typeof import('@nx/devkit')).logger;
}

export const logger: typeof DevkitLogger = load();
