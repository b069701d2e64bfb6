/** Pure parts of purge-image: package specs and the image refs they name. */
import { IMAGE_REPOSITORY } from '../../container/argv';
import { DEFAULT_IMAGE_NAMESPACE, resolveEngine, type EngineName } from '../../core/defaults';
import { schemaDefault } from '../../core/schema-defaults';
import schemaJson from './schema.json';
import { isPackageName, PACKAGE_NAME_RULE } from '../../recipes';
import type { PurgeImageExecutorSchema } from './schema';
import { OptionError } from '../../core/errors';
import { parsePackageSpec, packageImageRef, type PackageSpec } from '../../image/package-plan';

export { parsePackageSpec, packageImageRef, type PackageSpec };

/** A purge-image option that names no image. */
export class PurgeOptionError extends OptionError {}

export interface PurgePlan {
  engine: EngineName;
  force: boolean;
  namespace: string;
  /** Refs to remove as they are (images), deduplicated, in order. */
  refs: string[];
  /** Package image refs `<namespace>/<name>:<version>--<build>`: removed only when package-image made them in this workspace. */
  packageRefs: string[];
  /** Repositories `<namespace>/<name>` whose every tag package-image made in this workspace is removed. */
  repositories: string[];
  /** Every package image made in this workspace (all: true), or for one project. */
  packageImages?: { all: true } | { project: string };
  builderImages: boolean;
  /** The docker-image target whose builder image (by its hash tag) is removed. */
  builderImageOf?: { project: string; target: string };
  /** Also every container of this workspace (label nx-conda.workspace), whatever its state and run. */
  containers: boolean;
}

function optionalString(value: unknown, option: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || /\s/.test(value))
    throw new PurgeOptionError(option, `${option} must be a project or target name`);
  return value;
}

function stringList(value: unknown, option: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new PurgeOptionError(option, `${option} must be a list of strings`);
  }
  return value.map((v) => v.trim()).filter((v) => v.length > 0);
}

/** Checks the options and lists what to remove; no engine call. */
export function planPurge(options: PurgeImageExecutorSchema): PurgePlan {
  const o = (options ?? {}) as Record<string, unknown>;
  const engine = resolveEngine(o.engine, (m) => new PurgeOptionError('engine', m));
  const namespace = o.namespace === undefined || o.namespace === '' ? DEFAULT_IMAGE_NAMESPACE : o.namespace;
  if (typeof namespace !== 'string' || !IMAGE_REPOSITORY.test(namespace)) {
    throw new PurgeOptionError(
      'namespace',
      `namespace '${String(namespace)}' is not a valid image namespace (lowercase, no tag)`,
    );
  }
  const images = stringList(o.images, 'images');
  for (const ref of images) {
    if (/\s/.test(ref)) throw new PurgeOptionError('images', `image '${ref}' is not an image reference`);
  }
  const packages = stringList(o.packages, 'packages').map((spec) => packageImageRef(namespace, parsePackageSpec(spec)));
  const names = stringList(o.names, 'names');
  for (const name of names) {
    if (!isPackageName(name))
      throw new PurgeOptionError('names', `name '${name}' is not a package name: ${PACKAGE_NAME_RULE}`);
  }
  const builderImages = o.builderImages === true;
  const imageProject = optionalString(o.imageProject, 'imageProject');
  const imageTarget = optionalString(o.imageTarget, 'imageTarget') ?? schemaDefault<string>(schemaJson, 'imageTarget');
  const refs = [...new Set(images)];
  const packageRefs = [...new Set(packages)];
  const packageProject = optionalString(o.packageProject, 'packageProject');
  const packageImages =
    o.packageImages === true ? { all: true as const } : packageProject ? { project: packageProject } : undefined;
  const repositories = [...new Set(names.map((n) => `${namespace}/${n}`))];
  const containers = o.containers === true;
  if (
    refs.length === 0 &&
    packageRefs.length === 0 &&
    repositories.length === 0 &&
    !packageImages &&
    !builderImages &&
    !imageProject &&
    !containers
  ) {
    throw new PurgeOptionError(
      'packageImages',
      'nothing to purge: set packageImages, packageProject, packages, names, imageProject, builderImages, containers or images',
    );
  }
  return {
    engine,
    force: o.force === true,
    namespace,
    refs,
    packageRefs,
    repositories,
    builderImages,
    containers,
    ...(packageImages ? { packageImages } : {}),
    ...(imageProject ? { builderImageOf: { project: imageProject, target: imageTarget } } : {}),
  };
}
