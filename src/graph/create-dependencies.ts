import { DependencyType, logger, type CreateDependencies, type RawProjectGraphDependency } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findCycles } from './cycles';
import { chooseProvider, type ProviderCandidate } from './naming';
import { normalizeOptions, type NormalizedOptions, type NxCondaPluginOptions } from './options';
import { lastWorkspaceRecipes, readWorkspaceRecipes, type WorkspaceRecipes } from './recipes-state';

/** Recipes again, from the project roots, when createNodes did not run in this process. */
function recipesFromProjects(
  workspaceRoot: string,
  roots: Iterable<string>,
  opts: NormalizedOptions,
): WorkspaceRecipes {
  const files: string[] = [];
  for (const root of roots) {
    for (const f of ['recipe.yaml', 'meta.yaml']) {
      const rel = root === '.' || root === '' ? f : `${root}/${f}`;
      if (existsSync(join(workspaceRoot, rel))) files.push(rel);
    }
  }
  return readWorkspaceRecipes(workspaceRoot, files, opts);
}

export interface RecipeEdge {
  source: string;
  target: string;
  sourceFile: string;
}

/**
 * Edges from each recipe to the recipes providing its build, host and run
 * requirements (top level and every output). No self-edges. When several
 * recipes provide a package, the edge goes to one (see chooseProvider).
 * `projectNameOf` maps a recipe folder to its project name in the graph.
 */
export function recipeEdges(state: WorkspaceRecipes, projectNameOf: (root: string) => string | undefined): RecipeEdge[] {
  const providers = new Map<string, ProviderCandidate[]>();
  for (const e of state.byRoot.values()) {
    if (!e.outcome.ok) continue;
    const projectName = projectNameOf(e.root);
    if (!projectName) continue;
    for (const n of e.outcome.info.names) {
      const c = { root: e.root, projectName, packageName: e.outcome.info.packageName };
      const list = providers.get(n);
      if (list) list.push(c);
      else providers.set(n, [c]);
    }
  }
  const chosen = new Map<string, ProviderCandidate>();
  for (const [pkg, list] of providers) chosen.set(pkg, chooseProvider(pkg, list));

  const edges: RecipeEdge[] = [];
  for (const e of [...state.byRoot.values()].sort((a, b) => (a.root < b.root ? -1 : 1))) {
    if (!e.outcome.ok) continue;
    const source = projectNameOf(e.root);
    if (!source) continue;
    const { build, host, run } = e.outcome.info.requirements;
    const targets = new Set<string>();
    for (const req of [...build, ...host, ...run]) {
      const p = chosen.get(req);
      if (p && p.root !== e.root) targets.add(p.projectName);
    }
    for (const target of [...targets].sort()) edges.push({ source, target, sourceFile: e.file });
  }
  return edges;
}

let lastCycleReport = '';

export const createDependencies: CreateDependencies<NxCondaPluginOptions> = (rawOptions, context) => {
  try {
    const opts = normalizeOptions(rawOptions);
    const nameByRoot = new Map<string, string>();
    for (const [name, p] of Object.entries(context.projects)) nameByRoot.set(p.root || '.', p.name ?? name);
    const state =
      lastWorkspaceRecipes(context.workspaceRoot, opts.platform) ??
      recipesFromProjects(context.workspaceRoot, nameByRoot.keys(), opts);
    const edges = recipeEdges(state, (root) => nameByRoot.get(root));

    const adj = new Map<string, Set<string>>();
    for (const e of edges) {
      const s = adj.get(e.source);
      if (s) s.add(e.target);
      else adj.set(e.source, new Set([e.target]));
    }
    const cycles = findCycles(adj.keys(), adj);
    const report = cycles.map((c) => c.join(', ')).join('; ');
    if (cycles.length > 0 && report !== lastCycleReport) {
      for (const c of cycles) {
        logger.warn(
          `nx-conda: dependency cycle between recipes ${c.join(', ')}: their builds cannot be ordered ` +
            `(break it in the recipes, or run with --nxIgnoreCycles)`,
        );
      }
    }
    lastCycleReport = report;

    return edges.map(
      (e): RawProjectGraphDependency => ({
        source: e.source,
        target: e.target,
        sourceFile: e.sourceFile,
        type: DependencyType.static,
      }),
    );
  } catch (e) {
    logger.warn(`nx-conda: could not infer recipe dependencies: ${e instanceof Error ? e.message : String(e)}`);
    return [];
  }
};
