/**
 * Names of the workspace's projects that are not recipes, so that a recipe
 * never takes one (Nx refuses the whole graph when two project roots share a
 * name). createNodes sees no other plugin's projects, so its glob also takes
 * `project.json` and `package.json` files: their `name` is what Nx names a
 * project there. Files in a recipe folder are that recipe's own project's
 * (Nx merges them into it by root), not another project.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The files whose `name` names a project other plugins (or Nx itself) make. */
export const PROJECT_FILE_NAMES = ['project.json', 'package.json'] as const;

export function isProjectFile(file: string): boolean {
  return (PROJECT_FILE_NAMES as readonly string[]).includes(basename(file));
}

function folderOf(file: string): string {
  const d = dirname(file.replace(/\\/g, '/'));
  return d === '' ? '.' : d;
}

/**
 * Project names (lower-cased: package names are) of the project files outside
 * recipe folders, with the file that names each. A file that cannot be read
 * or has no usable name is skipped (Nx reports it itself). Scoped npm names
 * (`@scope/x`) are skipped: a conda package name cannot be one.
 */
export function otherProjectNames(
  workspaceRoot: string,
  projectFiles: readonly string[],
  recipeRoots: ReadonlySet<string>,
): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of [...projectFiles].sort()) {
    if (recipeRoots.has(folderOf(file))) continue;
    let name: unknown;
    try {
      name = (JSON.parse(readFileSync(join(workspaceRoot, file), 'utf8')) as { name?: unknown }).name;
    } catch {
      continue;
    }
    if (typeof name !== 'string' || name.length === 0 || name.includes('/')) continue;
    const key = name.toLowerCase();
    if (!names.has(key)) names.set(key, file);
  }
  return names;
}
