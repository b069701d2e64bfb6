export {
  defaultPackageCacheDir,
  resolvePackageCacheDir,
  resolvePackageCacheLimit,
  DEFAULT_PACKAGE_CACHE_MEGABYTES,
} from './location';
export { channelKey, entryName, isEntryName, ENTRY_MARKER, RATTLER_LOCK } from './layout';
export { hasCredential, type SubdirRecords } from './records';
export {
  fillPackageCache,
  PARALLEL_DOWNLOADS,
  type ExtractJob,
  type Extractor,
  type FillReport,
  type FillRequest,
} from './fill';
export {
  scanCache,
  removeBroken,
  removeEntry,
  evict,
  purgeCache,
  markUsed,
  markUsedEntries,
  type CacheEntry,
} from './store';
export { checkPathsJson, checkTree, EntryCheckError } from './tree';
