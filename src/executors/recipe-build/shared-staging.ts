/**
 * Where a shared staging channel may be (issue 18, point 3). Every build
 * that uses it mounts it writable and can write anything there, so it must
 * be a folder of its own: compared by real path (links resolved), it may not
 * hold or sit inside nx-conda's own folders (stagingRoot, `tmp/nx-conda`:
 * run records, the workspace secret, the repodata cache), an output folder,
 * a project's folder, or the workspace's own (`.git`, `node_modules`, `.nx`,
 * the workspace itself). Outside the workspace it is allowed, as an absolute
 * path only (sharing one channel between workspaces is what bioconda's
 * `pkg_dir` is for), never holding the home or the temporary folder; a
 * relative path that climbs out of the workspace (`../x`) is refused as a
 * likely mistake.
 */
import type { ExecutorContext } from '@nx/devkit';
import { realpathSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { outputPathOf } from '../../channel/dependencies';
import { EXECUTORS, STAGING_FOLDER } from '../../core/defaults';

/** `path` with every link resolved, also when its last parts do not exist yet. */
export function realPath(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(realPath(parent), basename(absolute));
  }
}

function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The folders a shared staging channel must stay clear of, each with what it is. */
export function protectedFolders(
  root: string,
  stagingRoot: string,
  context: Pick<ExecutorContext, 'projectsConfigurations'>,
): { path: string; what: string }[] {
  const folders = [
    { path: stagingRoot, what: 'stagingRoot, where each build makes its own folders' },
    {
      path: join(root, STAGING_FOLDER),
      what: `${STAGING_FOLDER}, nx-conda's own folder (run records, secret, caches)`,
    },
    { path: join(root, '.git'), what: "the workspace's .git" },
    { path: join(root, 'node_modules'), what: "the workspace's node_modules" },
    { path: join(root, '.nx'), what: "Nx's folder .nx" },
  ];
  for (const [name, project] of Object.entries(context.projectsConfigurations?.projects ?? {})) {
    if (project.root && project.root !== '.')
      folders.push({ path: join(root, project.root), what: `the folder of project ${name}` });
    for (const target of Object.values(project.targets ?? {})) {
      if (target.executor !== EXECUTORS.recipeBuild) continue;
      const out = outputPathOf(project.root, target.options?.outputPath as string | undefined);
      folders.push({ path: resolve(root, out), what: `the output folder of project ${name}` });
    }
  }
  return folders;
}

/** Why `given` (the option as written) cannot be a shared staging channel, or undefined when it can. */
export function sharedStagingProblem(
  root: string,
  given: string,
  folders: { path: string; what: string }[],
): string | undefined {
  const dir = realPath(resolve(root, given));
  const realRoot = realPath(root);
  if (within(realRoot, dir)) return 'it is the workspace or a folder above it';
  if (!within(dir, realRoot)) {
    if (!isAbsolute(given))
      return 'it is outside the workspace through a relative path; write an absolute path to share a folder outside it';
    for (const [path, what] of [
      [homedir(), 'your home folder'],
      [tmpdir(), 'the temporary folder'],
    ])
      if (within(realPath(path), dir)) return `it holds ${what}`;
  }
  for (const { path, what } of folders) {
    const real = realPath(path);
    if (within(dir, real)) return `it is inside ${what} (${relative(realRoot, real) || '.'})`;
    if (within(real, dir)) return `it holds ${what} (${relative(realRoot, real) || '.'})`;
  }
  return undefined;
}
