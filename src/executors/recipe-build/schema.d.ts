import type { Builder, EngineName } from '../../core/defaults';

export interface RecipeBuildExecutorSchema {
  recipeDir?: string;
  builder?: Builder;
  outputPath?: string;
  image?: string;
  imageProject?: string;
  imageTarget?: string;
  engine?: EngineName;
  platform?: string;
  buildArgs?: string[];
  channels?: string[];
  skipExisting?: boolean;
  /** The machine-wide package cache folder; false: none. Default: the plugin registration's, else <user cache>/nx-conda/pkgs. */
  packageCache?: string | boolean;
  /** Size limit of the package cache in megabytes (least recently used entries go first). Default 4096. */
  packageCacheMegabytes?: number;
  env?: Record<string, string>;
  passEnv?: string[];
  containerRecipe?: string;
  containerStaging?: string;
  variantConfigFiles?: string[];
  exclusiveConfigFiles?: string[];
  mambabuild?: boolean;
  packageFormat?: 'conda' | 'tar.bz2';
  skipTests?: boolean;
  buildScriptTemplate?: string;
  network?: string;
  memory?: string;
  cpus?: number;
  pidsLimit?: number;
  noNewPrivileges?: boolean;
  runArgs?: string[];
  /** Host folders outside the workspace that runArgs bind mounts may come from. Default []. */
  mountSources?: string[];
  timeoutSeconds?: number;
  lockTimeoutSeconds?: number;
  keepImage?: boolean;
  stagingRoot?: string;
  sharedStagingDir?: string;
  keepStaging?: boolean;
  verbose?: boolean;
  /** Largest package file taken, gathered or published, in megabytes. Default 2048. */
  maxPackageMegabytes?: number;
  /** Largest repodata.json read, in megabytes. Default 256. */
  maxIndexMegabytes?: number;
}
