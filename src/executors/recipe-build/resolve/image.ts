/** The image concern of recipe-build's options: the build container's image, network, environment and paths. */
import { isAbsolute } from 'node:path';
import { validateEnvNames, validateImageRef, validateNetwork } from '../../../container/argv';
import type { ExecutorContext } from '@nx/devkit';
import { DEFAULT_BASE_IMAGE, EXECUTORS } from '../../../core/defaults';
import { OptionError } from '../../../core/errors';
import { orDefault, type RecipeBuildOptions } from './types';

export type ImageChoice = { kind: 'ref'; ref: string } | { kind: 'project'; project: string; target: string };

export interface ResolvedContainer {
  image: ImageChoice;
  network?: string;
  env: Record<string, string>;
  containerRecipe: string;
  containerStaging: string;
}

/** A path inside the container, mounted there: absolute, not /, plain characters only. */
function containerPath(options: RecipeBuildOptions, option: 'containerRecipe' | 'containerStaging'): string {
  const path = orDefault(options[option], option);
  if (!isAbsolute(path) || path === '/')
    throw new OptionError(
      option,
      `${option} must be an absolute path inside the container other than /, got "${path}".`,
    );
  if (!/^[A-Za-z0-9_./+@-]+$/.test(path) || path.split('/').includes('..'))
    throw new OptionError(
      option,
      `${option} ${JSON.stringify(path)} may hold only letters, digits and _ . / + @ - (no '..').`,
    );
  return path.replace(/\/+$/, '');
}

/**
 * The builder image this task depends on, when no option names one: the
 * docker-image target (nx-conda's executor) of another project in the
 * target's dependsOn (`builder-image:docker-image`, as the plugin infers it:
 * the dependency is the configuration, so the plugin writes no imageProject
 * option into each of 10,000 projects).
 */
export function builderImageDependency(context: ExecutorContext): { project: string; target: string } | undefined {
  const projects = context.projectsConfigurations?.projects ?? {};
  const own = context.projectName ? projects[context.projectName] : undefined;
  const dependsOn = (context.targetName && own?.targets?.[context.targetName]?.dependsOn) || [];
  const isImage = (project: string, target: string) =>
    Object.prototype.hasOwnProperty.call(projects, project) &&
    projects[project].targets?.[target]?.executor === EXECUTORS.dockerImage;
  for (const entry of dependsOn) {
    if (typeof entry === 'string') {
      if (entry.startsWith('^')) continue;
      const cut = entry.lastIndexOf(':');
      if (cut > 0 && isImage(entry.slice(0, cut), entry.slice(cut + 1)))
        return { project: entry.slice(0, cut), target: entry.slice(cut + 1) };
    } else if (Array.isArray(entry.projects) && entry.projects.length === 1 && entry.target) {
      if (isImage(entry.projects[0], entry.target)) return { project: entry.projects[0], target: entry.target };
    }
  }
  return undefined;
}

function imageChoice(options: RecipeBuildOptions, context?: ExecutorContext): ImageChoice {
  if (options.image) return { kind: 'ref', ref: validateImageRef(options.image, 'image') };
  if (options.imageProject)
    return { kind: 'project', project: options.imageProject, target: orDefault(options.imageTarget, 'imageTarget') };
  const dependency = context && builderImageDependency(context);
  if (dependency) return { kind: 'project', ...dependency };
  return { kind: 'ref', ref: DEFAULT_BASE_IMAGE };
}

export function resolveContainer(
  options: RecipeBuildOptions,
  environment: NodeJS.ProcessEnv,
  context?: ExecutorContext,
): ResolvedContainer {
  const env: Record<string, string> = { ...options.env };
  for (const name of options.passEnv) {
    const value = environment[name];
    if (value !== undefined) env[name] = value;
  }
  validateEnvNames(env, 'env');
  const network = options.network || undefined;
  return {
    image: imageChoice(options, context),
    network: network && validateNetwork(network),
    env,
    containerRecipe: containerPath(options, 'containerRecipe'),
    containerStaging: containerPath(options, 'containerStaging'),
  };
}
