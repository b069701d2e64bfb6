import type { EngineName } from '../core/defaults';

/** The options of a docker-image target (executors/docker-image/schema.json describes them to users). */
export interface DockerImageOptions {
  /** Image the builder image starts FROM. Default: DEFAULT_BASE_IMAGE. */
  baseImage?: string;
  /** Repository of the built image; the tag is `<imageName>:<hash12>`. Default: DEFAULT_BUILDER_IMAGE_NAME. */
  imageName?: string;
  /** Workspace-relative Dockerfile template; default: the built-in template. */
  dockerfileTemplate?: string;
  /** Conda packages installed with `conda install -y ...` (default template). */
  packages?: string[];
  /** Workspace-relative requirements file, installed with `conda install -y --file`. */
  requirementsFile?: string;
  /** `--build-arg NAME` (values through the environment); part of the hash. */
  buildArgs?: Record<string, string>;
  /** `host` builds with `--network host`; empty/absent: the engine's default. */
  network?: 'host' | '';
  /** Rebuild (without layer cache) even when the tag exists. */
  force?: boolean;
  engine?: EngineName;
  /** conda subdir the image is for (linux-64, linux-aarch64, ...); default: the host's own. */
  platform?: string;
  /** Print the command and the rendered Dockerfile (credentials masked). */
  verbose?: boolean;
}
