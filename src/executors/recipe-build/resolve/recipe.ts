/** The recipe concern of recipe-build's options: which project, which recipe, which builder, which files. */
import type { ExecutorContext } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SUBDIR_PATTERN } from '../../../channel/repodata';
import { OptionError } from '../../../core/errors';
import { builderOf, FORMATS, formatOfBuilder, RECIPE_FORMATS, type Builder } from '../../../core/formats';
import { shownName } from '../../../recipes';
import { RecipeBuildError } from '../errors';
import { orDefault, type RecipeBuildOptions } from './types';

export interface ResolvedRecipe {
  projectName: string;
  projectRoot: string;
  recipeDir: string;
  recipeFile: string;
  builder: Builder;
  platform: string;
  variantConfigFiles: string[];
  exclusiveConfigFiles: string[];
  buildScriptTemplate?: string;
}

/** C0 and C1 controls, DEL, and the bidi-format characters that reorder what a terminal shows. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNPRINTABLE = /[\0-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** A file an option names, relative to the workspace; it must exist. */
function workspaceFile(root: string, path: string, option: string): string {
  const absolute = resolve(root, path);
  if (!existsSync(absolute))
    throw new OptionError(option, `${option}: ${path} does not exist (looked for ${absolute}); fix the path.`);
  return absolute;
}

/** The builder of the recipe file in `recipeDir` (recipe.yaml wins over meta.yaml, as in the graph). */
function detectBuilder(recipeDir: string): Builder | undefined {
  const format = FORMATS.find((f) => existsSync(join(recipeDir, RECIPE_FORMATS[f].file)));
  return format && builderOf(format);
}

/** The project's name, checked before it reaches log lines, container names and folder names. */
function checkedProjectName(context: ExecutorContext): string {
  const projectName = context.projectName;
  if (!projectName)
    throw new RecipeBuildError('recipe-build must run as a project target (no project name in the executor context).');
  // Defence in depth (the graph refuses recipe names that are not conda package names): no control or
  // bidi-format character, never a leading `-`.
  if (UNPRINTABLE.test(projectName) || projectName.startsWith('-'))
    throw new RecipeBuildError(
      `project name ${shownName(projectName)} holds control characters or starts with "-": rename the project.`,
    );
  return projectName;
}

export function resolveRecipe(options: RecipeBuildOptions, context: ExecutorContext): ResolvedRecipe {
  const projectName = checkedProjectName(context);
  const project = context.projectsConfigurations.projects[projectName];
  const root = context.root;
  const recipeDir = resolve(root, options.recipeDir || project.root);
  const shown = relative(root, recipeDir) || '.';
  if (!existsSync(recipeDir)) {
    if (options.recipeDir)
      throw new OptionError('recipeDir', `recipeDir: recipe folder ${shown} does not exist; fix the path.`);
    throw new RecipeBuildError(`Recipe folder ${shown} of project ${projectName} does not exist.`);
  }

  const builder = options.builder ?? detectBuilder(recipeDir);
  if (!builder)
    throw new RecipeBuildError(`No meta.yaml or recipe.yaml in ${shown}: nothing to build for project ${projectName}.`);
  const { file: recipeFile, variantFile } = RECIPE_FORMATS[formatOfBuilder(builder)];
  if (!existsSync(join(recipeDir, recipeFile)))
    throw new OptionError(
      'builder',
      `builder ${builder} needs ${recipeFile}, which ${shown} does not hold; set builder to the recipe's builder or leave it unset.`,
    );

  const platform = orDefault(options.platform, 'platform');
  if (!SUBDIR_PATTERN.test(platform))
    throw new OptionError(
      'platform',
      `platform ${JSON.stringify(platform)} is not a conda subdir: use noarch or <os>-<arch> (linux-64, linux-aarch64, osx-arm64, win-64, ...).`,
    );

  const variantConfigFiles = options.variantConfigFiles.length
    ? options.variantConfigFiles.map((f) => workspaceFile(root, f, 'variantConfigFiles'))
    : existsSync(join(root, variantFile))
      ? [join(root, variantFile)]
      : [];
  const exclusiveConfigFiles = options.exclusiveConfigFiles.map((f) => workspaceFile(root, f, 'exclusiveConfigFiles'));
  if (builder === 'rattler-build') {
    if (exclusiveConfigFiles.length > 0)
      throw new OptionError(
        'exclusiveConfigFiles',
        'exclusiveConfigFiles is a conda-build option; rattler-build takes variantConfigFiles only.',
      );
    for (const option of ['mambabuild', 'packageFormat'] as const)
      if (options[option])
        throw new OptionError(option, `${option} is a conda-build option; remove it for a rattler-build recipe.`);
  }
  return {
    projectName,
    projectRoot: project.root,
    recipeDir,
    recipeFile,
    builder,
    platform,
    variantConfigFiles,
    exclusiveConfigFiles,
    buildScriptTemplate: options.buildScriptTemplate
      ? workspaceFile(root, options.buildScriptTemplate, 'buildScriptTemplate')
      : undefined,
  };
}
