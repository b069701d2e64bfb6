import { UserError } from './errors';

/** A folder's filesystem is full: the message names the folder and says what to do. */
export class DiskFullError extends UserError {}

/** ENOSPC (no space left) or EDQUOT (over quota): the folder cannot take more bytes. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The error of a full `folder` while `doing`, with what is guaranteed and what to do. */
export function diskFull(folder: string, doing: string, option: string, cause?: unknown): DiskFullError {
  const error = new DiskFullError(
    `${folder} is full (no space left on device) while ${doing}. Nothing was half-written there: ` +
      `free space on that disk, or move it elsewhere with ${option}, and run the target again.`,
  );
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** Runs `fn`; a disk-full error out of it becomes one DiskFullError naming `folder`. */
export function namingFullDisk<T>(folder: string, doing: string, option: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isDiskFull(e)) throw diskFull(folder, doing, option, e);
    throw e;
  }
}

/** A builder's line that says it ran out of space (its own words: Linux, Python, Rust). */
export function saysDiskFull(lines: string[]): string | undefined {
  return lines.find((l) => /No space left on device|ENOSPC|Disk quota exceeded/i.test(l));
}
