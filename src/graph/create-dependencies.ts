import type { CreateDependencies, RawProjectGraphDependency } from '@nx/devkit';
import { graphStats, warn } from './devkit';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RECIPE_FILE_NAMES } from '../core/formats';
import { findCycles } from './cycles';
import { normalizeOptions, type NormalizedOptions, type NxCondaPluginOptions } from './options';
import { lastWorkspaceRecipes, readWorkspaceRecipes, type WorkspaceRecipes } from './recipes-state';
import { platformEdges } from './platform-edges';

/** Recipes again, from the project roots, when createNodes did not run in this process. */
function recipesFromProjects(
  workspaceRoot: string,
  roots: Iterable<string>,
  opts: NormalizedOptions,
): WorkspaceRecipes {
  const files: string[] = [];
  for (const root of roots) {
    for (const f of RECIPE_FILE_NAMES) {
      const rel = root === '.' || root === '' ? f : `${root}/${f}`;
      if (existsSync(join(workspaceRoot, rel))) files.push(rel);
    }
  }
  // createNodes ran elsewhere and reported the broken recipes there.
  return readWorkspaceRecipes(workspaceRoot, files, opts, false);
}

export interface RecipeEdge {
  source: string;
  target: string;
  sourceFile: string;
}

/**
 * Edges from each recipe to every recipe providing one of its build, host or
 * run requirements (top level and every output), by package name (a
 * recipe's top-level name or any output name). No self-edges.
 *
 * When several recipes provide the same package (old versions kept beside
 * the current one, the same package in two channels' trees), the edge goes
 * to each of them: the solver may pick any of their packages (a pin like
 * `foo 1.2.*` may need the old one), so each must be built first, be in the
 * staging channel, and make its dependents affected.
 * `projectNameOf` maps a recipe folder to its project name in the graph.
 */
export function recipeEdges(
  state: WorkspaceRecipes,
  projectNameOf: (root: string) => string | undefined,
): RecipeEdge[] {
  // Each provider as its root and project name, resolved once.
  const providers = new Map<string, Array<{ root: string; name: string }>>();
  const sources: Array<{ root: string; name: string; file: string; requirements: string[][] }> = [];
  for (const e of state.byRoot.values()) {
    if (!e.outcome.ok) continue;
    const name = projectNameOf(e.root);
    if (!name) continue;
    const { build, host, run } = e.outcome.info.requirements;
    sources.push({ root: e.root, name, file: e.file, requirements: [build, host, run] });
    for (const n of e.outcome.info.names) {
      const list = providers.get(n);
      if (list) list.push({ root: e.root, name });
      else providers.set(n, [{ root: e.root, name }]);
    }
  }
  const edges: RecipeEdge[] = [];
  for (const s of sources.sort((a, b) => (a.root < b.root ? -1 : 1))) {
    const targets = new Set<string>();
    for (const list of s.requirements) {
      for (const req of list) {
        const provided = providers.get(req);
        if (!provided) continue;
        for (const p of provided) if (p.root !== s.root) targets.add(p.name);
      }
    }
    if (targets.size === 0) continue;
    for (const target of [...targets].sort()) edges.push({ source: s.name, target, sourceFile: s.file });
  }
  return edges;
}

export const createDependencies: CreateDependencies<NxCondaPluginOptions> = (rawOptions, context) => {
  try {
    const started = performance.now();
    const opts = normalizeOptions(rawOptions);
    const nameByRoot = new Map<string, string>();
    for (const [name, p] of Object.entries(context.projects)) nameByRoot.set(p.root || '.', p.name ?? name);
    const state =
      lastWorkspaceRecipes(context.workspaceRoot, opts) ??
      recipesFromProjects(context.workspaceRoot, nameByRoot.keys(), opts);
    const edges = recipeEdges(state, (root) => nameByRoot.get(root));
    // Edges that exist on another platform only (see platform-edges.ts), so that `nx affected` sees them.
    for (const e of platformEdges(state, opts)?.extraEdges((root) => nameByRoot.get(root)) ?? [])
      edges.push({ source: e.source, target: e.target, sourceFile: state.byRoot.get(e.root)!.file });

    const adj = new Map<string, Set<string>>();
    for (const e of edges) {
      const s = adj.get(e.source);
      if (s) s.add(e.target);
      else adj.set(e.source, new Set([e.target]));
    }
    const cycles = findCycles(adj.keys(), adj);
    // Reported on every graph computation (see readWorkspaceRecipes).
    for (const c of cycles) {
      warn(
        `nx-conda: dependency cycle between recipes ${c.join(', ')}: their builds cannot be ordered ` +
          `(break it in the recipes, or run with --nxIgnoreCycles)`,
      );
    }

    const result = edges.map((e): RawProjectGraphDependency => ({
      source: e.source,
      target: e.target,
      sourceFile: e.sourceFile,
      type: 'static' as RawProjectGraphDependency['type'],
    }));
    graphStats(
      `nx-conda: createDependencies in the worker: ${(performance.now() - started).toFixed(0)} ms, ${result.length} edge(s)`,
    );
    return result;
  } catch (e) {
    warn(`nx-conda: could not infer recipe dependencies: ${e instanceof Error ? e.message : String(e)}`);
    return [];
  }
};
