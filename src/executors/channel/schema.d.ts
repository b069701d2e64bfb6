export interface ChannelExecutorSchema {
  /** Workspace-relative folder of the channel. Default dist/channel. */
  outputPath?: string;
  /** Projects whose packages are gathered; default: every project with a recipe-build target. */
  projects?: string[];
  /** Give up waiting for another run on the same channel after this many seconds (0: wait). */
  lockTimeoutSeconds?: number;
  /** Largest package file taken, gathered or published, in megabytes. Default 2048. */
  maxPackageMegabytes?: number;
  /** Largest repodata.json read, in megabytes. Default 256. */
  maxIndexMegabytes?: number;
}
