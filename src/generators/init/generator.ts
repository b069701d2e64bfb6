/**
 * `nx g nx-conda:init` (also what `nx add nx-conda` runs, with no options).
 *
 * - registers the plugin in nx.json (once: a string entry or an object entry
 *   with `plugin: 'nx-conda'` both count), pointing it at the image project;
 * - creates the builder-image project (project.json with a `docker-image`
 *   target, a commented requirements file);
 * - sets the recipe generator's default format (`--builder`) in nx.json's
 *   `generators`, keeping the plugin options for the plugin;
 * - ignores the output root and the staging folder in .gitignore.
 *
 * Idempotent: a second run with the same options changes nothing. An option
 * given explicitly on a later run (`--baseImage`, `--engine`, `--builder`)
 * replaces the value written before; an omitted one never does, so
 * `nx add nx-conda` never undoes a customization.
 *
 * No targetDefaults are written: the inferred `build-recipe` target already
 * carries `cache: true`, its inputs, outputs and dependsOn, so a default
 * would only duplicate (and could shadow) what the plugin infers.
 */
import * as path from 'node:path';
import {
  addProjectConfiguration,
  formatFiles,
  generateFiles,
  getProjects,
  logger,
  readNxJson,
  updateNxJson,
  updateProjectConfiguration,
  visitNotIgnoredFiles,
  writeJson,
  type ProjectGraph,
  type NxJsonConfiguration,
  type PluginConfiguration,
  type ProjectConfiguration,
  type Tree,
} from '@nx/devkit';
import {
  DEFAULT_BASE_IMAGE,
  DEFAULT_IMAGE_PROJECT,
  DEFAULT_OUTPUT_ROOT,
  DEFAULT_PLATFORM,
  DEFAULT_TARGETS,
  ENGINES,
  EXECUTORS,
  resolveEngine,
  type EngineName,
  IMAGE_IDENTITY_ROOT,
} from '../../core/defaults';
import type { InitGeneratorSchema } from './schema';
import { schemaDefault, withSchemaDefaults } from '../../core/schema-defaults';
import schemaJson from './schema.json';
import { addPlugin } from '@nx/devkit/internal';
import { createNodes } from '../../graph';
import { formatOfFile } from '../../core/formats';
import { normalizeOptions as normalizeGraphOptions, recipeEdges } from '../../graph';
import { readWorkspaceRecipes } from '../../graph/recipes-state';
import { RECIPE_GLOBALS_INPUT, recipeGlobalsDefinition, recipeProject } from '../../graph/targets';
import { CHANNEL_PROJECT, ensureChannelProject } from './channel-project';
import { extraPlatformsOf } from '../../graph/options';
import {
  PLUGIN_NAME,
  RECIPE_GENERATOR_KEY,
  STAGING_ROOT,
  findPluginRegistration,
  normalizeDirectory,
  readDefaultRecipeFormat,
  readPluginOptions,
  type NxCondaPluginOptions,
} from '../utils';
import { BUILDERS, formatOfBuilder, isBuilder, type Builder } from '../../core/formats';

export const DEFAULT_IMAGE_PROJECT_ROOT: string = schemaDefault(schemaJson, 'directory');

export interface DockerImageTargetOptions {
  baseImage: string;
  engine?: EngineName;
  requirementsFile?: string;
  imageName?: string;
}

interface NormalizedOptions {
  baseImage?: string;
  /** `--platforms`, checked: written to the plugin options. */
  platforms?: string[];
  builder?: Builder;
  engine?: EngineName;
  directory: string;
  skipFormat: boolean;
}

export async function initGenerator(tree: Tree, schema: InitGeneratorSchema = {}): Promise<void> {
  const options = normalizeOptions(schema ?? {});
  if (!tree.exists('nx.json')) writeJson(tree, 'nx.json', {});
  // As Nx's own plugins: NX_ADD_PLUGINS=false or useInferencePlugins: false
  // means explicit targets in project.json instead of a plugin registration.
  const addPlugin =
    schema.addPlugin ?? (process.env.NX_ADD_PLUGINS !== 'false' && readNxJson(tree)?.useInferencePlugins !== false);
  const added = addPlugin && findPluginRegistration(readNxJson(tree) ?? {}) < 0;
  if (added) await addInferencePlugin(tree, options);

  // The plugin entry and the recipe generator's default, tidied once and written once.
  const nxJson: NxJsonConfiguration = readNxJson(tree) ?? {};
  const before = JSON.stringify(nxJson);
  const imageProject = addPlugin ? registerPlugin(nxJson, options, added) : DEFAULT_IMAGE_PROJECT;
  setRecipeFormatDefault(nxJson, options.builder);
  if (addPlugin) addRecipeGlobals(nxJson, imageProject !== undefined);
  if (JSON.stringify(nxJson) !== before) updateNxJson(tree, nxJson);

  if (imageProject) {
    ensureImageProject(tree, imageProject, options);
    ensurePlatformImageTargets(tree, imageProject, readPluginOptions(nxJson));
  }
  if (options.builder === 'rattler-build' && !options.baseImage) {
    warnIfNoRattlerBuildImage(tree, nxJson, imageProject);
  }

  if (!addPlugin) writeExplicitTargets(tree, imageProject ?? DEFAULT_IMAGE_PROJECT, options);
  ensureChannelProject(tree, readPluginOptions(nxJson).buildTargetName ?? DEFAULT_TARGETS.buildRecipe);
  ensureChannelGathersPlatforms(tree, readPluginOptions(nxJson));

  const outputRoot = readPluginOptions(nxJson).outputRoot ?? DEFAULT_OUTPUT_ROOT;
  addToGitignore(tree, [outputRoot, STAGING_ROOT]);

  if (!options.skipFormat) {
    await formatFiles(tree);
  }
}

export default initGenerator;

/**
 * Target names tried in turn by addPlugin when a project already has a target
 * of that name. Besides build-recipe, init turns on the lint and package-image
 * targets (inferred only when named: see the plugin's options); purge-image
 * is the builder-image project's, with the project as an argument.
 */
const TARGET_NAME_CHOICES = {
  buildTargetName: [
    DEFAULT_TARGETS.buildRecipe,
    `conda:${DEFAULT_TARGETS.buildRecipe}`,
    `conda-${DEFAULT_TARGETS.buildRecipe}`,
  ],
  lintTargetName: [
    DEFAULT_TARGETS.lintRecipe,
    `conda:${DEFAULT_TARGETS.lintRecipe}`,
    `conda-${DEFAULT_TARGETS.lintRecipe}`,
  ],
  packageImageTargetName: [
    DEFAULT_TARGETS.packageImage,
    `conda:${DEFAULT_TARGETS.packageImage}`,
    `conda-${DEFAULT_TARGETS.packageImage}`,
  ],
};

/**
 * Registers the plugin with @nx/devkit's addPlugin, as Nx's own plugins do:
 * it runs the plugin over the workspace and picks target names that no
 * project at a recipe folder already has. The projects it checks are those
 * of the Tree (project.json and package.json), so it works in a dry run and
 * never starts the daemon.
 */
async function addInferencePlugin(tree: Tree, options: NormalizedOptions): Promise<void> {
  const nodes: ProjectGraph['nodes'] = {};
  for (const [name, project] of getProjects(tree)) {
    nodes[name] = { name, type: project.projectType === 'application' ? 'app' : 'lib', data: project };
  }
  await addPlugin<NxCondaPluginOptions>(
    tree,
    { nodes, dependencies: {} },
    PLUGIN_NAME,
    createNodes,
    {
      ...TARGET_NAME_CHOICES,
      imageProject: [DEFAULT_IMAGE_PROJECT],
      ...(options.engine === 'podman' ? { engine: ['podman' as const] } : {}),
    },
    false,
  );
}

/**
 * Without the inference plugin (NX_ADD_PLUGINS=false, useInferencePlugins:
 * false): each recipe folder gets a project.json with the targets the plugin
 * would infer and its recipe dependencies as implicitDependencies. A folder
 * that already has a project.json is left alone. Run init again after
 * adding recipes or changing requirements.
 */
function writeExplicitTargets(tree: Tree, imageProject: string, options: NormalizedOptions): void {
  const files: string[] = [];
  visitNotIgnoredFiles(tree, '.', (file) => {
    if (formatOfFile(file)) files.push(file.replace(/\\/g, '/'));
  });
  const opts = normalizeGraphOptions({
    imageProject,
    lintTargetName: DEFAULT_TARGETS.lintRecipe,
    packageImageTargetName: DEFAULT_TARGETS.packageImage,
    ...(options.engine ? { engine: options.engine } : {}),
  });
  const state = readWorkspaceRecipes(tree.root, files, opts);
  const nameOf = (root: string) => state.byRoot.get(root)?.projectName;
  const dependsOn = new Map<string, string[]>();
  for (const edge of recipeEdges(state, nameOf))
    dependsOn.set(edge.source, [...(dependsOn.get(edge.source) ?? []), edge.target]);
  for (const entry of state.byRoot.values()) {
    if (!entry.outcome.ok || !entry.projectName) continue;
    const projectJson = path.posix.join(entry.root, 'project.json');
    if (tree.exists(projectJson)) {
      logger.warn(
        `nx-conda:init: ${projectJson} exists and is kept; add the ${opts.buildTargetName} target to it yourself.`,
      );
      continue;
    }
    const project = recipeProject(entry.root, entry.file, entry.projectName, entry.outcome.info, opts);
    for (const target of Object.values(project.targets ?? {})) delete target.metadata;
    writeJson(tree, projectJson, {
      name: project.name,
      $schema: path.posix.relative(entry.root, 'node_modules/nx/schemas/project-schema.json'),
      projectType: project.projectType,
      tags: project.tags,
      implicitDependencies: dependsOn.get(entry.projectName) ?? [],
      targets: project.targets,
    });
  }
}

function normalizeOptions(schema: InitGeneratorSchema): NormalizedOptions {
  if (schema.builder !== undefined && !isBuilder(schema.builder)) {
    throw new Error(`nx-conda:init: --builder must be one of ${BUILDERS.join(', ')} (got '${schema.builder}').`);
  }
  if (schema.engine !== undefined) {
    resolveEngine(
      schema.engine,
      () => new Error(`nx-conda:init: --engine must be one of ${ENGINES.join(', ')} (got '${schema.engine}').`),
    );
  }
  const baseImage = schema.baseImage?.trim();
  if (schema.baseImage !== undefined && (!baseImage || /\s/.test(baseImage))) {
    throw new Error(
      `nx-conda:init: --baseImage must be an image reference without spaces (got '${schema.baseImage}').`,
    );
  }
  return {
    baseImage: baseImage || undefined,
    ...(schema.platforms !== undefined ? { platforms: initPlatforms(schema.platforms) } : {}),
    builder: schema.builder,
    engine: schema.engine,
    directory: normalizeDirectory(schema.directory ?? DEFAULT_IMAGE_PROJECT_ROOT),
    skipFormat: withSchemaDefaults(schemaJson, schema).skipFormat,
  };
}

/**
 * Completes nx-conda's registration (a string entry becomes an object entry;
 * `justAdded`: the one addPlugin wrote, which lists every target name it
 * tried, so the default ones are dropped). Returns the name of the image
 * project the plugin uses, or undefined when it uses a prebuilt `image`.
 */
function registerPlugin(
  nxJson: NxJsonConfiguration,
  options: NormalizedOptions,
  justAdded: boolean,
): string | undefined {
  nxJson.plugins ??= [];
  let index = findPluginRegistration(nxJson);
  if (index < 0) index = nxJson.plugins.push(PLUGIN_NAME) - 1;
  const entry = nxJson.plugins[index];
  const pluginOptions: NxCondaPluginOptions =
    typeof entry === 'string' ? {} : { ...((entry.options ?? {}) as NxCondaPluginOptions) };
  const original = JSON.stringify(pluginOptions);
  // build-recipe is inferred under its default name without the option; the others only when named.
  if (justAdded && pluginOptions.buildTargetName === DEFAULT_TARGETS.buildRecipe) delete pluginOptions.buildTargetName;
  // A prebuilt image replaces the image project: leave that choice alone.
  const usesPrebuiltImage = pluginOptions.image !== undefined && pluginOptions.imageProject === undefined;
  if (!usesPrebuiltImage) {
    pluginOptions.imageProject ??= DEFAULT_IMAGE_PROJECT;
  }
  if (options.engine === 'podman') pluginOptions.engine = 'podman';
  if (options.engine === 'docker') delete pluginOptions.engine;
  if (options.platforms) pluginOptions.platforms = options.platforms;

  if (typeof entry === 'string' || JSON.stringify(pluginOptions) !== original) {
    nxJson.plugins[index] =
      typeof entry === 'string'
        ? ({ plugin: PLUGIN_NAME, options: pluginOptions } as PluginConfiguration)
        : ({ ...entry, options: pluginOptions } as PluginConfiguration);
  }
  if (usesPrebuiltImage) {
    logger.info(
      `nx-conda: the plugin uses the prebuilt image '${pluginOptions.image}'; no builder-image project is created.`,
    );
    return undefined;
  }
  return pluginOptions.imageProject;
}

/**
 * nx.json's named input `condaGlobals` (the root variant files and, with an
 * image project, the builder image's identity), added to the `default` named input
 * (created as Nx creates it, every file of the project and the globals, when
 * missing), so that each inferred build-recipe target needs no inputs of its
 * own (see graph/targets.ts). A `condaGlobals` the user wrote is kept as it is.
 */
function addRecipeGlobals(nxJson: NxJsonConfiguration, imageIdentity: boolean): void {
  const namedInputs = (nxJson.namedInputs ??= {});
  namedInputs[RECIPE_GLOBALS_INPUT] ??= recipeGlobalsDefinition(imageIdentity);
  const byDefault = namedInputs.default ?? ['{projectRoot}/**/*'];
  if (!byDefault.includes(RECIPE_GLOBALS_INPUT)) namedInputs.default = [...byDefault, RECIPE_GLOBALS_INPUT];
}

/** Writes `generators['nx-conda:recipe'].format`: the given builder's format,
 * or 'meta' when nothing is set yet. */
function setRecipeFormatDefault(nxJson: NxJsonConfiguration, builder: Builder | undefined): void {
  const current = readDefaultRecipeFormat(nxJson);
  const wanted = builder ? formatOfBuilder(builder) : (current ?? formatOfBuilder('conda-build'));
  if (current === wanted) return;
  const generators = (nxJson.generators ??= {}) as Record<string, Record<string, unknown>>;
  const nested = generators[PLUGIN_NAME]?.['recipe'] as Record<string, unknown> | undefined;
  if (nested && nested['format'] !== undefined && generators[RECIPE_GENERATOR_KEY]?.['format'] === undefined) {
    nested['format'] = wanted;
  } else {
    generators[RECIPE_GENERATOR_KEY] = { ...(generators[RECIPE_GENERATOR_KEY] ?? {}), format: wanted };
  }
}

function ensureImageProject(tree: Tree, name: string, options: NormalizedOptions): void {
  const existing = getProjects(tree).get(name);
  if (existing) {
    updateImageProject(tree, name, existing, options);
    return;
  }

  const root = options.directory;
  const clash = [...getProjects(tree).entries()].find(([, project]) => project.root === root);
  if (clash || tree.exists(path.posix.join(root, 'project.json'))) {
    throw new Error(
      `nx-conda:init: ${root} already holds a project${clash ? ` ('${clash[0]}')` : ''}; ` +
        `pass --directory to create the '${name}' project elsewhere.`,
    );
  }

  const requirementsFile = path.posix.join(root, 'requirements.txt');
  const targetOptions: DockerImageTargetOptions = {
    baseImage: options.baseImage ?? DEFAULT_BASE_IMAGE,
    ...(options.engine && options.engine !== 'docker' ? { engine: options.engine } : {}),
    requirementsFile,
  };
  addProjectConfiguration(tree, name, {
    name,
    root,
    targets: {
      [DEFAULT_TARGETS.dockerImage]: {
        executor: EXECUTORS.dockerImage,
        // The image lives in the engine, not in a folder Nx could restore:
        // the executor itself skips the build when the hash-tagged image exists.
        cache: false,
        // The image's identity (tag, id, base image id), which build-recipe hashes.
        outputs: [`{workspaceRoot}/${IMAGE_IDENTITY_ROOT}/{projectName}`],
        options: targetOptions,
      },
      // Package and builder images by argument: `nx run builder-image:purge-image --packageProject=foo`
      // (a per-recipe target too when the plugin option purgeTargetName is set).
      [DEFAULT_TARGETS.purgeImage]: {
        executor: EXECUTORS.purgeImage,
        cache: false,
        ...(targetOptions.engine ? { options: { engine: targetOptions.engine } } : {}),
      },
      // For a machine where something still went wrong: every container this workspace started.
      [DEFAULT_TARGETS.purgeContainers]: {
        executor: EXECUTORS.purgeImage,
        cache: false,
        options: { containers: true, ...(targetOptions.engine ? { engine: targetOptions.engine } : {}) },
      },
    },
  });
  if (!tree.exists(requirementsFile)) {
    generateFiles(tree, path.join(__dirname, 'files'), root, { tmpl: '', projectName: name });
  }
}

/** Applies explicitly given --baseImage/--engine to an existing image project. */
function updateImageProject(tree: Tree, name: string, project: ProjectConfiguration, options: NormalizedOptions): void {
  const target = project.targets?.[DEFAULT_TARGETS.dockerImage];
  if (!target || target.executor !== EXECUTORS.dockerImage) {
    logger.warn(
      `nx-conda: project '${name}' has no '${DEFAULT_TARGETS.dockerImage}' target using ${EXECUTORS.dockerImage}; left unchanged.`,
    );
    return;
  }
  const targetOptions = { ...((target.options ?? {}) as Partial<DockerImageTargetOptions>) };
  const original = JSON.stringify(targetOptions);
  if (options.baseImage) targetOptions.baseImage = options.baseImage;
  if (options.engine === 'podman') targetOptions.engine = 'podman';
  if (options.engine === 'docker') delete targetOptions.engine;
  if (JSON.stringify(targetOptions) === original) return;
  target.options = targetOptions;
  // Each platform's image target follows the primary one's base image and engine.
  for (const [name, other] of Object.entries(project.targets ?? {})) {
    if (!name.startsWith(`${DEFAULT_TARGETS.dockerImage}-`) || other.executor !== EXECUTORS.dockerImage) continue;
    const platform = (other.options as { platform?: string } | undefined)?.platform;
    other.options = { ...targetOptions, ...(platform ? { platform } : {}) };
  }
  for (const name of [DEFAULT_TARGETS.purgeContainers, DEFAULT_TARGETS.purgeImage]) {
    const purge = project.targets?.[name];
    if (purge?.executor !== EXECUTORS.purgeImage) continue;
    const { engine: _old, ...rest } = (purge.options ?? {}) as { engine?: EngineName };
    purge.options = { ...rest, ...(targetOptions.engine ? { engine: targetOptions.engine } : {}) };
  }
  updateProjectConfiguration(tree, name, project);
}

/** `--platforms` (a list, or one comma-separated text): conda platforms a Linux container builds, or an error. */
function initPlatforms(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',').map((p) => p.trim()) : value;
  const { platformProblems } = extraPlatformsOf(list, DEFAULT_PLATFORM);
  if (platformProblems.length || !Array.isArray(list))
    throw new Error(`nx-conda:init: --platforms: ${platformProblems.join('; ')}`);
  return [...new Set(list as string[])];
}

/** The platforms other than the primary one that the plugin options build. */
function extraPlatformsOfPlugin(pluginOptions: NxCondaPluginOptions): string[] {
  return extraPlatformsOf(pluginOptions.platforms, pluginOptions.platform || DEFAULT_PLATFORM).extraPlatforms;
}

/**
 * A `docker-image-<platform>` target in the image project for each other
 * platform built (the platform targets of recipes depend on it): the
 * primary target's options with `platform`, its identity in a folder of its
 * own. One that exists is left as it is.
 */
function ensurePlatformImageTargets(tree: Tree, name: string, pluginOptions: NxCondaPluginOptions): void {
  const project = getProjects(tree).get(name);
  const primary = project?.targets?.[DEFAULT_TARGETS.dockerImage];
  if (!project || primary?.executor !== EXECUTORS.dockerImage) return;
  let changed = false;
  for (const platform of extraPlatformsOfPlugin(pluginOptions)) {
    const targetName = `${DEFAULT_TARGETS.dockerImage}-${platform}`;
    if (project.targets![targetName]) continue;
    project.targets![targetName] = {
      executor: EXECUTORS.dockerImage,
      cache: false,
      outputs: [`{workspaceRoot}/${IMAGE_IDENTITY_ROOT}/${platform}/{projectName}`],
      options: { ...(primary.options ?? {}), platform },
      metadata: { description: `Build the builder image for ${platform}` },
    };
    changed = true;
  }
  if (changed) updateProjectConfiguration(tree, name, project);
}

/**
 * The channel target of conda-channel gathers every platform's packages:
 * it depends on each platform's build targets too (projects without one are
 * passed over by Nx).
 */
function ensureChannelGathersPlatforms(tree: Tree, pluginOptions: NxCondaPluginOptions): void {
  const project = getProjects(tree).get(CHANNEL_PROJECT);
  const channel = project?.targets?.channel;
  if (!project || channel?.executor !== EXECUTORS.channel) return;
  const build = pluginOptions.buildTargetName ?? DEFAULT_TARGETS.buildRecipe;
  const dependsOn = [...(channel.dependsOn ?? [])];
  const has = (target: string) => dependsOn.some((d) => typeof d === 'object' && d.target === target);
  let changed = false;
  for (const platform of extraPlatformsOfPlugin(pluginOptions)) {
    const target = `${build}-${platform}`;
    if (has(target)) continue;
    dependsOn.push({ projects: ['tag:conda'], target });
    changed = true;
  }
  if (!changed) return;
  channel.dependsOn = dependsOn;
  updateProjectConfiguration(tree, CHANNEL_PROJECT, project);
}

/**
 * `--builder rattler-build` without `--baseImage` leaves the builder image
 * on bioconda's conda-build image, which has no rattler-build: say so, unless
 * the plugin already names an image for rattler-build recipes.
 */
function warnIfNoRattlerBuildImage(tree: Tree, nxJson: NxJsonConfiguration, imageProject: string | undefined): void {
  const pluginOptions = readPluginOptions(nxJson);
  if (pluginOptions.images?.['rattler-build'] || !imageProject) return;
  const target = getProjects(tree).get(imageProject)?.targets?.[DEFAULT_TARGETS.dockerImage];
  const baseImage = (target?.options as Partial<DockerImageTargetOptions> | undefined)?.baseImage ?? DEFAULT_BASE_IMAGE;
  if (baseImage !== DEFAULT_BASE_IMAGE) return;
  logger.warn(
    `nx-conda:init: recipe.yaml recipes (rattler-build) need an image with rattler-build on its PATH, but the builder ` +
      `image '${imageProject}' is based on ${DEFAULT_BASE_IMAGE}, which has only conda-build. Run init again with ` +
      `--baseImage=<an image with rattler-build>, or set the plugin option "images": {"rattler-build": "<image>"} in nx.json.`,
  );
}

/** Appends the folders .gitignore does not cover yet (under one comment). */
export function addToGitignore(tree: Tree, folders: string[]): void {
  const content = tree.exists('.gitignore') ? (tree.read('.gitignore', 'utf-8') ?? '') : '';
  const lines = content.split(/\r?\n/);
  const missing = folders.filter((folder) => !isIgnored(lines, folder));
  if (missing.length === 0) return;
  const prefix = content === '' || content.endsWith('\n') ? content : `${content}\n`;
  const separator = prefix === '' ? '' : '\n';
  tree.write(
    '.gitignore',
    `${prefix}${separator}# nx-conda: built packages and staging channels\n${missing.map((f) => `/${f}`).join('\n')}\n`,
  );
}

/** True when a plain (glob-free) pattern of `lines` ignores `folder` or one of
 * its parents. Negations and globs are not interpreted: when in doubt, add. */
function isIgnored(lines: string[], folder: string): boolean {
  const target = folder.replace(/^\/+|\/+$/g, '');
  return lines.some((line) => {
    const pattern = line.trim();
    if (
      !pattern ||
      pattern.startsWith('#') ||
      pattern.startsWith('!') ||
      /[*?[\]]/.test(pattern.replace(/\/\*\*$/, ''))
    ) {
      return false;
    }
    const anchored = pattern.replace(/\/\*\*$/, '').replace(/^\/+|\/+$/g, '');
    // An unanchored single-segment pattern ('dist') matches at any depth,
    // including the root; a pattern with a slash is relative to the root.
    return target === anchored || target.startsWith(`${anchored}/`);
  });
}
