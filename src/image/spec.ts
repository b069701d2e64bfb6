/**
 * What the builder image is, computed without any engine call: the rendered
 * Dockerfile, the files of its build context and the tag, a hash of all of
 * it. The recipe-build executor uses it to learn the tag a docker-image
 * target produces.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ENV_NAME, IMAGE_REF, IMAGE_REPOSITORY } from '../container/argv';
import { foreignEnginePlatform, nativeSubdir } from '../container/platform';
import { DOCKER_IMAGE_DEFAULTS, NX_CONDA_LABEL, resolveEngine, type EngineName } from '../core/defaults';
import { shellQuote } from '../text/shell';
import { renderTemplate } from '../text/template';
import type { DockerImageOptions } from './options';
import { withDefaults } from '../core/schema-defaults';
import { UserError } from '../core/errors';

/** A docker-image option that cannot make an image. */
export class ImageSpecError extends UserError {}

/** Label value of builder images (`nx-conda=builder`). */
export const BUILDER_LABEL_VALUE = 'builder';

/** Name of the copied requirements file inside the build context. */
export const REQUIREMENTS_CONTEXT_FILE = 'requirements.txt';
const REQUIREMENTS_IN_IMAGE = '/tmp/nx-conda-requirements.txt';

export const DEFAULT_DOCKERFILE_TEMPLATE = `# nx-conda builder image (default template)
FROM {{baseImage}}
{{installPackages}}
{{labels}}
`;

export interface ResolvedBuilderImage {
  /** `<imageName>:<hash12>` */
  tag: string;
  imageName: string;
  hash: string;
  baseImage: string;
  /** The rendered Dockerfile (may hold proxy credentials: mask before printing). */
  dockerfile: string;
  /** Other files of the build context, by name (the Dockerfile is not among them). */
  contextFiles: Record<string, string>;
}

export interface ResolvedDockerImageOptions {
  baseImage: string;
  imageName: string;
  packages: string[];
  buildArgs: Record<string, string>;
  network?: 'host';
  force: boolean;
  engine: EngineName;
  /** conda subdir of the image (the host's own unless set). */
  platform: string;
  /** `--platform` for the engine when `platform` is not the host's own (emulated); else undefined. */
  enginePlatform?: string;
  verbose: boolean;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Checks and defaults the options (they may come unchecked from the project graph). */
export function resolveImageOptions(options: DockerImageOptions): ResolvedDockerImageOptions {
  // Unchecked values, with the defaults of the docker-image schema.
  const o: Record<string, unknown> = withDefaults(DOCKER_IMAGE_DEFAULTS, options as Record<string, unknown>);
  const baseImage = o.baseImage;
  if (typeof baseImage !== 'string' || !IMAGE_REF.test(baseImage)) {
    throw new ImageSpecError(`baseImage '${String(baseImage)}' is not an image reference`);
  }
  const imageName = o.imageName;
  if (typeof imageName !== 'string' || !IMAGE_REPOSITORY.test(imageName)) {
    throw new ImageSpecError(
      `imageName '${String(imageName)}' is not a valid image repository (lowercase, no tag: the tag is the hash)`,
    );
  }
  const packages = o.packages;
  if (!isStringArray(packages)) throw new ImageSpecError('packages must be a list of strings');
  for (const p of packages) {
    if (!p.trim() || /[\s'\\]/.test(p)) {
      throw new ImageSpecError(`package '${p}' is not a conda package spec (no spaces, quotes or backslashes)`);
    }
  }
  const buildArgs = o.buildArgs;
  if (typeof buildArgs !== 'object' || buildArgs === null || Array.isArray(buildArgs)) {
    throw new ImageSpecError('buildArgs must be an object of NAME: value');
  }
  for (const [name, value] of Object.entries(buildArgs)) {
    if (!ENV_NAME.test(name)) throw new ImageSpecError(`build argument name '${name}' is not valid`);
    if (typeof value !== 'string') throw new ImageSpecError(`build argument '${name}' must be a string`);
  }
  const network = o.network;
  if (network !== undefined && network !== '' && network !== 'host') {
    throw new ImageSpecError(`network '${String(network)}' is not supported: use 'host' or leave it out`);
  }
  const engine = resolveEngine(o.engine, (m) => new ImageSpecError(m));
  const platform = o.platform === undefined || o.platform === '' ? nativeSubdir() : o.platform;
  if (typeof platform !== 'string' || platform === 'noarch')
    throw new ImageSpecError(
      `platform ${JSON.stringify(platform)} is not a conda subdir such as linux-64 or linux-aarch64`,
    );
  return {
    baseImage,
    imageName,
    packages,
    buildArgs: buildArgs as Record<string, string>,
    network: network === 'host' ? 'host' : undefined,
    force: o.force === true,
    engine,
    platform,
    // osx-*, win-* and unknown subdirs are refused here, before anything is built.
    enginePlatform: foreignEnginePlatform(platform),
    verbose: o.verbose === true,
  };
}

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'no_proxy'] as const;

/**
 * Proxy settings of the environment, by lowercase name. Either case may be
 * set; both with the same value is fine; different values are an error that
 * names both variables (never their values, which may hold credentials).
 */
export function findProxySettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const found: Record<string, string> = {};
  for (const lower of PROXY_VARIABLES) {
    const upper = lower.toUpperCase();
    const values = [env[lower], env[upper]].filter((v): v is string => typeof v === 'string' && v !== '');
    if (values.length === 0) continue;
    if (values.length === 2 && values[0] !== values[1]) {
      throw new ImageSpecError(`${lower} and ${upper} are both set, to different values: unset one or make them equal`);
    }
    if (/[\r\n]/.test(values[0])) throw new ImageSpecError(`${lower} contains a line break`);
    found[lower] = values[0];
  }
  return found;
}

/**
 * Proxy settings as Docker's predefined build args (`HTTP_PROXY`,
 * `http_proxy`, ...), in both cases: the image build uses them, but they
 * are not stored in the image (nor in its history), unlike `ENV` lines.
 */
export function proxyBuildArgs(proxies: Record<string, string>): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [lower, value] of Object.entries(proxies)) {
    args[lower] = value;
    args[lower.toUpperCase()] = value;
  }
  return args;
}

function readWorkspaceFile(workspaceRoot: string, path: string, option: string): string {
  if (typeof path !== 'string' || !path) throw new ImageSpecError(`${option} must be a workspace-relative path`);
  const full = isAbsolute(path) ? path : resolve(workspaceRoot, path);
  try {
    return readFileSync(full, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageSpecError(`${option} '${path}' cannot be read (${code ?? String(e)})`);
  }
}

export function imageHash(
  dockerfile: string,
  contextFiles: Record<string, string>,
  buildArgs: Record<string, string>,
  baseImageId?: string,
  platform = 'linux-64',
): string {
  const sorted = <T>(r: Record<string, T>) => Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const payload = JSON.stringify({
    v: 2,
    dockerfile,
    files: sorted(contextFiles),
    buildArgs: sorted(buildArgs),
    base: baseImageId ?? null,
    // Left out for linux-64, so the tags made before platforms existed stay valid.
    ...(platform === 'linux-64' ? {} : { platform }),
  });
  return createHash('sha256').update(payload).digest('hex');
}

/**
 * The tag, Dockerfile and context files of the builder image described by a
 * docker-image target's options. Reads the template and requirements files
 * and the proxy variables of `env`; never calls the engine. `baseImageId`, the
 * base image's id in the engine, makes a re-pulled base behind the same tag
 * give another tag.
 */
export function resolveBuilderImage(
  options: DockerImageOptions,
  workspaceRoot: string,
  env: NodeJS.ProcessEnv = process.env,
  baseImageId?: string,
): ResolvedBuilderImage {
  findProxySettings(env); // conflicting settings are an error before anything is built
  const o = resolveImageOptions(options);
  const raw = (options ?? {}) as Record<string, unknown>;
  const template =
    raw.dockerfileTemplate !== undefined && raw.dockerfileTemplate !== ''
      ? readWorkspaceFile(workspaceRoot, raw.dockerfileTemplate as string, 'dockerfileTemplate')
      : DEFAULT_DOCKERFILE_TEMPLATE;

  const contextFiles: Record<string, string> = {};
  const install: string[] = [];
  if (raw.requirementsFile !== undefined && raw.requirementsFile !== '') {
    const requirements = readWorkspaceFile(workspaceRoot, raw.requirementsFile as string, 'requirementsFile');
    // A file of comments only (as `init` creates it) installs nothing: no layer, no conda run.
    if (/^\s*[^#\s]/m.test(requirements)) {
      contextFiles[REQUIREMENTS_CONTEXT_FILE] = requirements;
      install.push(`COPY ${REQUIREMENTS_CONTEXT_FILE} ${REQUIREMENTS_IN_IMAGE}`);
      install.push(`RUN conda install -y --file ${REQUIREMENTS_IN_IMAGE}`);
    }
  }
  const packages = o.packages.map(shellQuote).join(' ');
  if (o.packages.length > 0) install.push(`RUN conda install -y ${packages}`);

  const dockerfile = renderTemplate(
    template,
    {
      baseImage: o.baseImage,
      // Kept for templates that name it: proxies reach the build as predefined build args instead (proxyBuildArgs).
      proxyEnv: '',
      installPackages: install.join('\n'),
      labels: `LABEL ${NX_CONDA_LABEL}="${BUILDER_LABEL_VALUE}"`,
      packages,
      requirementsFile: REQUIREMENTS_CONTEXT_FILE in contextFiles ? REQUIREMENTS_CONTEXT_FILE : '',
    },
    raw.dockerfileTemplate ? `dockerfileTemplate '${String(raw.dockerfileTemplate)}'` : 'the default template',
    { dropEmptyPlaceholderLines: true },
  );
  const hash = imageHash(dockerfile, contextFiles, o.buildArgs, baseImageId, o.platform);
  return {
    // One tag per platform (the engine keeps one image per tag): the platform's images live side by side.
    tag: `${o.imageName}:${hash.slice(0, 12)}${o.platform === 'linux-64' ? '' : `-${o.platform}`}`,
    imageName: o.imageName,
    hash,
    baseImage: o.baseImage,
    dockerfile,
    contextFiles,
  };
}
