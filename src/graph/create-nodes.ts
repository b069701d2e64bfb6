import { createNodesFromFiles, logger, type CreateNodes, type CreateNodesResult } from '@nx/devkit';
import { normalizeOptions, type NxCondaPluginOptions } from './options';
import { readWorkspaceRecipes } from './recipes-state';
import { recipeProject } from './targets';

/** Every meta.yaml (conda-build) and recipe.yaml (rattler-build). */
export const RECIPE_GLOB = '**/{meta,recipe}.yaml';

/**
 * One project per recipe folder, named after its package (see naming.ts).
 * Names need every recipe at once, so the batch is read first (through the
 * parse caches); broken recipes are warned about and skipped, never thrown.
 */
export const createNodes: CreateNodes<NxCondaPluginOptions> = [
  RECIPE_GLOB,
  async (files, rawOptions, context) => {
    const opts = normalizeOptions(rawOptions);
    let state: ReturnType<typeof readWorkspaceRecipes>;
    try {
      state = readWorkspaceRecipes(context.workspaceRoot, files, opts);
    } catch (e) {
      logger.warn(`nx-conda: could not infer recipe projects: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
    const byFile = new Map([...state.byRoot.values()].map((e) => [e.file, e] as const));
    const recipeFiles = files.filter((f) => byFile.get(f)?.outcome.ok);
    return createNodesFromFiles(
      (file): CreateNodesResult => {
        const e = byFile.get(file);
        if (!e || !e.outcome.ok || !e.projectName) return {};
        return { projects: { [e.root]: recipeProject(e.root, e.file, e.projectName, e.outcome.info, opts) } };
      },
      recipeFiles,
      rawOptions ?? {},
      context,
    );
  },
];
