import type { ExecutorContext } from '@nx/devkit';
import type { EngineName } from '../../core/defaults';
import type { Builder } from '../../core/formats';
import type { DataLimits } from '../../channel/package-check';
import type { Hardening } from '../../container/hardening';
import { resolveChannels } from './resolve/channels';
import { resolveContainer, type ImageChoice } from './resolve/image';
import { resolveLimits } from './resolve/limits';
import { resolveRecipe } from './resolve/recipe';
import { resolveStaging } from './resolve/staging';
import { withRecipeBuildDefaults, type PluginSettings } from './resolve/types';
import { resolvePackageCache, type PackageCacheSettings } from './resolve/package-cache';
import type { RecipeBuildExecutorSchema } from './schema';
import { registrationFor } from '../../graph/registration';
import { RECIPE_FILE_NAMES } from '../../core/formats';
import { existsSync } from 'node:fs';
import { ownedSubdirs } from '../../channel/output';
import { join } from 'node:path';

/**
 * The settings of the plugin registration that infers this project, for the
 * options that leave them unset, and its primary platform (always looked up:
 * it decides whether this build owns noarch/ of its output folder).
 */
function pluginSettings(given: RecipeBuildExecutorSchema, context: ExecutorContext): PluginSettings {
  const root = context.projectName ? context.projectsConfigurations?.projects[context.projectName]?.root : undefined;
  if (root === undefined) return {};
  const dir = given.recipeDir || root;
  const file =
    RECIPE_FILE_NAMES.map((f) => (dir === '.' ? f : `${dir}/${f}`)).find((f) => existsSync(join(context.root, f))) ??
    `${dir}/${RECIPE_FILE_NAMES[0]}`;
  const registration = registrationFor(context.nxJsonConfiguration, root, file);
  return registration
    ? {
        channels: registration.channels,
        skipExisting: registration.skipExisting,
        packageCache: registration.packageCache,
        packageCacheMegabytes: registration.packageCacheMegabytes,
        primaryPlatform: registration.platform,
      }
    : {};
}

export { RecipeBuildError } from './errors';
export type { ImageChoice } from './resolve/image';

/** The executor's options with every default applied and every path made absolute. */
export interface ResolvedOptions {
  projectName: string;
  projectRoot: string;
  recipeDir: string;
  recipeFile: string;
  builder: Builder;
  outputPath: string;
  outputDir: string;
  image: ImageChoice;
  engine: EngineName;
  platform: string;
  /**
   * The workspace's primary platform (the plugin registration's `platform`;
   * without a registration, this build's own). A build for another platform
   * (`build-recipe-<P>`) shares the output folder with the primary build.
   */
  primaryPlatform: string;
  /** The subdirs of the output folder this build replaces (see ownedSubdirs): never noarch/ unless it is the primary build. */
  ownedSubdirs: string[];
  buildArgs: string[];
  /** Upstream channels, after the staging channel, in priority order. */
  channels: string[];
  skipExisting: boolean;
  env: Record<string, string>;
  containerRecipe: string;
  containerStaging: string;
  variantConfigFiles: string[];
  exclusiveConfigFiles: string[];
  mambabuild: boolean;
  packageFormat?: string;
  skipTests: boolean;
  buildScriptTemplate?: string;
  network?: string;
  /** Limits, no-new-privileges and extra engine flags of the build container, checked. */
  hardening: Hardening;
  timeoutSeconds: number;
  lockTimeoutSeconds: number;
  keepImage: boolean;
  stagingRoot: string;
  sharedStagingDir?: string;
  keepStaging: boolean;
  /** The machine-wide package cache; undefined: off. */
  packageCache?: PackageCacheSettings;
  /** Bounds of what the build leaves (maxPackageMegabytes, maxIndexMegabytes). */
  limits: DataLimits;
  verbose: boolean;
}

/**
 * Resolves the options of one recipe-build task, one concern at a time (see
 * resolve/). A bad option throws an OptionError naming it, a missing recipe a
 * RecipeBuildError, where the problem is found; anything else is a bug.
 */
export function resolveOptions(
  given: RecipeBuildExecutorSchema,
  context: ExecutorContext,
  environment: NodeJS.ProcessEnv = process.env,
): ResolvedOptions {
  // Every default comes from schema.json, but those of channels and skipExisting, which are the plugin
  // registration's: the plugin does not copy them into each project (graph/targets.ts).
  const settings = pluginSettings(given, context);
  const options = withRecipeBuildDefaults(given, settings);
  const recipe = resolveRecipe(options, context);
  const primaryPlatform = settings.primaryPlatform ?? recipe.platform;
  return {
    ...recipe,
    primaryPlatform,
    ownedSubdirs: ownedSubdirs(recipe.platform, primaryPlatform),
    ...resolveStaging(options, context, recipe.projectRoot),
    ...resolveContainer(options, environment, context),
    ...resolveChannels(options),
    ...resolveLimits(options, environment, context.root),
    packageCache: resolvePackageCache(options, context.root, environment),
    engine: options.engine,
    buildArgs: options.buildArgs,
    mambabuild: options.mambabuild,
    packageFormat: options.packageFormat,
    skipTests: options.skipTests,
    keepImage: options.keepImage,
    keepStaging: options.keepStaging,
    verbose: options.verbose ?? context.isVerbose ?? false,
  };
}
