import { logger } from '../core/logger';
import { maskCredentials } from '../container';
import { UserError } from '../core/errors';

/**
 * The one error path of nx-conda's executors: `body` does the work and
 * throws to fail. A UserError (bad option, engine down, failed build) is
 * printed as its message, prefixed `nx-conda:`; anything else is a bug and is
 * printed with its stack. Both with credentials in URLs masked.
 */
export async function runExecutor(body: () => Promise<void>): Promise<{ success: boolean }> {
  try {
    await body();
    return { success: true };
  } catch (error) {
    logger.error(failureMessage(error));
    return { success: false };
  }
}

export function failureMessage(error: unknown): string {
  if (error instanceof UserError) return `nx-conda: ${maskCredentials(error.message)}`;
  return maskCredentials(error instanceof Error ? (error.stack ?? error.message) : String(error));
}
