export interface PublishExecutorSchema {
  /** Workspace-relative channel folder to publish. Default dist/channel. */
  channelPath?: string;
  /** A folder (path or file:// URL) or s3://bucket/prefix. */
  destination?: string;
  /** S3 region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1). */
  region?: string;
  /** S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS). */
  endpoint?: string;
  /** Only list what would change. */
  dryRun?: boolean;
  /** Largest package file taken, gathered or published, in megabytes. Default 2048. */
  maxPackageMegabytes?: number;
  /** Largest repodata.json read, in megabytes. Default 256. */
  maxIndexMegabytes?: number;
}
