/**
 * What the executors' unit specs share: a temp workspace, an executor
 * context, and the lines the executor printed. Not a spec itself (jest runs
 * `*.spec.ts`) and not shipped (the build leaves out `*.test.ts`).
 */
import { logger } from '@nx/devkit';
import type { ExecutorContext, ProjectGraph } from '@nx/devkit';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
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
