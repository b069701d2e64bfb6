/**
 * nx-conda's inference plugin: a project per conda recipe folder (meta.yaml
 * or recipe.yaml), with build-recipe and purge-image targets, and static
 * edges from requirements. The work lives in ./graph.
 */
import { createNodes } from './graph/create-nodes';

export { createNodes };
/** The same tuple, for Nx versions that call createNodesV2. */
export const createNodesV2 = createNodes;
export { createDependencies } from './graph/create-dependencies';
export type { NxCondaPluginOptions } from './graph/options';
