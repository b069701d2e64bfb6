/** Option checks shared by the plan and shard executors. */
import { relative, resolve } from 'node:path';
import { OptionError } from '../core/errors';

/** A whole number from 1 to `max`, or an OptionError naming the option. */
export function checkedCount(value: unknown, option: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw new OptionError(option, `${option} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}.`);
  return value;
}

/** A workspace-relative file an option names, checked to be inside the workspace. */
export function workspaceFile(root: string, path: string, option: string): string {
  const file = resolve(root, path);
  const rel = relative(root, file);
  if (!rel || rel.startsWith('..'))
    throw new OptionError(option, `${option} must be a file inside the workspace, got "${path}".`);
  return file;
}
