/** Helpers shared by the `init` and `recipe` generators (nx.json access,
 * list options, YAML scalars). Nothing here touches the file system directly:
 * everything goes through the generator's Tree. */
import * as path from 'node:path';
import type { ExpandedPluginConfiguration, NxJsonConfiguration } from '@nx/devkit';

/** The package name users register in nx.json's `plugins`. */
export { PLUGIN_NAME, STAGING_FOLDER as STAGING_ROOT } from '../core/defaults';
import { PLUGIN_NAME } from '../core/defaults';

/** Key of the recipe generator's defaults in nx.json's `generators`. */
export const RECIPE_GENERATOR_KEY = `${PLUGIN_NAME}:recipe`;

import { isRecipeFormat, type RecipeFormat } from '../core/formats';
export type { RecipeFormat };

import type { NxCondaPluginOptions } from '../graph/options';
export type { NxCondaPluginOptions };

/** Index of nx-conda's registration in `nxJson.plugins` (a string entry or an
 * object entry both count), or -1. */
export function findPluginRegistration(nxJson: NxJsonConfiguration): number {
  return (nxJson.plugins ?? []).findIndex((entry) =>
    typeof entry === 'string' ? entry === PLUGIN_NAME : entry?.plugin === PLUGIN_NAME,
  );
}

/** The options of nx-conda's registration ({} for a string entry or none). */
export function readPluginOptions(nxJson: NxJsonConfiguration): NxCondaPluginOptions {
  const index = findPluginRegistration(nxJson);
  if (index < 0) return {};
  const entry = nxJson.plugins![index];
  if (typeof entry === 'string') return {};
  return ((entry as ExpandedPluginConfiguration).options ?? {}) as NxCondaPluginOptions;
}

/** The recipe format set as a generator default in nx.json, in either form
 * Nx accepts: `"nx-conda:recipe": {...}` or `"nx-conda": { "recipe": {...} }`. */
export function readDefaultRecipeFormat(nxJson: NxJsonConfiguration): RecipeFormat | undefined {
  const generators = (nxJson.generators ?? {}) as Record<string, Record<string, unknown>>;
  const flat = generators[RECIPE_GENERATOR_KEY]?.['format'];
  const nested = (generators[PLUGIN_NAME]?.['recipe'] as Record<string, unknown> | undefined)?.['format'];
  const format = flat ?? nested;
  return isRecipeFormat(format) ? format : undefined;
}

/**
 * Splits a comma-separated CLI list (or a list already split by repeated
 * flags), trims each entry and drops empty ones. Commas inside quotes or
 * brackets are kept. With `joinVersionContinuations`, an entry that starts
 * with a version operator (`<`, `>`, `=`, `!`, `~`) is a continuation of the
 * previous match spec (`numpy >=1.20,<2` stays one spec).
 */
export function splitList(value: string | readonly string[] | undefined, joinVersionContinuations = false): string[] {
  if (value === undefined || value === null) return [];
  const parts = Array.isArray(value) ? value.flatMap((v) => splitOnCommas(String(v))) : splitOnCommas(String(value));
  const out: string[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    if (joinVersionContinuations && out.length > 0 && /^[<>=!~]/.test(part)) {
      out[out.length - 1] = `${out[out.length - 1]},${part}`;
    } else {
      out.push(part);
    }
  }
  return out;
}

function splitOnCommas(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  let depth = 0;
  for (const ch of value) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '[' || ch === '(' || ch === '{') {
      depth++;
    } else if ((ch === ']' || ch === ')' || ch === '}') && depth > 0) {
      depth--;
    } else if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts;
}

/**
 * A YAML scalar for `value`: plain when YAML reads it back as the same
 * string, double-quoted (JSON escaping, which is valid YAML) otherwise.
 */
export function yamlScalar(value: string): string {
  const needsQuotes =
    value === '' ||
    value !== value.trim() ||
    /^[-?:,[\]{}#&*!|>'"%@`]/.test(value) ||
    /: |:$| #|[\n\r\t]/.test(value) ||
    /^(true|false|yes|no|on|off|null|~|y|n)$/i.test(value) ||
    /^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$/.test(value) ||
    /^[-+]?\.(inf|nan)$/i.test(value) ||
    /^0[xo][0-9a-f]+$/i.test(value) ||
    // YAML 1.1 readers (PyYAML, used by conda-build) also see sexagesimal
    // numbers and dates.
    /^[-+]?\d[\d_]*(:[0-5]?\d)+(\.\d*)?$/.test(value) ||
    /^\d{4}-\d\d?-\d\d?/.test(value);
  return needsQuotes ? JSON.stringify(value) : value;
}

/** A workspace-relative folder: no absolute path, no `..`, no `./` or trailing `/`. */
export function normalizeDirectory(directory: string, option = '--directory'): string {
  const raw = directory.trim().replace(/\\/g, '/');
  const normalized = path.posix
    .normalize(raw)
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  if (!raw || path.posix.isAbsolute(raw) || normalized === '.' || normalized === '' || normalized.startsWith('..')) {
    throw new Error(
      `nx-conda: ${option} must be a folder inside the workspace, relative to its root (got '${directory}').`,
    );
  }
  return normalized;
}
