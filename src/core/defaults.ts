/**
 * Defaults shared by the inference plugin, the executors and the generators.
 * Core is the leaf layer: it imports nothing of ours, so the defaults of
 * executor options that code below the executors needs are written here, and
 * src/schemas.spec.ts checks that each schema.json gives the same ones.
 */

/** The npm package name, and the prefix of its executors and generators in nx.json and project.json. */
export const PLUGIN_NAME = 'nx-conda';

/** The executors as targets name them (executors.json lists the same; src/schemas.spec.ts checks). */
export const EXECUTORS = {
  recipeBuild: `${PLUGIN_NAME}:recipe-build`,
  dockerImage: `${PLUGIN_NAME}:docker-image`,
  purgeImage: `${PLUGIN_NAME}:purge-image`,
  channel: `${PLUGIN_NAME}:channel`,
  publish: `${PLUGIN_NAME}:publish`,
  lintRecipe: `${PLUGIN_NAME}:lint-recipe`,
  packageImage: `${PLUGIN_NAME}:package-image`,
  plan: `${PLUGIN_NAME}:plan`,
  shard: `${PLUGIN_NAME}:shard`,
  bumpRecipe: `${PLUGIN_NAME}:bump-recipe`,
} as const;

/** The channel of many projects' packages that `channel` gathers and `publish` publishes, workspace-relative. */
export const DEFAULT_CHANNEL_PATH = 'dist/channel';

/** Every project's packages land in `<outputRoot>/<projectRoot>`. */
export const DEFAULT_OUTPUT_ROOT = 'dist/conda';

/** lint-recipe writes `<LINT_OUTPUT_ROOT>/<projectRoot>/lint.json`. */
export const LINT_OUTPUT_ROOT = 'dist/lint';

/** Workspace folder of nx-conda's scratch files (per-build staging channels, build scripts); never committed. */
export const STAGING_FOLDER = 'tmp/nx-conda';

/** Where builds make their own folders unless `stagingRoot` says otherwise (recipe-build's schema.json gives the same; src/schemas.spec.ts checks). */
export const DEFAULT_STAGING_ROOT = `${STAGING_FOLDER}/staging`;

/** Where each build records its own folders (see container/run-records.ts); no container may write there. */
export const RUN_RECORDS_FOLDER = `${STAGING_FOLDER}/runs`;

/** Label put on every container and image nx-conda makes. */
export const NX_CONDA_LABEL = 'nx-conda';

/**
 * bioconda's build-env image. Written without a registry host so that the
 * engine's configured default registry (or a mirror) decides where it comes
 * from; users who need a fully qualified reference set `baseImage`.
 */
export const DEFAULT_BASE_IMAGE = 'bioconda/bioconda-utils-build-env-cos7:latest';

/** Namespace of per-package images: `<namespace>/<name>:<version>--<build>`. */
export const DEFAULT_IMAGE_NAMESPACE = 'biocontainers';

/** Repository name of the builder images made by `docker-image`. */
export const DEFAULT_BUILDER_IMAGE_NAME = 'nx-conda/builder';

/**
 * What `docker-image` writes after every run, in `<IMAGE_IDENTITY_ROOT>/<project>/`
 * (its declared output): the builder image's tag and id and its base image's id.
 * build-recipe hashes it (a `dependentTasksOutputFiles` input), so a new base image
 * behind the same tag invalidates the builds made in the old one.
 */
export const IMAGE_IDENTITY_ROOT = 'dist/nx-conda/images';
export const IMAGE_IDENTITY_FILE = 'nx-conda-image.json';

/**
 * The workspace-relative folder of a docker-image target's identity file:
 * `<IMAGE_IDENTITY_ROOT>/<project>` when the target sets no `platform`, else
 * `<IMAGE_IDENTITY_ROOT>/<platform>/<project>` (the output of that
 * platform's docker-image target), so the two never share an output.
 */
export function imageIdentityFolder(project: string, platform?: string): string {
  return platform ? `${IMAGE_IDENTITY_ROOT}/${platform}/${project}` : `${IMAGE_IDENTITY_ROOT}/${project}`;
}

/** Default name of the project created by `init` that builds the builder image. */
export const DEFAULT_IMAGE_PROJECT = 'builder-image';

/** The platform builds and line selectors are for. */
export const DEFAULT_PLATFORM = 'linux-64';

export const DEFAULT_TARGETS = {
  buildRecipe: 'build-recipe',
  purgeImage: 'purge-image',
  lintRecipe: 'lint-recipe',
  packageImage: 'package-image',
  bumpRecipe: 'bump-recipe',
  dockerImage: 'docker-image',
  /** On the builder-image project (made by init): removes this workspace's containers. */
  purgeContainers: 'purge-containers',
} as const;

/** The builders (and the recipe formats they build) are in src/formats.ts. */
export type { Builder } from './formats';
/** The defaults of the docker-image options (its schema.json gives the same; src/schemas.spec.ts checks). */
export const DOCKER_IMAGE_DEFAULTS = {
  baseImage: DEFAULT_BASE_IMAGE,
  imageName: DEFAULT_BUILDER_IMAGE_NAME,
  packages: [] as string[],
  buildArgs: {} as Record<string, string>,
  force: false,
  engine: 'docker' as EngineName,
  verbose: false,
};

/** The container engines nx-conda can drive. */
export const ENGINES = ['docker', 'podman'] as const;
export type EngineName = (typeof ENGINES)[number];

/**
 * An `engine` option, checked: undefined gives 'docker'; anything but a
 * known engine throws the error `fail` makes of the message.
 */
export function resolveEngine(value: unknown, fail: (message: string) => Error = (m) => new Error(m)): EngineName {
  if (value === undefined) return 'docker';
  if (typeof value === 'string' && (ENGINES as readonly string[]).includes(value)) return value as EngineName;
  throw fail(`engine '${String(value)}' is not supported: use ${ENGINES.map((e) => `'${e}'`).join(' or ')}`);
}
