export * from './repodata';
export * from './staging';
export * from './dependencies';
export { recoverOutput } from './output';
export { UnsafeFileError } from './safe-fs';
export { LockTimeoutError, withDirectoryLock, withLock, withOutputLock } from './lock';
