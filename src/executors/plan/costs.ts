/**
 * What each task of a plan costs: 0 for a task that will not build (every
 * package its recipe makes is already in an upstream channel, with
 * skipExisting), 1 otherwise. Only what every agent would see alike at plan
 * time is used: the commit's recipes and the upstream channels' indexes,
 * read once by the plan job. Costs only balance the shards: a wrong guess
 * makes a shard longer, never a plan wrong.
 *
 * The build target's options are read as Nx resolved them (the project's
 * configuration), and, where they do not say, from the plugin's options in
 * nx.json.
 */
import type { ExecutorContext } from '@nx/devkit';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { lookupExisting, normalizeChannels, type LookupOptions } from '../../channel';
import { DEFAULT_PLATFORM, PLUGIN_NAME, STAGING_FOLDER } from '../../core/defaults';
import { FORMATS, RECIPE_FORMATS, formatOfBuilder, isBuilder } from '../../core/formats';
import { PLUGIN_VERSION } from '../../core/version';
import { MAX_RECIPE_BYTES, readRecipePackages } from '../../recipes';

export interface SkipSettings {
  skipExisting: boolean;
  channels: string[];
  platform: string;
  recipeFile?: string;
}

type Options = Record<string, unknown>;

/** The nx-conda entry's options in nx.json (an empty object when it has none). */
function pluginOptions(context: ExecutorContext): Options {
  for (const entry of context.nxJsonConfiguration?.plugins ?? []) {
    if (typeof entry === 'string') continue;
    if (entry.plugin === PLUGIN_NAME && entry.options && typeof entry.options === 'object')
      return entry.options as Options;
  }
  return {};
}

/** How a project's build would decide skipExisting: its target's options, else the plugin's. */
export function skipSettings(context: ExecutorContext, project: string, target: string): SkipSettings {
  const config = context.projectsConfigurations.projects[project];
  const options: Options = { ...pluginOptions(context), ...((config?.targets?.[target]?.options ?? {}) as Options) };
  const platform = typeof options.platform === 'string' && options.platform ? options.platform : DEFAULT_PLATFORM;
  let channels: string[] = [];
  try {
    channels = normalizeChannels(options.channels);
  } catch {
    // A bad channels option fails the build itself, with its own message; here it only means "no skip".
  }
  const recipeDir = resolve(
    context.root,
    typeof options.recipeDir === 'string' && options.recipeDir ? options.recipeDir : (config?.root ?? '.'),
  );
  const formats = isBuilder(options.builder) ? [formatOfBuilder(options.builder)] : FORMATS;
  const found = formats.map((f) => join(recipeDir, RECIPE_FORMATS[f].file)).find((file) => existsSync(file));
  return {
    skipExisting: options.skipExisting === true && channels.length > 0,
    channels,
    platform,
    recipeFile: found,
  };
}

export interface CostReport {
  cost: Map<string, number>;
  /** Tasks found already published (cost 0). */
  published: number;
  /** Why some tasks could not be looked up (counted as builds). */
  notes: string[];
}

/** The cost of each project's build: 0 when skipExisting finds all its packages upstream, else 1. */
export async function taskCosts(context: ExecutorContext, projects: string[], target: string): Promise<CostReport> {
  const cost = new Map<string, number>();
  const notes: string[] = [];
  const loaded: LookupOptions['loaded'] = new Map();
  let published = 0;
  for (const project of projects) {
    cost.set(project, 1);
    const settings = skipSettings(context, project, target);
    if (!settings.skipExisting || !settings.recipeFile) continue;
    const shown = relative(context.root, settings.recipeFile);
    try {
      if (statSync(settings.recipeFile).size > MAX_RECIPE_BYTES) continue;
      const packages = readRecipePackages(shown, readFileSync(settings.recipeFile, 'utf8'), settings.platform);
      const lookup = await lookupExisting(packages, settings.channels, settings.platform, {
        cacheRoot: join(context.root, STAGING_FOLDER, 'repodata'),
        userAgent: `nx-conda/${PLUGIN_VERSION}`,
        loaded,
      });
      if (lookup.all) {
        cost.set(project, 0);
        published++;
      }
    } catch (e) {
      if (notes.length < 5) notes.push(`${project}: ${(e as Error).message}`);
    }
  }
  return { cost, published, notes };
}
