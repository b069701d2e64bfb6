export * from './repodata';
export * from './staging';
export * from './dependencies';
export { ownedSubdirs, recoverOutput, replaceOutputSubdirs, replaceWithEmptyChannel } from './output';
export { UnsafeFileError } from './safe-fs';
export { LockTimeoutError, withDirectoryLock, withLock, withOutputLock } from './lock';
export { normalizeChannels, channelUrl, ChannelOptionError } from './upstream';
export {
  upstreamIndex,
  currentRunId,
  compactIndex,
  RepodataFetchError,
  type SubdirIndex,
  type CompactIndex,
} from './repodata-cache';
export { lookupExisting, describePackage, type ExistingLookup, type LookupOptions } from './skip-existing';
export * from './skip-record';
