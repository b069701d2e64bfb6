/** The image concern of recipe-build's options: the build container's image, network, environment and paths. */
import { isAbsolute } from 'node:path';
import { validateEnvNames, validateImageRef, validateNetwork } from '../../../container/argv';
import { DEFAULT_BASE_IMAGE } from '../../../core/defaults';
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

function imageChoice(options: RecipeBuildOptions): ImageChoice {
  if (options.image) return { kind: 'ref', ref: validateImageRef(options.image, 'image') };
  if (options.imageProject)
    return { kind: 'project', project: options.imageProject, target: orDefault(options.imageTarget, 'imageTarget') };
  return { kind: 'ref', ref: DEFAULT_BASE_IMAGE };
}

export function resolveContainer(options: RecipeBuildOptions, environment: NodeJS.ProcessEnv): ResolvedContainer {
  const env: Record<string, string> = { ...options.env };
  for (const name of options.passEnv) {
    const value = environment[name];
    if (value !== undefined) env[name] = value;
  }
  validateEnvNames(env, 'env');
  const network = options.network || undefined;
  return {
    image: imageChoice(options),
    network: network && validateNetwork(network),
    env,
    containerRecipe: containerPath(options, 'containerRecipe'),
    containerStaging: containerPath(options, 'containerStaging'),
  };
}
