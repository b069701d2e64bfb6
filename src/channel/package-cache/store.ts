/**
 * The cache as a set of entries: listing them (with the checks that decide
 * whether an entry may be used), marking one used, removing one so that no
 * reader ever sees half of it, and the least-recently-used eviction.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { lstatOrUndefined } from '../../core/atomic-write';
import { readRegularFile } from '../safe-fs';
import {
  CHANNEL_KEY_PATTERN,
  ENTRY_MARKER,
  isEntryName,
  parseMarker,
  RATTLER_LOCK,
  TEMP_FOLDER,
  type EntryMarker,
} from './layout';

export interface CacheEntry {
  key: string;
  name: string;
  path: string;
  marker: EntryMarker;
  /** When a build last needed it (the marker's mtime), ms since the epoch. */
  usedMs: number;
}

export interface CacheScan {
  entries: CacheEntry[];
  /** Folders that are not complete, checked entries: to remove. */
  broken: string[];
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Reads the entries of the cache; what is not a complete entry is listed as broken (never followed). */
export function scanCache(root: string): CacheScan {
  const entries: CacheEntry[] = [];
  const broken: string[] = [];
  for (const key of names(root)) {
    if (key === TEMP_FOLDER || !CHANNEL_KEY_PATTERN.test(key) || !lstatOrUndefined(join(root, key))?.isDirectory())
      continue;
    for (const name of names(join(root, key))) {
      if (name === 'urls.txt') continue;
      const path = join(root, key, name);
      const stat = lstatOrUndefined(path);
      if (!stat) continue;
      if (!stat.isDirectory() || !isEntryName(name)) {
        broken.push(path);
        continue;
      }
      const markerStat = lstatOrUndefined(join(path, ENTRY_MARKER));
      let marker: EntryMarker | undefined;
      try {
        const text = markerStat?.isFile() ? readRegularFile(join(path, ENTRY_MARKER), 'reading', 64 * 1024) : undefined;
        marker = text ? parseMarker(text.toString('utf8'), name) : undefined;
      } catch {
        marker = undefined;
      }
      const complete =
        marker &&
        lstatOrUndefined(join(path, 'info', 'repodata_record.json'))?.isFile() &&
        lstatOrUndefined(join(path, RATTLER_LOCK))?.isFile();
      if (!marker || !complete || !markerStat) broken.push(path);
      else entries.push({ key, name, path, marker, usedMs: markerStat.mtimeMs });
    }
  }
  return { entries, broken };
}

/** Takes a folder out of the cache in one rename (readers see it whole or not at all), then deletes it. */
export function removeEntry(root: string, path: string): void {
  const aside = join(root, TEMP_FOLDER, `gone-${randomBytes(6).toString('hex')}`);
  try {
    mkdirSync(join(root, TEMP_FOLDER), { recursive: true });
    renameSync(path, aside);
  } catch {
    rmSync(path, { recursive: true, force: true });
    return;
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Records that a build needed an entry (its marker's mtime orders the eviction). */
export function markUsed(entryPath: string, now = new Date()): void {
  try {
    utimesSync(join(entryPath, ENTRY_MARKER), now, now);
  } catch {
    // gone meanwhile: nothing to mark
  }
}

/**
 * Records that a build used these entries: names (from a solve, or what a
 * build container listed: untrusted) count only when they are the name of
 * an existing entry in one of `keys`' channel folders; nothing is followed.
 * Returns the names marked.
 */
export function markUsedEntries(root: string, keys: string[], names: Iterable<string>, now = new Date()): string[] {
  const marked: string[] = [];
  const unique = [...new Set(names)].filter((name) => isEntryName(name));
  for (const key of new Set(keys)) {
    if (!CHANNEL_KEY_PATTERN.test(key)) continue;
    for (const name of unique) {
      const path = join(root, key, name);
      if (!lstatOrUndefined(path)?.isDirectory() || !lstatOrUndefined(join(path, ENTRY_MARKER))?.isFile()) continue;
      markUsed(path, now);
      marked.push(name);
    }
  }
  return marked;
}

/** Temporary folders older than this are what a killed filler left: removed. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** Removes broken entries and stale temporary folders; returns how many. */
export function removeBroken(root: string, scan: CacheScan, now = Date.now()): number {
  for (const path of scan.broken) removeEntry(root, path);
  let removed = scan.broken.length;
  for (const name of names(join(root, TEMP_FOLDER))) {
    const path = join(root, TEMP_FOLDER, name);
    const stat = lstatOrUndefined(path);
    if (stat && now - stat.mtimeMs > STALE_TEMP_MS) {
      rmSync(path, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** Entries used within this window are never evicted: a running build may be reading them. */
export const EVICTION_GRACE_MS = 10 * 60 * 1000;

/**
 * Removes least recently used entries until the cache holds at most
 * `maxBytes` (entries used in the grace window stay). Returns those removed.
 */
export function evict(root: string, maxBytes: number, now = Date.now()): CacheEntry[] {
  const { entries } = scanCache(root);
  let total = entries.reduce((sum, e) => sum + e.marker.bytes, 0);
  const removed: CacheEntry[] = [];
  for (const entry of [...entries].sort((a, b) => a.usedMs - b.usedMs)) {
    if (total <= maxBytes) break;
    if (now - entry.usedMs < EVICTION_GRACE_MS) continue;
    removeEntry(root, entry.path);
    total -= entry.marker.bytes;
    removed.push(entry);
  }
  return removed;
}

/** Empties the cache (every channel folder and temporary folder); returns the entries there were. */
export function purgeCache(root: string): number {
  const { entries } = scanCache(root);
  for (const key of names(root)) {
    if (key === TEMP_FOLDER || CHANNEL_KEY_PATTERN.test(key)) removeEntry(root, join(root, key));
  }
  rmSync(join(root, TEMP_FOLDER), { recursive: true, force: true });
  return entries.length;
}
