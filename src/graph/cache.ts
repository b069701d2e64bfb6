/**
 * Parse results of recipes, cached in memory (shared between createNodes and
 * createDependencies in the same process) and on disk in Nx's workspace data
 * folder, by recipe path: the content key (path, contents, platform, plugin
 * version), a stat signature and the result. A warm graph stats each recipe,
 * reads only those whose signature changed, and parses only changed ones.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceDataDirectory } from './devkit';
import { PLUGIN_VERSION } from '../core/version';
import { writeFileAtomic } from '../core/atomic-write';
import { loadOne, PARSER_VERSION, type CacheEntry, type Loaded, type ParseOutcome } from './load-one';
import { loadInThreads } from './parse-threads';

export { parseKey, type CacheEntry, type ParseOutcome } from './load-one';

interface DiskCache {
  get(file: string): CacheEntry | undefined;
  size(): number;
  write(entries: Record<string, CacheEntry>): void;
}

/**
 * Where the disk cache of one plugin registration lives: a file in Nx's own
 * workspace data folder (see devkit.ts), named by a hash of everything that
 * changes its contents: the registration's options (all of them: two
 * registrations differing only in `include` read different recipe sets and
 * must not overwrite each other's file), the plugin's version and the
 * reading rules' version. Undefined when Nx refuses its folder.
 */
export function cacheFilePath(workspaceRoot: string, registrationKey: string): string | undefined {
  const dir = workspaceDataDirectory(workspaceRoot);
  if (dir === undefined) return undefined;
  const id = createHash('sha1')
    .update(`${registrationKey}\0${PLUGIN_VERSION}\0${PARSER_VERSION}`)
    .digest('hex')
    .slice(0, 12);
  return join(dir, `nx-conda-recipes-${id}.json`);
}

/**
 * One JSON file of entries by recipe path. It holds exactly the recipes of
 * the last graph (entries of deleted recipes are dropped on the next write),
 * so it needs no eviction. NX_CACHE_PROJECT_GRAPH=false disables reading it.
 */
function openDiskCache(path: string | undefined): DiskCache {
  if (path === undefined) return { get: () => undefined, size: () => 0, write: () => undefined };
  let entries: Record<string, CacheEntry> = {};
  try {
    if (process.env.NX_CACHE_PROJECT_GRAPH !== 'false') entries = JSON.parse(readFileSync(path, 'utf8')).entries ?? {};
  } catch {
    entries = {};
  }
  return {
    get: (k) => (Object.prototype.hasOwnProperty.call(entries, k) ? entries[k] : undefined),
    size: () => Object.keys(entries).length,
    write: (e) => {
      try {
        // A concurrent reader sees the old file or the new one, never half of one.
        writeFileAtomic(path, JSON.stringify({ entries: e }), { sync: false, trustedFolder: true });
      } catch {
        // A cache is best effort.
      }
    },
  };
}

/**
 * In-memory entries by file, from the most recent batch of each registration
 * in this process (several registrations share a process when Nx runs
 * plugins without isolation).
 */
const memories = new Map<string, Map<string, CacheEntry>>();
const MAX_REGISTRATIONS_IN_MEMORY = 8;

export interface LoadStats {
  files: number;
  parsed: number;
  fromMemory: number;
  fromDisk: number;
  /** Files read and hashed (no trusted stat signature matched). */
  hashed: number;
  /** Files read in a worker thread (parse-threads.ts). */
  inThread?: number;
}

type LoadResult = { outcomes: Map<string, ParseOutcome>; stats: LoadStats };

/**
 * One load of `files`, in the two steps both entry points share: each
 * file's cached entry is looked up (memory, then disk) when the load starts;
 * `finish` loads here every file not loaded yet (`loaded`: those a thread
 * read), then records what was loaded in the caches.
 */
function startLoad(workspaceRoot: string, files: readonly string[], platform: string, registrationKey: string) {
  const now = Date.now();
  const cachePath = cacheFilePath(workspaceRoot, registrationKey);
  const memoryKey = `${workspaceRoot}\0${registrationKey}`;
  const memory = memories.get(memoryKey) ?? new Map<string, CacheEntry>();
  let disk: DiskCache | undefined;
  const fromMemory = new Set<string>();
  const cachedEntries = new Map<string, CacheEntry | undefined>();
  for (const file of files) {
    const inMemory = memory.get(file);
    if (inMemory) fromMemory.add(file);
    else disk ??= openDiskCache(cachePath);
    cachedEntries.set(file, inMemory ?? disk!.get(file));
  }
  const loadHere = (file: string) => loadOne(workspaceRoot, file, cachedEntries.get(file), platform, now);
  return {
    now,
    loadHere,
    uncached: () => files.filter((f) => cachedEntries.get(f) === undefined),
    finish(loaded: Map<string, Loaded>, inThread?: number): LoadResult {
      for (const file of files) if (!loaded.has(file)) loaded.set(file, loadHere(file));
      const stats: LoadStats = { files: files.length, parsed: 0, fromMemory: 0, fromDisk: 0, hashed: 0 };
      if (inThread !== undefined) stats.inThread = inThread;
      const used = new Map<string, CacheEntry>();
      let diskDirty = false;
      for (const file of files) {
        const { entry, hashed, parsed } = loaded.get(file)!;
        if (!entry) continue;
        if (hashed) stats.hashed++;
        if (parsed) stats.parsed++;
        else if (fromMemory.has(file)) stats.fromMemory++;
        else stats.fromDisk++;
        if (entry !== cachedEntries.get(file)) diskDirty = true;
        used.set(file, entry);
      }
      memories.delete(memoryKey);
      memories.set(memoryKey, used);
      if (memories.size > MAX_REGISTRATIONS_IN_MEMORY) memories.delete(memories.keys().next().value!);
      if (diskDirty || (disk && disk.size() !== used.size)) {
        disk ??= openDiskCache(cachePath);
        disk.write(Object.fromEntries(used));
      }
      return { outcomes: new Map(files.map((f) => [f, loaded.get(f)!.outcome])), stats };
    },
  };
}

/**
 * Reads every recipe file (workspace-relative paths), from the caches where
 * possible: a file whose stat signature matches its cache entry is not read;
 * otherwise it is read and hashed, and parsed only when its contents changed.
 * Never throws: an unreadable recipe is an `ok: false` outcome.
 */
export function loadRecipes(
  workspaceRoot: string,
  files: readonly string[],
  platform: string,
  registrationKey: string = platform,
): LoadResult {
  return startLoad(workspaceRoot, files, platform, registrationKey).finish(new Map());
}

/**
 * loadRecipes for createNodes: when many recipes have no cache entry at all
 * (a cold graph), a worker thread reads and parses part of them while this
 * thread does the rest (parse-threads.ts). The result is the same.
 */
export async function loadRecipesInParallel(
  workspaceRoot: string,
  files: readonly string[],
  platform: string,
  registrationKey: string = platform,
): Promise<LoadResult> {
  const load = startLoad(workspaceRoot, files, platform, registrationKey);
  const { loaded, inThread } = await loadInThreads(workspaceRoot, load.uncached(), platform, load.now, load.loadHere);
  return load.finish(loaded, inThread);
}

/** For tests: forget the in-memory results. */
export function clearMemoryCache(): void {
  memories.clear();
}
