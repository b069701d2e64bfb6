import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import {
  DEFAULT_OUTPUT_ROOT,
  DEFAULT_PLATFORM,
  DEFAULT_TARGETS,
  EXECUTORS,
  IMAGE_IDENTITY_FILE,
  LINT_OUTPUT_ROOT,
} from '../core/defaults';
import { usesRepository } from '../lint/config';
import { builderOf, RECIPE_FORMATS } from '../core/formats';
import type { RecipeInfo } from '../recipes';
import { PLUGIN_VERSION } from '../core/version';
import type { NormalizedOptions } from './options';
import type { PlatformPlan } from './platform-edges';

/*
 * What each project carries is paid by every Nx command: at 10,000 recipes
 * Nx moves every inferred configuration out of the plugin worker, merges it
 * property by property (one source-map entry per property and array item),
 * hands it to createDependencies again and writes it to its graph cache.
 * So a target carries only what Nx needs to schedule, hash and cache it, and
 * options only where they differ from the executor's defaults (each executor
 * derives the recipe, the builder and its output folder from the project
 * root). See docs/benchmarks.md, "What each project carries".
 */

/**
 * The named input `init` writes into nx.json and adds to the `default` named
 * input: what every build reads besides its recipe folder (the variant files
 * at the workspace root and, in a workspace whose builds use the builder
 * image of an image project, that image's identity as docker-image writes
 * it). nx.json itself, where recipe-build reads the plugin options, is in
 * every task's hash already. When `default` holds it, build-recipe needs no
 * `inputs` at all: Nx's own default (`default` and `^default`) is the recipe
 * folder, the recipe folders of its dependencies, and these.
 *
 * No runtime input for nx-conda's version (Nx hashes the executor's package, see version-hash.ts): Nx
 * runs a runtime input's command again at each of the hashing rounds of a
 * run, which cost 4 s of an affected run of 440 tasks.
 */
export const RECIPE_GLOBALS_INPUT = 'condaGlobals';

/** The builder image's identity (a dependentTasksOutputFiles input: hashed once docker-image has run). */
export const IMAGE_IDENTITY_INPUT = { dependentTasksOutputFiles: `**/${IMAGE_IDENTITY_FILE}` };

export type NamedInput = string | { dependentTasksOutputFiles: string };

/**
 * `imageIdentity`: the workspace builds in an image project's image. Only
 * then: an input on dependencies' outputs makes Nx hash each task only when
 * its dependencies have run (0.7 s more hashing in an affected run of 440).
 */
export function recipeGlobalsDefinition(imageIdentity: boolean): NamedInput[] {
  return [
    ...Object.values(RECIPE_FORMATS).map((f) => `{workspaceRoot}/${f.variantFile}`),
    ...(imageIdentity ? [IMAGE_IDENTITY_INPUT] : []),
  ];
}

/** What the plugin needs to know of the workspace beyond its options. */
export interface WorkspaceShape {
  /** nx.json defines RECIPE_GLOBALS_INPUT and its `default` named input holds it. */
  defaultHasRecipeGlobals: boolean;
  /** ...and it holds the builder image's identity. */
  globalsHaveImageIdentity: boolean;
  /** Nx hashes nx-conda's version into every task by itself (see version-hash.ts); else it is a tag. */
  versionHashedByNx?: boolean;
}

/** The shape of the workspace as nx.json says it. */
export function workspaceShape(
  namedInputs: Record<string, unknown> | undefined,
  versionHashedByNx = false,
): WorkspaceShape {
  const byDefault = namedInputs?.default;
  const globals = namedInputs?.[RECIPE_GLOBALS_INPUT];
  const defaultHasRecipeGlobals =
    Array.isArray(globals) && Array.isArray(byDefault) && byDefault.includes(RECIPE_GLOBALS_INPUT);
  return {
    defaultHasRecipeGlobals,
    versionHashedByNx,
    globalsHaveImageIdentity:
      defaultHasRecipeGlobals &&
      (globals as unknown[]).some(
        (g) =>
          g !== null &&
          typeof g === 'object' &&
          (g as Record<string, unknown>).dependentTasksOutputFiles === IMAGE_IDENTITY_INPUT.dependentTasksOutputFiles,
      ),
  };
}

/** `<root>/<leaf>` as an output path from the workspace root, `{projectRoot}` standing for the project's folder. */
function underProject(base: string, root: string, leaf: string): string {
  return root === '.' ? `{workspaceRoot}/${base}/${leaf}` : `{workspaceRoot}/${base}/{projectRoot}/${leaf}`;
}

/** The files given by option (variant, exclusive, template) that a build reads: each is an input. */
function optionFiles(opts: NormalizedOptions, builder: string): Record<string, string[] | string> {
  const out: Record<string, string[] | string> = {};
  if (opts.variantConfigFiles.length) out.variantConfigFiles = opts.variantConfigFiles;
  if (opts.exclusiveConfigFiles.length && builder !== 'rattler-build')
    out.exclusiveConfigFiles = opts.exclusiveConfigFiles;
  if (opts.buildScriptTemplate) out.buildScriptTemplate = opts.buildScriptTemplate;
  return out;
}

function fileInputs(files: Record<string, string[] | string>): string[] {
  return Object.values(files)
    .flat()
    .map((f) => `{workspaceRoot}/${f}`);
}

/** The project of one recipe folder, with its inferred targets. */
export function recipeProject(
  root: string,
  file: string,
  projectName: string,
  info: RecipeInfo,
  opts: NormalizedOptions,
  workspace: WorkspaceShape = { defaultHasRecipeGlobals: false, globalsHaveImageIdentity: false },
  plan?: PlatformPlan,
): ProjectConfiguration {
  const builder = builderOf(info.format);
  const outputRoot = opts.outputRoot;
  const buildOptions: Record<string, unknown> = {};
  if (outputRoot !== DEFAULT_OUTPUT_ROOT) buildOptions.outputPath = root === '.' ? outputRoot : `${outputRoot}/${root}`;
  if (opts.platform !== DEFAULT_PLATFORM) buildOptions.platform = opts.platform;
  const files = optionFiles(opts, builder);
  Object.assign(buildOptions, files);

  // The builder image is the docker-image target this one depends on (the executor reads it from
  // dependsOn): no imageProject option in every project.
  const dependsOn: TargetConfiguration['dependsOn'] & unknown[] = plan?.primaryDependencies
    ? [...plan.primaryDependencies]
    : [`^${opts.buildTargetName}`];
  const image = opts.images[builder] ?? opts.image;
  const usesImageProject = !image && opts.imageProject !== undefined;
  if (image) buildOptions.image = image;
  else if (opts.imageProject) dependsOn.push(`${opts.imageProject}:${DEFAULT_TARGETS.dockerImage}`);
  if (opts.engine) buildOptions.engine = opts.engine;
  // channels and skipExisting are read by the executor from this registration in nx.json (which Nx
  // hashes into every task).
  if (opts.lintTargetName && opts.lintBeforeBuild) dependsOn.push(opts.lintTargetName);

  const extraFiles = fileInputs(files);
  // Nx's default inputs (`default`, `^default`) when nx.json's `default` holds condaGlobals (with the
  // builder image's identity when the build uses an image project's image).
  const slim = workspace.defaultHasRecipeGlobals && (!usesImageProject || workspace.globalsHaveImageIdentity);
  const inputs: TargetConfiguration['inputs'] = slim
    ? extraFiles.length
      ? ['default', '^default', ...extraFiles]
      : undefined
    : [
        '{projectRoot}/**/*',
        // A dependency's recipe changes what this recipe builds against: rebuild on it too.
        '^default',
        ...recipeGlobalsDefinition(usesImageProject),
        ...extraFiles,
      ];

  const build: TargetConfiguration = {
    executor: EXECUTORS.recipeBuild,
    cache: true,
    dependsOn,
    ...(inputs ? { inputs } : {}),
    // Only the subdirs the build owns: a recipe nested in this one's folder has
    // its own output folder inside this one's, which must not be cached here.
    outputs: [underProject(outputRoot, root, 'noarch'), underProject(outputRoot, root, opts.platform)],
    ...(Object.keys(buildOptions).length ? { options: buildOptions } : {}),
  };
  const targets: Record<string, TargetConfiguration> = { [opts.buildTargetName]: build };
  for (const { platform, dependencies } of plan?.targets ?? []) {
    const lint = opts.lintTargetName && opts.lintBeforeBuild ? [opts.lintTargetName] : [];
    const imageTarget = usesImageProject ? [`${opts.imageProject}:${DEFAULT_TARGETS.dockerImage}-${platform}`] : [];
    targets[`${opts.buildTargetName}-${platform}`] = {
      executor: EXECUTORS.recipeBuild,
      cache: true,
      dependsOn: [...dependencies, ...imageTarget, ...lint],
      ...(inputs ? { inputs } : {}),
      // Its own subdir only: the primary build owns noarch/ and its platform's folder.
      outputs: [underProject(outputRoot, root, platform)],
      options: { ...buildOptions, platform },
      metadata: {
        description: `Build this recipe for ${platform} (it lists ${platform} in extra: additional-platforms)`,
      },
    };
  }
  if (opts.lintTargetName) {
    targets[opts.lintTargetName] = lintTarget(root, opts, workspace);
    // Built for another platform: the lint reads its dependencies' recipes (additional_platform_requirement).
    if (plan?.targets.length) targets[opts.lintTargetName].inputs!.push('^default');
  }
  if (opts.packageImageTargetName)
    targets[opts.packageImageTargetName] = packageImageTarget(
      buildOptions,
      opts,
      (plan?.targets ?? []).map((t) => t.platform),
    );
  if (opts.purgeTargetName) targets[opts.purgeTargetName] = purgeTarget(projectName, buildOptions, opts);
  // bump-recipe finds the recipe in the project root itself; never cached (the upstream changes).
  if (opts.bumpTargetName) targets[opts.bumpTargetName] = { executor: EXECUTORS.bumpRecipe };
  // Where Nx does not hash the plugin's version by itself (version-hash.ts), it is a tag: Nx hashes a
  // project's tags into its tasks' hashes (not a target's metadata: checked on Nx 24.0.6), so an upgrade
  // (new build scripts, new staging rules) rebuilds. A tag costs about 4% of the graph cache at 10,000.
  const tags = workspace.versionHashedByNx ? ['conda'] : ['conda', `nx-conda@${PLUGIN_VERSION}`];
  return { name: projectName, root, tags, targets };
}

/**
 * lint-recipe: no container, cached by the recipe folder and the lint
 * configuration (the options, which Nx hashes), except when a repository
 * check reads the channels, whose answer changes without the recipe.
 */
function lintTarget(root: string, opts: NormalizedOptions, workspace: WorkspaceShape): TargetConfiguration {
  const options: Record<string, unknown> = {};
  if (opts.platform !== DEFAULT_PLATFORM) options.platform = opts.platform;
  if (opts.lint.rules && Object.keys(opts.lint.rules).length) options.rules = opts.lint.rules;
  if (opts.channels.length) options.channels = [...opts.channels];
  if (opts.lintOtherChannels.length) options.otherChannels = [...opts.lintOtherChannels];
  if (opts.variantConfigFiles.length) options.variantConfigFiles = [...opts.variantConfigFiles];
  return {
    executor: EXECUTORS.lintRecipe,
    cache: !usesRepository(opts.lint),
    inputs: [
      workspace.defaultHasRecipeGlobals ? 'default' : '{projectRoot}/**/*',
      ...opts.variantConfigFiles.map((f) => `{workspaceRoot}/${f}`),
    ],
    outputs: [underProject(LINT_OUTPUT_ROOT, root, 'lint.json'), underProject(LINT_OUTPUT_ROOT, root, 'lint.sarif')],
    ...(Object.keys(options).length ? { options } : {}),
    metadata: { description: `Lint this recipe with bioconda's checks (no container)` },
  };
}

/**
 * package-image: one tested image per package the build made. Not cached:
 * the image lives in the engine, and the executor itself skips a package
 * whose image (by the package file's sha256) is there. A recipe built for
 * other platforms too gets their images (`platforms`, after their builds).
 */
function packageImageTarget(
  buildOptions: Record<string, unknown>,
  opts: NormalizedOptions,
  otherPlatforms: string[],
): TargetConfiguration {
  const options: Record<string, unknown> = {};
  for (const key of ['outputPath', 'platform'] as const) if (buildOptions[key]) options[key] = buildOptions[key];
  // The installer needs conda: a conda-build image when the workspace names one.
  const installer = opts.images['conda-build'] ?? opts.image ?? buildOptions.image;
  if (installer) options.image = installer;
  else if (opts.imageProject) options.imageProject = opts.imageProject;
  for (const key of ['engine', 'registry', 'packageBaseImage', 'namespace'] as const)
    if (opts[key]) options[key] = opts[key];
  if (opts.channels.length) options.channels = [...opts.channels];
  if (otherPlatforms.length) options.platforms = [opts.platform, ...otherPlatforms];
  return {
    executor: EXECUTORS.packageImage,
    cache: false,
    dependsOn: [opts.buildTargetName, ...otherPlatforms.map((p) => `${opts.buildTargetName}-${p}`)],
    ...(Object.keys(options).length ? { options } : {}),
    metadata: { description: `Build and test an image of each package ${opts.buildTargetName} made` },
  };
}

/**
 * purge-image removes what nx-conda made for this recipe: its package images
 * and the builder image it builds in (a recipe built in a given image has none).
 */
function purgeTarget(
  projectName: string,
  buildOptions: Record<string, unknown>,
  opts: NormalizedOptions,
): TargetConfiguration {
  const options: Record<string, unknown> = { packageProject: projectName };
  if (!buildOptions.image && opts.imageProject) options.imageProject = opts.imageProject;
  if (opts.namespace) options.namespace = opts.namespace;
  if (opts.engine) options.engine = opts.engine;
  return {
    executor: EXECUTORS.purgeImage,
    cache: false,
    options,
    metadata: { description: `Remove the images nx-conda made for this recipe` },
  };
}
