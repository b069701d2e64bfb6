export * from './repodata';
export * from './staging';
export * from './dependencies';
export { withDirectoryLock } from './lock';
