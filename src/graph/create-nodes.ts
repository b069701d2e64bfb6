import type { CreateNodes, CreateNodesResultArray } from '@nx/devkit';
import { graphStats, warn } from './devkit';
import { normalizeOptions, type NxCondaPluginOptions } from './options';
import { readWorkspaceRecipesInParallel, type WorkspaceRecipes } from './recipes-state';
import { recipeProject, workspaceShape } from './targets';
import { nxHashesPluginVersion } from './version-hash';
import { platformEdges } from './platform-edges';

/** Every meta.yaml (conda-build) and recipe.yaml (rattler-build). */
export const RECIPE_GLOB = '**/{meta,recipe}.yaml';

/**
 * What createNodes is given: the recipes, and the project.json and
 * package.json files whose names recipes must not take (other-projects.ts).
 */
export const NODES_GLOB = '**/{meta.yaml,recipe.yaml,project.json,package.json}';

/**
 * One project per recipe folder, named after its package (see naming.ts).
 * Names need every recipe at once, so the batch is read first (through the
 * parse caches); broken recipes are warned about and skipped, never thrown.
 */
export const createNodes: CreateNodes<NxCondaPluginOptions> = [
  NODES_GLOB,
  async (files, rawOptions, context) => {
    const started = performance.now();
    const opts = normalizeOptions(rawOptions);
    let state: WorkspaceRecipes;
    try {
      state = await readWorkspaceRecipesInParallel(context.workspaceRoot, files, opts);
    } catch (e) {
      warn(`nx-conda: could not infer recipe projects: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
    const read = performance.now();
    const workspace = workspaceShape(
      context.nxJsonConfiguration?.namedInputs,
      nxHashesPluginVersion(context.workspaceRoot, context.nxJsonConfiguration),
    );
    const platforms = platformEdges(state, opts);
    // Per file, like createNodesFromFiles, but nothing here can fail on a user
    // file: unreadable recipes were reported and skipped above.
    const results: CreateNodesResultArray = [];
    for (const e of [...state.byRoot.values()].sort((a, b) => (a.file < b.file ? -1 : 1))) {
      if (!e.outcome.ok || !e.projectName) continue;
      try {
        results.push([
          e.file,
          {
            projects: {
              [e.root]: recipeProject(
                e.root,
                e.file,
                e.projectName,
                e.outcome.info,
                opts,
                workspace,
                platforms?.planOf(e.root),
              ),
            },
          },
        ]);
      } catch (err) {
        warn(`nx-conda: skipping recipe ${e.file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    graphStats(
      `nx-conda: createNodes in the worker: ${(read - started).toFixed(0)} ms reading, ` +
        `${(performance.now() - read).toFixed(0)} ms making ${results.length} project(s)`,
    );
    return results;
  },
];
