/**
 * The plugin registration (nx.json `plugins`) that infers a given project,
 * for executors that take workspace-wide settings from it instead of from
 * options copied into each of 10,000 projects. The last registration whose
 * include/exclude (Nx's, on the entry, and the plugin's own) select the
 * recipe wins, as Nx merges later plugins' projects over earlier ones.
 */
import type { NxJsonConfiguration } from '@nx/devkit';
import { PLUGIN_NAME } from '../core/defaults';
import { recipeFilter } from './glob';
import { normalizeOptions, type NormalizedOptions, type NxCondaPluginOptions } from './options';

interface Entry {
  plugin?: unknown;
  options?: unknown;
  include?: unknown;
  exclude?: unknown;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function registrationFor(
  nxJson: NxJsonConfiguration | undefined,
  projectRoot: string,
  recipeFile: string,
): NormalizedOptions | undefined {
  let found: NormalizedOptions | undefined;
  for (const raw of nxJson?.plugins ?? []) {
    const entry: Entry = typeof raw === 'string' ? { plugin: raw } : ((raw ?? {}) as Entry);
    if (entry.plugin !== PLUGIN_NAME) continue;
    const opts = normalizeOptions(
      entry.options && typeof entry.options === 'object' ? (entry.options as NxCondaPluginOptions) : {},
    );
    const selected =
      recipeFilter(strings(entry.include), strings(entry.exclude))(projectRoot, recipeFile) &&
      recipeFilter(opts.include, opts.exclude)(projectRoot, recipeFile);
    if (selected) found = opts;
  }
  return found;
}
