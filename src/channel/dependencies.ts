import type { ProjectGraph } from '@nx/devkit';
import { DEFAULT_OUTPUT_ROOT, EXECUTORS } from '../core/defaults';
import { join as joinPosix } from 'node:path/posix';

export interface DependencyOutput {
  project: string;
  /** Workspace-relative output folder of the dependency's recipe-build target. */
  outputPath: string;
}

/** Where a project's recipe-build target puts its packages, workspace-relative. */
export function outputPathOf(projectRoot: string, configured?: string): string {
  return configured || joinPosix(DEFAULT_OUTPUT_ROOT, projectRoot);
}

/**
 * The output folders of every project `projectName` depends on, directly or
 * transitively, that builds a recipe. Dependencies without a recipe-build
 * target are walked through (a recipe can depend on a recipe through them)
 * but contribute no folder.
 */
export function dependencyOutputs(graph: ProjectGraph, projectName: string): DependencyOutput[] {
  const seen = new Set<string>([projectName]);
  const queue = [projectName];
  const result: DependencyOutput[] = [];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    // Project names come from recipes: own entries only (a project `constructor` is not Object's).
    const deps = Object.prototype.hasOwnProperty.call(graph.dependencies, current) ? graph.dependencies[current] : [];
    for (const dep of deps ?? []) {
      if (seen.has(dep.target) || !Object.prototype.hasOwnProperty.call(graph.nodes, dep.target)) continue;
      seen.add(dep.target);
      queue.push(dep.target);
      const node = graph.nodes[dep.target];
      // A project built for several platforms has a target per platform, usually sharing one output folder.
      const paths = new Set<string>();
      for (const target of Object.values(node.data.targets ?? {})) {
        if (target.executor !== EXECUTORS.recipeBuild) continue;
        paths.add(outputPathOf(node.data.root, target.options?.outputPath));
      }
      for (const outputPath of paths) result.push({ project: dep.target, outputPath });
    }
  }
  return result;
}
