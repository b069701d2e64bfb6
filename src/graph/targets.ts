import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { DEFAULT_TARGETS, EXECUTORS, IMAGE_IDENTITY_FILE, LINT_OUTPUT_ROOT } from '../core/defaults';
import { usesRepository } from '../lint/config';
import { builderOf, RECIPE_FORMATS } from '../core/formats';
import type { RecipeInfo } from '../recipes';
import { PLUGIN_VERSION } from '../core/version';
import type { NormalizedOptions } from './options';

/**
 * `metadata.help` of the inferred targets, as Nx's own plugins give it: the
 * command that lists the executor's options, and an example that
 * `nx show project <name> --web` shows.
 */
const BUILD_EXAMPLE = { options: { skipTests: true, verbose: true } };
const PURGE_EXAMPLE = { options: { builderImages: true } };
const PACKAGE_IMAGE_EXAMPLE = { options: { registry: 'registry.example.org:5000', skipTests: false } };

const LINT_EXAMPLE = { options: { format: 'json' } };

/**
 * lint-recipe: no container, cached by the recipe folder and the lint
 * configuration (the options, which Nx hashes), except when a repository
 * check reads the channels, whose answer changes without the recipe.
 */
function lintTarget(root: string, file: string, projectName: string, opts: NormalizedOptions): TargetConfiguration {
  const options: Record<string, unknown> = {
    recipeFile: file,
    outputPath: root === '.' ? LINT_OUTPUT_ROOT : `${LINT_OUTPUT_ROOT}/${root}`,
    platform: opts.platform,
  };
  if (opts.lint.rules && Object.keys(opts.lint.rules).length) options.rules = opts.lint.rules;
  if (opts.channels.length) options.channels = [...opts.channels];
  if (opts.lintOtherChannels.length) options.otherChannels = [...opts.lintOtherChannels];
  if (opts.variantConfigFiles.length) options.variantConfigFiles = [...opts.variantConfigFiles];
  return {
    executor: EXECUTORS.lintRecipe,
    cache: !usesRepository(opts.lint),
    inputs: ['{projectRoot}/**/*', ...opts.variantConfigFiles.map((f) => `{workspaceRoot}/${f}`)],
    outputs: ['{options.outputPath}/lint.json', '{options.outputPath}/lint.sarif'],
    options,
    metadata: {
      technologies: ['conda'],
      nxCondaVersion: PLUGIN_VERSION,
      description: `Lint ${file} with bioconda's checks (no container)`,
      help: { command: `nx run ${projectName}:${DEFAULT_TARGETS.lintRecipe} --help`, example: LINT_EXAMPLE },
    },
  };
}

/** The project of one recipe folder, with its inferred targets. */
export function recipeProject(
  root: string,
  file: string,
  projectName: string,
  info: RecipeInfo,
  opts: NormalizedOptions,
): ProjectConfiguration {
  const builder = builderOf(info.format);
  const outputPath = root === '.' ? opts.outputRoot : `${opts.outputRoot}/${root}`;

  const dependsOn: NonNullable<TargetConfiguration['dependsOn']> = [`^${opts.buildTargetName}`];
  const inputs: NonNullable<TargetConfiguration['inputs']> = [
    '{projectRoot}/**/*',
    // A dependency's recipe changes what this recipe builds against: rebuild on it too.
    '^default',
    ...Object.values(RECIPE_FORMATS).map((f) => `{workspaceRoot}/${f.variantFile}`),
  ];
  const buildOptions: Record<string, unknown> = { outputPath, builder, platform: opts.platform };
  // Files given by option change what a build makes: each is an input too.
  for (const key of ['variantConfigFiles', 'exclusiveConfigFiles'] as const) {
    const files = key === 'exclusiveConfigFiles' && builder === 'rattler-build' ? [] : opts[key];
    if (files.length === 0) continue;
    buildOptions[key] = files;
    for (const file of files) inputs.push(`{workspaceRoot}/${file}`);
  }
  if (opts.buildScriptTemplate) {
    buildOptions.buildScriptTemplate = opts.buildScriptTemplate;
    inputs.push(`{workspaceRoot}/${opts.buildScriptTemplate}`);
  }
  const image = opts.images[builder] ?? opts.image;
  if (image) {
    // The image's identity is its reference; the builder-image project is not used.
    buildOptions.image = image;
  } else if (opts.imageProject) {
    dependsOn.push({ projects: [opts.imageProject], target: DEFAULT_TARGETS.dockerImage });
    // The builder image's identity: the files of the image project, and what
    // docker-image wrote of the image itself (tag, id, base image id), so a new
    // base image behind the same tag rebuilds.
    inputs.push({ input: 'default', projects: [opts.imageProject] });
    inputs.push({ dependentTasksOutputFiles: `**/${IMAGE_IDENTITY_FILE}` });
    buildOptions.imageProject = opts.imageProject;
  }
  if (opts.engine) buildOptions.engine = opts.engine;
  if (opts.channels.length) buildOptions.channels = [...opts.channels];
  if (opts.skipExisting) buildOptions.skipExisting = true;

  const provides = info.names.join(', ');
  const build: TargetConfiguration = {
    executor: EXECUTORS.recipeBuild,
    cache: true,
    dependsOn,
    inputs,
    // Only the subdirs the build owns: a recipe nested in this one's folder has
    // its own output folder inside this one's, which must not be cached here.
    outputs: ['{options.outputPath}/noarch', '{options.outputPath}/{options.platform}'],
    options: buildOptions,
    metadata: {
      technologies: ['conda'],
      // Nx hashes the project configuration into every task hash, so a new
      // plugin version (new build scripts, new staging rules) rebuilds. An
      // externalDependencies input would do the same only in workspaces whose
      // lockfile Nx can read, and fail every task elsewhere.
      nxCondaVersion: PLUGIN_VERSION,
      // Short: Nx copies every project configuration through its plugin
      // worker, merge, graph cache and source maps (one entry per property),
      // which a warm graph of 10,000 recipes pays for (help costs about 3%:
      // see the closing note of issue 12). outputPath is in the options.
      description: `Build ${file} with ${builder} for ${opts.platform}, in a container`,
      help: { command: `nx run ${projectName}:${opts.buildTargetName} --help`, example: BUILD_EXAMPLE },
    },
  };
  const targets: Record<string, TargetConfiguration> = { [opts.buildTargetName]: build };
  targets[DEFAULT_TARGETS.lintRecipe] = lintTarget(root, file, projectName, opts);
  if (opts.lintBeforeBuild) dependsOn.push(DEFAULT_TARGETS.lintRecipe);
  targets[opts.packageImageTargetName] = packageImageTarget(projectName, buildOptions, opts);
  // purge-image removes what nx-conda made for this recipe: its package images
  // and the builder image it builds in (a recipe built in a given image has none).
  const purgeOptions: Record<string, unknown> = { packageProject: projectName };
  if (buildOptions.imageProject) purgeOptions.imageProject = buildOptions.imageProject;
  if (opts.namespace) purgeOptions.namespace = opts.namespace;
  if (opts.engine) purgeOptions.engine = opts.engine;
  targets[opts.purgeTargetName] = {
    executor: EXECUTORS.purgeImage,
    cache: false,
    options: purgeOptions,
    metadata: {
      technologies: ['conda'],
      description: buildOptions.imageProject
        ? `Remove the package images package-image made for ${projectName} in this workspace, and the builder image ${buildOptions.imageProject} made (its hash tag)`
        : `Remove the package images package-image made for ${projectName} in this workspace`,
      help: { command: `nx run ${projectName}:${opts.purgeTargetName} --help`, example: PURGE_EXAMPLE },
    },
  };
  return {
    name: projectName,
    root,
    projectType: 'library',
    tags: ['conda', `conda:${builder}`],
    targets,
    metadata: {
      technologies: ['conda'],
      description: `conda recipe ${file} (${provides})`,
      targetGroups: { conda: Object.keys(targets) },
    },
  };
}

/**
 * package-image: one tested image per package the build made. Not cached:
 * the image lives in the engine, and the executor itself skips a package
 * whose image (by the package file's sha256) is there.
 */
function packageImageTarget(
  projectName: string,
  buildOptions: Record<string, unknown>,
  opts: NormalizedOptions,
): TargetConfiguration {
  const options: Record<string, unknown> = { outputPath: buildOptions.outputPath, platform: opts.platform };
  // The installer needs conda: a conda-build image when the workspace names one.
  const installer = opts.images['conda-build'] ?? opts.image ?? buildOptions.image;
  if (installer) options.image = installer;
  else if (opts.imageProject) options.imageProject = opts.imageProject;
  for (const key of ['engine', 'registry', 'packageBaseImage', 'namespace'] as const)
    if (opts[key]) options[key] = opts[key];
  if (opts.channels.length) options.channels = [...opts.channels];
  return {
    executor: EXECUTORS.packageImage,
    cache: false,
    dependsOn: [opts.buildTargetName],
    options,
    metadata: {
      technologies: ['conda', 'docker'],
      description: `Build and test a container image of each package ${opts.buildTargetName} made (installed at /usr/local)`,
      help: { command: `nx run ${projectName}:${opts.packageImageTargetName} --help`, example: PACKAGE_IMAGE_EXAMPLE },
    },
  };
}
