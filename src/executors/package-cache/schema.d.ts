export interface PackageCacheExecutorSchema {
  packageCache?: string;
  purge?: boolean;
  verify?: boolean;
}
