import type { ExecutorContext } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { validateEnvNames, validateImageRef, validateNetwork } from '../../container/argv';
import { hardeningArgs, validateRunArgs, type Hardening } from '../../container/hardening';

import { SUBDIR_PATTERN } from '../../channel/repodata';
import { outputPathOf } from '../../channel/dependencies';
import { ChannelOptionError, normalizeChannels } from '../../channel/upstream';
import { DEFAULT_BASE_IMAGE, EngineName } from '../../core/defaults';
import { protectedFolders, sharedStagingProblem } from './shared-staging';
import { schemaDefault, withSchemaDefaults } from '../../core/schema-defaults';
import { dataLimits, type DataLimits } from '../../channel/package-check';
import schemaJson from './schema.json';
import { builderOf, FORMATS, formatOfBuilder, RECIPE_FORMATS, type Builder } from '../../core/formats';
import type { RecipeBuildExecutorSchema } from './schema';
import { UserError } from '../../core/errors';
import { shownName } from '../../recipes';

/** A bad option or a missing file: reported as it is, without a stack. */
export class RecipeBuildError extends UserError {}

export type ImageChoice = { kind: 'ref'; ref: string } | { kind: 'project'; project: string; target: string };

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
  /** Bounds of what the build leaves (maxPackageMegabytes, maxIndexMegabytes). */
  limits: DataLimits;
  verbose: boolean;
}

function workspaceFile(root: string, path: string, what: string): string {
  const absolute = resolve(root, path);
  if (!existsSync(absolute)) throw new RecipeBuildError(`${what} ${path} does not exist (looked for ${absolute}).`);
  return absolute;
}

/** The builder of the recipe file in `recipeDir` (recipe.yaml wins over meta.yaml, as in the graph). */
function detectBuilder(recipeDir: string): Builder | undefined {
  const format = FORMATS.find((f) => existsSync(join(recipeDir, RECIPE_FORMATS[f].file)));
  return format && builderOf(format);
}

function containerPath(path: string, option: string): string {
  if (!isAbsolute(path) || path === '/')
    throw new RecipeBuildError(`${option} must be an absolute path inside the container other than /, got "${path}".`);
  if (!/^[A-Za-z0-9_./+@-]+$/.test(path) || path.split('/').includes('..')) {
    throw new RecipeBuildError(
      `${option} ${JSON.stringify(path)} may hold only letters, digits and _ . / + @ - (no '..').`,
    );
  }
  return path.replace(/\/+$/, '');
}

/** A thrown Error of a pure check becomes a RecipeBuildError (a message for the user, no stack). */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new RecipeBuildError((e as Error).message);
  }
}

/** C0 and C1 controls, DEL, and the bidi-format characters that reorder what a terminal shows. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNPRINTABLE = /[\0-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Whether `inner` is `outer` or inside it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Resolves the options of one recipe-build task; throws RecipeBuildError for anything a user must fix. */
export function resolveOptions(
  given: RecipeBuildExecutorSchema,
  context: ExecutorContext,
  environment: NodeJS.ProcessEnv = process.env,
): ResolvedOptions {
  // Every default comes from schema.json; '' means the default where an empty value makes no sense.
  const options = withSchemaDefaults(schemaJson, given);
  const orDefault = (value: string | undefined, option: keyof RecipeBuildExecutorSchema): string =>
    value || schemaDefault<string>(schemaJson, option);
  const projectName = context.projectName;
  if (!projectName)
    throw new RecipeBuildError('recipe-build must run as a project target (no project name in the executor context).');
  const project = context.projectsConfigurations.projects[projectName];
  const root = context.root;
  const recipeDir = resolve(root, options.recipeDir || project.root);
  if (!existsSync(recipeDir))
    throw new RecipeBuildError(`Recipe folder ${relative(root, recipeDir) || '.'} does not exist.`);

  const builder = options.builder ?? detectBuilder(recipeDir);
  if (!builder) {
    throw new RecipeBuildError(
      `No meta.yaml or recipe.yaml in ${relative(root, recipeDir) || '.'}: nothing to build for project ${projectName}.`,
    );
  }
  const { file: recipeFile, variantFile } = RECIPE_FORMATS[formatOfBuilder(builder)];
  if (!existsSync(join(recipeDir, recipeFile))) {
    throw new RecipeBuildError(
      `builder ${builder} needs ${recipeFile}, which ${relative(root, recipeDir)} does not hold.`,
    );
  }

  const outputPath = options.outputPath || outputPathOf(project.root);
  const outputDir = resolve(root, outputPath);
  if (relative(root, outputDir).startsWith('..') || outputDir === root) {
    throw new RecipeBuildError(
      `outputPath must be a folder inside the workspace (it is emptied before each build), got "${outputPath}".`,
    );
  }

  // Defence in depth (the graph refuses recipe names that are not conda package names): the project name reaches
  // log lines, container names and folder names, so no control or bidi-format character, never a leading `-`.
  if (UNPRINTABLE.test(projectName) || projectName.startsWith('-'))
    throw new RecipeBuildError(
      `project name ${shownName(projectName)} holds control characters or starts with "-": rename the project.`,
    );

  const platform = orDefault(options.platform, 'platform');
  if (!SUBDIR_PATTERN.test(platform)) {
    throw new RecipeBuildError(
      `platform ${JSON.stringify(platform)} is not a conda subdir: use noarch or <os>-<arch> (linux-64, linux-aarch64, osx-arm64, win-64, ...).`,
    );
  }

  const env: Record<string, string> = { ...options.env };
  for (const name of options.passEnv) {
    const value = environment[name];
    if (value !== undefined) env[name] = value;
  }
  checked(() => validateEnvNames(env, 'env'));

  let variantConfigFiles = options.variantConfigFiles.map((f) => workspaceFile(root, f, 'Variant config file'));
  if (!options.variantConfigFiles?.length && existsSync(join(root, variantFile))) {
    variantConfigFiles = [join(root, variantFile)];
  }
  const exclusiveConfigFiles = options.exclusiveConfigFiles.map((f) => workspaceFile(root, f, 'Exclusive config file'));
  if (builder === 'rattler-build' && exclusiveConfigFiles.length > 0) {
    throw new RecipeBuildError(
      'exclusiveConfigFiles is a conda-build option; rattler-build takes variantConfigFiles only.',
    );
  }
  if (builder === 'rattler-build' && (options.mambabuild || options.packageFormat)) {
    throw new RecipeBuildError(
      'mambabuild and packageFormat are conda-build options; remove them for a rattler-build recipe.',
    );
  }

  const image: ImageChoice = options.image
    ? { kind: 'ref', ref: checked(() => validateImageRef(options.image, 'image')) }
    : options.imageProject
      ? { kind: 'project', project: options.imageProject, target: orDefault(options.imageTarget, 'imageTarget') }
      : { kind: 'ref', ref: DEFAULT_BASE_IMAGE };

  let channels: string[];
  try {
    channels = normalizeChannels(options.channels);
  } catch (e) {
    if (e instanceof ChannelOptionError) throw new RecipeBuildError(e.message);
    throw e;
  }
  if (options.skipExisting && channels.length === 0) {
    throw new RecipeBuildError(
      'skipExisting needs upstream channels to look in: set `channels` (plugin option or executor option).',
    );
  }

  const stagingRoot = resolve(root, orDefault(options.stagingRoot, 'stagingRoot'));
  const sharedStagingDir = options.sharedStagingDir ? resolve(root, options.sharedStagingDir) : undefined;
  // The staging folder is mounted writable in the container: never the workspace, a folder above it, or an output folder.
  for (const [option, dir] of [
    ['stagingRoot', stagingRoot],
    ['sharedStagingDir', sharedStagingDir],
  ] as const) {
    if (dir === undefined) continue;
    if (within(root, dir) || within(dir, outputDir) || within(outputDir, dir)) {
      throw new RecipeBuildError(
        `${option} ${JSON.stringify(dir)} must be a folder of its own: not the workspace or a folder above it, not holding or inside the output folder, ` +
          'since builds can write anything there.',
      );
    }
  }
  if (options.sharedStagingDir) {
    // Mounted whole in every build that shares it: compared by real path with every folder of ours (see shared-staging.ts).
    const problem = sharedStagingProblem(root, options.sharedStagingDir, protectedFolders(root, stagingRoot, context));
    if (problem)
      throw new RecipeBuildError(
        `sharedStagingDir ${JSON.stringify(options.sharedStagingDir)} is refused: ${problem}. Every build that shares it can write ` +
          'anything there, so it must be a folder of its own (for example tmp/conda-bld, or an absolute path outside the workspace).',
      );
  }
  const network = options.network || undefined;
  if (network) checked(() => validateNetwork(network));

  const lockTimeoutSeconds = options.lockTimeoutSeconds;
  if (!(lockTimeoutSeconds >= 0))
    throw new RecipeBuildError(`lockTimeoutSeconds must be 0 or more, got ${lockTimeoutSeconds}.`);
  const hardening: Hardening = {
    memory: options.memory || undefined,
    cpus: options.cpus || undefined,
    pidsLimit: options.pidsLimit,
    noNewPrivileges: options.noNewPrivileges,
    // Relative mount sources are made absolute against the workspace, whatever folder the engine later runs in.
    runArgs: checked(() => validateRunArgs(options.runArgs, environment, root)),
  };
  checked(() => hardeningArgs(hardening, environment, root));

  const timeoutSeconds = options.timeoutSeconds;
  if (!(timeoutSeconds >= 0)) throw new RecipeBuildError(`timeoutSeconds must be 0 or more, got ${timeoutSeconds}.`);

  return {
    projectName,
    projectRoot: project.root,
    recipeDir,
    recipeFile,
    builder,
    outputPath,
    outputDir,
    image,
    engine: options.engine,
    platform,
    buildArgs: options.buildArgs,
    channels,
    skipExisting: options.skipExisting,
    env,
    containerRecipe: containerPath(orDefault(options.containerRecipe, 'containerRecipe'), 'containerRecipe'),
    containerStaging: containerPath(orDefault(options.containerStaging, 'containerStaging'), 'containerStaging'),
    variantConfigFiles,
    exclusiveConfigFiles,
    mambabuild: options.mambabuild,
    packageFormat: options.packageFormat,
    skipTests: options.skipTests,
    buildScriptTemplate: options.buildScriptTemplate
      ? workspaceFile(root, options.buildScriptTemplate, 'Build script template')
      : undefined,
    network,
    hardening,
    timeoutSeconds,
    lockTimeoutSeconds,
    keepImage: options.keepImage,
    stagingRoot,
    sharedStagingDir,
    keepStaging: options.keepStaging,
    limits: checked(() => dataLimits(options)),
    verbose: options.verbose ?? context.isVerbose ?? false,
  };
}
