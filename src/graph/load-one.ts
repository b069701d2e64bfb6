/**
 * One recipe read through its cache entry: stat, read and hash only when the
 * entry cannot be trusted, parse only when the contents changed. Kept apart
 * from the caches (cache.ts) so that a worker thread (parse-worker.ts) loads
 * only this and the recipe reader.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { PLUGIN_VERSION } from '../core/version';
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
export const PARSER_VERSION = '7';

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

function unreadable(file: string, e: unknown): ParseOutcome {
  return { ok: false, error: { file, reason: `cannot read the file: ${e instanceof Error ? e.message : String(e)}` } };
}

/**
 * One recipe read through its cache entry (`cached`, if any): its outcome,
 * and the entry to keep (none for a file refused or unreadable, which costs
 * only its stat or read next time).
 */
export interface Loaded {
  outcome: ParseOutcome;
  entry?: CacheEntry;
  /** Read and hashed (no trusted stat signature matched). */
  hashed: boolean;
  /** Parsed now (the cached result, if any, was not for these contents). */
  parsed: boolean;
}

export function loadOne(
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
