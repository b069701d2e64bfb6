/**
 * What the lint check additional_platform_requirement needs of the rest of
 * the tree: for each other platform this project is built for (a
 * recipe-build target with that `platform`), the requirements there that a
 * recipe it depends on does not build there (neither noarch nor listing it).
 */
import type { ProjectGraph } from '@nx/devkit';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXECUTORS } from '../../core/defaults';
import { RECIPE_FILE_NAMES } from '../../core/formats';
import type { PlatformGap } from '../../lint/model';
import { MAX_RECIPE_BYTES, readRecipe, type RecipeInfo } from '../../recipes';

function has<T>(o: Record<string, T>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** The platforms the project's recipe-build targets name (besides `primary`). */
function platformsOf(graph: ProjectGraph, project: string, primary: string): string[] {
  if (!has(graph.nodes, project)) return [];
  const out = new Set<string>();
  for (const t of Object.values(graph.nodes[project].data.targets ?? {})) {
    const p = (t.options as { platform?: unknown } | undefined)?.platform;
    if (t.executor === EXECUTORS.recipeBuild && typeof p === 'string' && p !== primary) out.add(p);
  }
  return [...out];
}

/** A recipe folder's recipe (recipe.yaml wins, as in the graph), read for `platform`; undefined when unreadable. */
function readFolderRecipe(
  root: string,
  folder: string,
  platform: string,
): { file: string; info: RecipeInfo } | undefined {
  for (const name of [...RECIPE_FILE_NAMES].reverse()) {
    const file = folder === '.' ? name : `${folder}/${name}`;
    try {
      const st = lstatSync(join(root, file));
      if (!st.isFile() || st.size > MAX_RECIPE_BYTES) continue;
      return { file, info: readRecipe(file, readFileSync(join(root, file), 'utf8'), platform) };
    } catch {
      continue;
    }
  }
  return undefined;
}

export function platformGaps(
  root: string,
  graph: ProjectGraph | undefined,
  project: string,
  recipeFile: string,
  contents: string,
  primary: string,
): PlatformGap[] {
  if (!graph) return [];
  const platforms = platformsOf(graph, project, primary);
  if (!platforms.length) return [];
  const deps = (has(graph.dependencies, project) ? graph.dependencies[project] : []) ?? [];
  const providers = new Map<string, { file: string; info: RecipeInfo } | undefined>();
  const gaps: PlatformGap[] = [];
  for (const platform of platforms) {
    let own: RecipeInfo;
    try {
      own = readRecipe(recipeFile, contents, platform);
    } catch {
      continue; // the graph reports a recipe unreadable there
    }
    const wanted = new Set([...own.requirements.build, ...own.requirements.host, ...own.requirements.run]);
    for (const { target } of deps) {
      if (!has(graph.nodes, target) || platformsOf(graph, target, primary).includes(platform)) continue;
      if (!providers.has(target)) providers.set(target, readFolderRecipe(root, graph.nodes[target].data.root, primary));
      const provider = providers.get(target);
      if (!provider || provider.info.noarch) continue;
      for (const name of provider.info.names)
        if (wanted.has(name)) gaps.push({ platform, name, provider: provider.file });
    }
  }
  return gaps;
}
