/**
 * What the executors' unit specs share: a temp workspace, an executor
 * context, and the lines the executor printed. Not a spec itself (jest runs
 * `*.spec.ts`) and not shipped (the build leaves out `*.test.ts`).
 */
import { logger } from '@nx/devkit';
import type { ExecutorContext, ProjectGraph } from '@nx/devkit';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder in the system's temp folder (its real path), removed by the returned function. */
export function tempWorkspace(prefix: string): { root: string; remove: () => void } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), `nx-conda-${prefix}-`)));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function executorContext(
  root: string,
  projectName: string,
  graph: ProjectGraph = { nodes: {}, dependencies: {} },
  targetName = 'build',
): ExecutorContext {
  return {
    root,
    cwd: root,
    projectName,
    targetName,
    isVerbose: false,
    projectGraph: graph,
    projectsConfigurations: {
      version: 2,
      projects: Object.fromEntries(Object.entries(graph.nodes).map(([name, node]) => [name, node.data])),
    },
    nxJsonConfiguration: {},
  } as ExecutorContext;
}

/**
 * Keeps what the executor prints (logger lines and streamed container
 * output) instead of printing it; `restore` ends that.
 */
export function captureOutput(): {
  info: string[];
  warn: string[];
  error: string[];
  streamed: string[];
  restore: () => void;
} {
  const kept = { info: [] as string[], warn: [] as string[], error: [] as string[], streamed: [] as string[] };
  const spies = [
    jest.spyOn(logger, 'info').mockImplementation((m: unknown) => void kept.info.push(String(m))),
    jest.spyOn(logger, 'warn').mockImplementation((m: unknown) => void kept.warn.push(String(m))),
    jest.spyOn(logger, 'error').mockImplementation((m: unknown) => void kept.error.push(String(m))),
    jest.spyOn(process.stdout, 'write').mockImplementation((s: unknown) => (kept.streamed.push(String(s)), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation((s: unknown) => (kept.streamed.push(String(s)), true)),
  ];
  return { ...kept, restore: () => spies.forEach((s) => s.mockRestore()) };
}

/** A project's output folder as recipe-build leaves it: one package in linux-64, with its record. */
export function builtOutput(root: string, project: string, record: object = {}): void {
  const subdir = join(root, 'dist', 'conda', 'recipes', project, 'linux-64');
  mkdirSync(subdir, { recursive: true });
  mkdirSync(join(root, 'dist', 'conda', 'recipes', project, 'noarch'), { recursive: true });
  writeFileSync(join(root, 'dist', 'conda', 'recipes', project, 'noarch', 'repodata.json'), '{"packages":{}}');
  writeFileSync(join(subdir, `${project}-1.0-0.tar.bz2`), `package ${project}`);
  writeFileSync(
    join(subdir, 'repodata.json'),
    JSON.stringify({
      info: { subdir: 'linux-64' },
      packages: { [`${project}-1.0-0.tar.bz2`]: { name: project, version: '1.0', build: '0', ...record } },
    }),
  );
}

export function recipeGraph(projects: string[]): ProjectGraph {
  const graph: ProjectGraph = { nodes: {}, dependencies: {} };
  for (const name of projects) {
    graph.nodes[name] = {
      name,
      type: 'lib',
      data: {
        root: `recipes/${name}`,
        targets: { 'build-recipe': { executor: 'nx-conda:recipe-build', options: {} } },
      },
    };
    graph.dependencies[name] = [];
  }
  return graph;
}
