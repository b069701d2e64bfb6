/**
 * Defaults shared by the inference plugin, the executors and the generators.
 * Those of executor options are read from the executors' schema.json, the
 * one place they are written.
 */
import dockerImageSchema from './executors/docker-image/schema.json';
import purgeImageSchema from './executors/purge-image/schema.json';
import recipeBuildSchema from './executors/recipe-build/schema.json';
import { schemaDefault } from './executors/schema-defaults';

/** Every project's packages land in `<outputRoot>/<projectRoot>`. */
export const DEFAULT_OUTPUT_ROOT = 'dist/conda';

/** Workspace folder of nx-conda's scratch files (per-build staging channels, build scripts); never committed. */
export const STAGING_FOLDER = 'tmp/nx-conda';

/** Where each build records its own folders (see executors/recipe-build/run-records.ts); no container may write there. */
export const RUN_RECORDS_FOLDER = `${STAGING_FOLDER}/runs`;

/** Label put on every container and image nx-conda makes. */
export const NX_CONDA_LABEL = 'nx-conda';

/**
 * bioconda's build-env image. Written without a registry host so that the
 * engine's configured default registry (or a mirror) decides where it comes
 * from; users who need a fully qualified reference set `baseImage`.
 */
export const DEFAULT_BASE_IMAGE: string = schemaDefault(dockerImageSchema, 'baseImage');

/** Namespace of per-package images: `<namespace>/<name>:<version>--<build>`. */
export const DEFAULT_IMAGE_NAMESPACE: string = schemaDefault(purgeImageSchema, 'namespace');

/** Repository name of the builder images made by `docker-image`. */
export const DEFAULT_BUILDER_IMAGE_NAME: string = schemaDefault(dockerImageSchema, 'imageName');

/**
 * What `docker-image` writes after every run, in `<IMAGE_IDENTITY_ROOT>/<project>/`
 * (its declared output): the builder image's tag and id and its base image's id.
 * build-recipe hashes it (a `dependentTasksOutputFiles` input), so a new base image
 * behind the same tag invalidates the builds made in the old one.
 */
export const IMAGE_IDENTITY_ROOT = 'dist/nx-conda/images';
export const IMAGE_IDENTITY_FILE = 'nx-conda-image.json';

/** Default name of the project created by `init` that builds the builder image. */
export const DEFAULT_IMAGE_PROJECT = 'builder-image';

/** The platform builds and line selectors are for. */
export const DEFAULT_PLATFORM: string = schemaDefault(recipeBuildSchema, 'platform');

export const DEFAULT_TARGETS = {
  buildRecipe: 'build-recipe',
  purgeImage: 'purge-image',
  packageImage: 'package-image',
  dockerImage: 'docker-image',
  /** On the builder-image project (made by init): removes this workspace's containers. */
  purgeContainers: 'purge-containers',
} as const;

/** The builders (and the recipe formats they build) are in src/formats.ts. */
export type { Builder } from './formats';
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
