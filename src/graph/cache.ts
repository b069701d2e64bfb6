/**
 * Parse results of recipes, cached in memory (shared between createNodes and
 * createDependencies in the same process) and on disk in Nx's workspace data
 * folder, by recipe path: the content key (path, contents, platform, plugin
 * version), a stat signature and the result. A warm graph stats each recipe,
 * reads only those whose signature changed, and parses only changed ones.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { workspaceDataDirectory } from './devkit';
import { PLUGIN_VERSION } from '../core/version';
import { writeFileAtomic } from '../core/atomic-write';
import {
  isRecipeReadError,
  oversizeReason,
  readRecipe,
  RecipeReadError,
  toErrorData,
  type RecipeInfo,
  type RecipeReadErrorData,
} from '../recipes';

/** Bump when the reading rules, the RecipeInfo shape or the cache's layout change, so old cache entries are not used. */
const PARSER_VERSION = '7';

export type ParseOutcome = { ok: true; info: RecipeInfo } | { ok: false; error: RecipeReadErrorData };

/**
 * One recipe's cache entry, by workspace-relative path: the content key, the
 * file's stat signature when it can be trusted (see `statSignature`), and
 * the parse result.
 */
export interface CacheEntry {
  key: string;
  sig?: string;
  outcome: ParseOutcome;
}

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
    const err = isRecipeReadError(e) ? e : new RecipeReadError(file, e instanceof Error ? e.message : String(e));
    return { ok: false, error: toErrorData(err) };
  }
}

/** A file changed less than this long ago may change again within its timestamps' resolution. */
const RACY_MS = 2000;

/**
 * The file's identity on disk (size, modification and change times in
 * nanoseconds, inode), or undefined when it cannot be trusted yet. Like
 * git's index: a recipe whose signature equals the cached one has the cached
 * contents, so a warm graph does not read or hash it. The change time is set
 * by the kernel on every write (tools that restore mtimes cannot set it), and
 * a file changed within RACY_MS of now is not trusted (its next change could
 * fall within the same timestamps): it is read and hashed until it settles.
 */
function statSignature(st: BigIntStats, nowMs: number): string | undefined {
  const changed = Math.max(Number(st.mtimeMs), Number(st.ctimeMs));
  if (!(nowMs - changed > RACY_MS)) return undefined;
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
}

export interface LoadStats {
  files: number;
  parsed: number;
  fromMemory: number;
  fromDisk: number;
  /** Files read and hashed (no trusted stat signature matched). */
  hashed: number;
}

function unreadable(file: string, e: unknown): ParseOutcome {
  return { ok: false, error: { file, reason: `cannot read the file: ${e instanceof Error ? e.message : String(e)}` } };
}

/**
 * One recipe read through its cache entry (`cached`, if any): its outcome,
 * and the entry to keep (none for a file refused or unreadable, which costs
 * only its stat or read next time).
 */
interface Loaded {
  outcome: ParseOutcome;
  entry?: CacheEntry;
  /** Read and hashed (no trusted stat signature matched). */
  hashed: boolean;
  /** Parsed now (the cached result, if any, was not for these contents). */
  parsed: boolean;
}

function loadOne(
  workspaceRoot: string,
  file: string,
  cached: CacheEntry | undefined,
  platform: string,
  now: number,
): Loaded {
  const abs = join(workspaceRoot, file);
  let sig: string | undefined;
  try {
    const st = statSync(abs, { bigint: true });
    const oversize = oversizeReason(Number(st.size));
    // Refused unread (and not cached: the stat is all it costs).
    if (oversize) return { outcome: { ok: false, error: { file, reason: oversize } }, hashed: false, parsed: false };
    sig = statSignature(st, now);
  } catch (e) {
    return { outcome: unreadable(file, e), hashed: false, parsed: false };
  }
  if (cached && sig !== undefined && cached.sig === sig)
    return { outcome: cached.outcome, entry: cached, hashed: false, parsed: false };
  let contents: string;
  try {
    contents = readFileSync(abs, 'utf8');
  } catch (e) {
    return { outcome: unreadable(file, e), hashed: false, parsed: false };
  }
  const key = parseKey(file, contents, platform);
  if (cached && cached.key === key) {
    const entry = cached.sig === sig ? cached : { key, sig, outcome: cached.outcome };
    return { outcome: entry.outcome, entry, hashed: true, parsed: false };
  }
  const entry: CacheEntry = { key, sig, outcome: parse(file, contents, platform) };
  return { outcome: entry.outcome, entry, hashed: true, parsed: true };
}

/**
 * Reads every recipe file (workspace-relative paths), from the caches where
 * possible: a file whose stat signature matches its cache entry is not read;
 * otherwise it is read and hashed, and parsed only when its contents changed.
 * Never throws: an unreadable recipe
 * is an `ok: false` outcome.
 */
export function loadRecipes(
  workspaceRoot: string,
  files: readonly string[],
  platform: string,
  registrationKey: string = platform,
): { outcomes: Map<string, ParseOutcome>; stats: LoadStats } {
  const outcomes = new Map<string, ParseOutcome>();
  const used = new Map<string, CacheEntry>();
  const stats: LoadStats = { files: files.length, parsed: 0, fromMemory: 0, fromDisk: 0, hashed: 0 };
  const cachePath = cacheFilePath(workspaceRoot, registrationKey);
  const memoryKey = `${workspaceRoot}\0${registrationKey}`;
  const memory = memories.get(memoryKey) ?? new Map<string, CacheEntry>();
  let disk: DiskCache | undefined;
  const now = Date.now();

  let diskDirty = false;
  for (const file of files) {
    let cached = memory.get(file);
    const inMemory = cached !== undefined;
    if (!cached) {
      disk ??= openDiskCache(cachePath);
      cached = disk.get(file);
    }
    const { outcome, entry, hashed, parsed } = loadOne(workspaceRoot, file, cached, platform, now);
    outcomes.set(file, outcome);
    if (!entry) continue;
    if (hashed) stats.hashed++;
    if (parsed) stats.parsed++;
    else if (inMemory) stats.fromMemory++;
    else stats.fromDisk++;
    if (entry !== cached) diskDirty = true;
    used.set(file, entry);
  }
  memories.delete(memoryKey);
  memories.set(memoryKey, used);
  if (memories.size > MAX_REGISTRATIONS_IN_MEMORY) memories.delete(memories.keys().next().value!);
  if (diskDirty || (disk && disk.size() !== used.size)) {
    disk ??= openDiskCache(cachePath);
    disk.write(Object.fromEntries(used));
  }
  return { outcomes, stats };
}

/** For tests: forget the in-memory results. */
export function clearMemoryCache(): void {
  memories.clear();
}
