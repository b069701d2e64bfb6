/**
 * Parse results of recipes, cached in memory (shared between createNodes and
 * createDependencies in the same process) and on disk in Nx's workspace data
 * folder, keyed by the recipe's path and contents, the platform and the
 * plugin's version. A warm graph re-reads only changed recipes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  readRecipe,
  RecipeReadError,
  toErrorData,
  type RecipeInfo,
  type RecipeReadErrorData,
} from '../recipes';

/** Bump when the reading rules change, so old cache entries are not used. */
const PARSER_VERSION = '2';

export type ParseOutcome = { ok: true; info: RecipeInfo } | { ok: false; error: RecipeReadErrorData };

export const PLUGIN_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version ?? '0';
  } catch {
    return '0';
  }
})();

interface DiskCache {
  get(key: string): ParseOutcome | undefined;
  size(): number;
  write(entries: Record<string, ParseOutcome>): void;
}

interface PluginCacheLike<T> {
  get(key: string): T | undefined;
  toSerializable(): { entries: Record<string, T> };
  writeToDisk(): void;
}
type PluginCacheCtor = new <T>(path: string, entries?: Record<string, T>) => PluginCacheLike<T>;

interface Internals {
  PluginCache?: PluginCacheCtor;
  workspaceDataDirectory?: string;
}

let internals: Internals | undefined;
function nxInternals(): Internals {
  if (!internals) {
    try {
      // Public entry point of @nx/devkit (no deep import); absent in old versions.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      internals = require('@nx/devkit/internal') as Internals;
    } catch {
      internals = {};
    }
  }
  return internals;
}

/** Where the disk cache lives: Nx's workspace data folder. */
export function cacheFilePath(workspaceRoot: string, platform: string): string {
  const configured = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY;
  const dir = configured
    ? resolve(workspaceRoot, configured)
    : (nxInternals().workspaceDataDirectory ?? join(workspaceRoot, '.nx', 'workspace-data'));
  const id = createHash('sha1').update(`${platform}\0${PLUGIN_VERSION}\0${PARSER_VERSION}`).digest('hex').slice(0, 12);
  return join(dir, `nx-conda-recipes-${id}.json`);
}

function openDiskCache(path: string): DiskCache {
  const PluginCache = nxInternals().PluginCache;
  if (PluginCache) {
    const pc = new PluginCache<ParseOutcome>(path);
    return {
      get: (k) => pc.get(k),
      size: () => Object.keys(pc.toSerializable().entries).length,
      write: (entries) => new PluginCache<ParseOutcome>(path, entries).writeToDisk(),
    };
  }
  // Fallback for an @nx/devkit without PluginCache: one JSON file.
  let entries: Record<string, ParseOutcome> = {};
  try {
    if (process.env.NX_CACHE_PROJECT_GRAPH !== 'false') entries = JSON.parse(readFileSync(path, 'utf8')).entries ?? {};
  } catch {
    entries = {};
  }
  return {
    get: (k) => entries[k],
    size: () => Object.keys(entries).length,
    write: (e) => {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fs = require('node:fs') as typeof import('node:fs');
        fs.mkdirSync(join(path, '..'), { recursive: true });
        fs.writeFileSync(path, JSON.stringify({ entries: e, accessOrder: Object.keys(e) }));
      } catch {
        // a cache is best effort
      }
    },
  };
}

/** In-memory results by key, from the most recent batch of this process. */
let memory = new Map<string, ParseOutcome>();

export function parseKey(file: string, contents: string, platform: string): string {
  return createHash('sha1')
    .update(`${PLUGIN_VERSION}\0${PARSER_VERSION}\0${platform}\0${file}\0`)
    .update(contents)
    .digest('hex');
}

function parse(file: string, contents: string, platform: string): ParseOutcome {
  try {
    return { ok: true, info: readRecipe(file, contents, platform) };
  } catch (e) {
    const err = e instanceof RecipeReadError ? e : new RecipeReadError(file, e instanceof Error ? e.message : String(e));
    return { ok: false, error: toErrorData(err) };
  }
}

export interface LoadStats {
  files: number;
  parsed: number;
  fromMemory: number;
  fromDisk: number;
}

/**
 * Reads every recipe file (workspace-relative paths), from the caches where
 * possible. Never throws: an unreadable recipe is an `ok: false` outcome.
 */
export function loadRecipes(
  workspaceRoot: string,
  files: readonly string[],
  platform: string,
): { outcomes: Map<string, ParseOutcome>; stats: LoadStats } {
  const outcomes = new Map<string, ParseOutcome>();
  const used = new Map<string, ParseOutcome>();
  const stats: LoadStats = { files: files.length, parsed: 0, fromMemory: 0, fromDisk: 0 };
  const cachePath = cacheFilePath(workspaceRoot, platform);
  let disk: DiskCache | undefined;
  let diskDirty = false;
  for (const file of files) {
    let contents: string;
    try {
      contents = readFileSync(join(workspaceRoot, file), 'utf8');
    } catch (e) {
      outcomes.set(file, {
        ok: false,
        error: { file, reason: `cannot read the file: ${e instanceof Error ? e.message : String(e)}` },
      });
      continue;
    }
    const key = parseKey(file, contents, platform);
    let outcome = memory.get(key);
    if (outcome) stats.fromMemory++;
    else {
      disk ??= openDiskCache(cachePath);
      outcome = disk.get(key);
      if (outcome) stats.fromDisk++;
      else {
        outcome = parse(file, contents, platform);
        stats.parsed++;
        diskDirty = true;
      }
    }
    used.set(key, outcome);
    outcomes.set(file, outcome);
  }
  memory = used;
  if (diskDirty || (disk && disk.size() !== used.size)) {
    disk?.write(Object.fromEntries(used));
  }
  return { outcomes, stats };
}

/** For tests: forget the in-memory results. */
export function clearMemoryCache(): void {
  memory = new Map();
}
