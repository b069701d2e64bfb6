export { createNodes, RECIPE_GLOB } from './create-nodes';
export { createDependencies, recipeEdges } from './create-dependencies';
export { normalizeOptions, type NxCondaPluginOptions, type NormalizedOptions } from './options';
export { assignProjectNames } from './naming';
