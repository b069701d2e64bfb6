/**
 * Pure builders of engine command lines. Nothing here spawns anything, so
 * the unit tests cover exactly what the engine will be asked to do.
 */
import { randomBytes } from 'node:crypto';
import { NX_CONDA_LABEL } from '../core/defaults';
import { OptionError } from '../core/errors';
import { followClient } from './follow';
import { maskCredentials } from './secrets';
import { isReservedEnvName } from './engine-env';
import { hardeningArgs } from './hardening';
import type { BuildImageOptions, ContainerFilter, ImageFilter, Mount, RunOptions } from './types';

/** Environment variable (and build argument) names. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const REPOSITORY_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
/** An image repository without tag or digest: `[host[:port]/]component(/component)*`, lowercase. */
export const IMAGE_REPOSITORY = new RegExp(
  `^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${REPOSITORY_COMPONENT}(?:/${REPOSITORY_COMPONENT})*$`,
);

/**
 * An image reference as the engine takes it on a command line: a name,
 * `name:tag`, `name@sha256:...` or an image id. Never starting with `-` (it
 * would become an option of the engine), no whitespace or control
 * characters.
 */
export const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/;

export function validateImageRef(ref: unknown, what = 'image'): string {
  if (typeof ref !== 'string' || !IMAGE_REF.test(ref) || ref.length > 512) {
    throw new OptionError(
      what,
      `${what} ${JSON.stringify(ref)} is not an image reference (letters, digits and . _ / : @ + -, starting with a letter or digit; never an engine option)`,
    );
  }
  return ref;
}

/** A network name or mode for `--network`: host, none, bridge, a user network; never an engine option. */
export const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function validateNetwork(network: string): string {
  if (!NETWORK_NAME.test(network)) {
    throw new OptionError(
      'network',
      `network ${JSON.stringify(network)} is not a network name (host, none, bridge or a network's name)`,
    );
  }
  return network;
}

export { isReservedEnvName };

export function validateEnvNames(env: Record<string, string> | undefined, what: string): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw new OptionError(what, `${what} name '${name}' is not a valid variable name (letters, digits, _)`);
    }
    if (isReservedEnvName(name)) {
      throw new OptionError(
        what,
        `${what} '${name}' cannot be passed: its value travels through the engine client's environment, where ${name} has its own meaning`,
      );
    }
    if (typeof value !== 'string') {
      throw new OptionError(what, `${what} '${name}' must be a string`);
    }
  }
}

/** Container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, unique per call. */
export function containerName(namePrefix: string | undefined, random = randomBytes(6).toString('hex')): string {
  let prefix = (namePrefix ?? 'nx-conda').replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[^a-zA-Z0-9]+/, '');
  if (!prefix) prefix = 'nx-conda';
  prefix = prefix.slice(0, 100);
  return `${prefix}-${random}`;
}

export function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
}

export function mountArg(m: Mount): string {
  for (const [what, path] of [
    ['host', m.host],
    ['container', m.container],
  ] as const) {
    if (!path) throw new Error(`mount has an empty ${what} path`);
    if (/[,\n]/.test(path))
      throw new Error(`mount ${what} path '${path}' contains a comma or newline, which the engine cannot take`);
  }
  return `type=bind,source=${m.host},target=${m.container}${m.readOnly ? ',readonly' : ''}`;
}

/** An engine platform `os/arch[/variant]` such as linux/arm64. */
export function validatePlatform(platform: string): string {
  if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(platform))
    throw new Error(`engine platform ${JSON.stringify(platform)} is not os/arch (such as linux/arm64)`);
  return platform;
}

/** `<engine> run ...` arguments (without the engine itself). */
export function runArgv(o: RunOptions, name: string): string[] {
  if (!o.image) throw new Error('runContainer: image is empty');
  validateImageRef(o.image);
  if (!o.command || o.command.length === 0) throw new Error('runContainer: command is empty');
  validateEnvNames(o.env, 'environment variable');
  const labels: Record<string, string> = { [NX_CONDA_LABEL]: 'run', ...(o.labels ?? {}) };
  // --interactive: stdin stays attached to our process, so the container can follow it (see follow.ts).
  const args = ['run', '--rm', '--init', '--interactive', '--name', name, ...labelArgs(labels)];
  if (o.network) args.push(`--network=${validateNetwork(o.network)}`);
  if (o.platform) args.push(`--platform=${validatePlatform(o.platform)}`);
  if (o.user) args.push('--user', o.user);
  if (o.workdir) args.push('--workdir', o.workdir);
  for (const m of o.mounts ?? []) args.push('--mount', mountArg(m));
  for (const envName of Object.keys(o.env ?? {})) args.push('--env', envName);
  args.push(...hardeningArgs(o.hardening ?? {}));
  args.push(o.image, ...followClient(o.command));
  return args;
}

/** `<engine> build ...` arguments (without the engine itself). */
export function buildArgv(o: BuildImageOptions, dockerfilePath: string): string[] {
  if (!o.tags || o.tags.length === 0) throw new Error('buildImage: no tag given');
  validateEnvNames(o.buildArgs, 'build argument');
  const args = ['build', '--file', dockerfilePath];
  for (const tag of o.tags) args.push('--tag', validateImageRef(tag, 'tag'));
  if (o.network) args.push(`--network=${validateNetwork(o.network)}`);
  if (o.platform) args.push(`--platform=${validatePlatform(o.platform)}`);
  if (o.noCache) args.push('--no-cache');
  // Docker's legacy builder keeps the container of a failed step unless told not to.
  args.push('--force-rm');
  if (o.keepLayers === false && o.engine === 'podman') args.push('--layers=false');
  for (const name of Object.keys(o.buildArgs ?? {})) args.push('--build-arg', name);
  if (!o.labelledByDockerfile) args.push(...labelArgs({ [NX_CONDA_LABEL]: 'image', ...(o.labels ?? {}) }));
  args.push(o.contextDir);
  return args;
}

export function imageListArgv(filter: ImageFilter): string[] {
  const args = ['image', 'ls', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'];
  for (const label of typeof filter.label === 'string' ? [filter.label] : (filter.label ?? []))
    args.push('--filter', `label=${label}`);
  if (filter.reference) args.push('--filter', `reference=${filter.reference}`);
  return args;
}

/**
 * Refs from `image ls` output (`repo:tag id` lines): untagged images are
 * given by id so that they can still be removed.
 */
export function parseImageList(stdout: string, normalizeRef: (ref: string) => string = (r) => r): string[] {
  const refs: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const [ref, id] = trimmed.split(/\s+/);
    const untagged = !ref || ref.includes('<none>');
    const value = untagged ? id : normalizeRef(ref);
    if (value && !refs.includes(value)) refs.push(value);
  }
  return refs;
}

/**
 * Does an image ref (`repo:tag`, as parseImageList gives it) match a
 * `reference` filter as Docker matches it: the pattern against `repo`, or
 * against `repo:tag` when the pattern has a tag; `*` stays within one path
 * segment. podman's own filter also lists every other name of a matching
 * image (the base image it shares an id with, a user's second tag), which
 * must never be taken for one of ours.
 */
export function matchesReference(ref: string, reference: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
  const { minimatch } = require('minimatch') as typeof import('minimatch');
  const at = ref.lastIndexOf(':');
  if (at <= ref.lastIndexOf('/')) return false; // an id or an untagged ref: never a name match
  const repository = ref.slice(0, at);
  const hasTag = reference.lastIndexOf(':') > reference.lastIndexOf('/');
  return minimatch(hasTag ? ref : repository, reference, { dot: true });
}

export function containerListArgv(filter: ContainerFilter): string[] {
  const args = ['container', 'ls', '--all', '--format', '{{.Names}}'];
  if (filter.label) args.push('--filter', `label=${filter.label}`);
  return args;
}

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./{}-]+$/;

export { maskCredentials };

/** A copy-pasteable shell rendering of a command (credentials in URLs masked). */
export function formatCommand(file: string, args: string[]): string {
  return [file, ...args]
    .map((a) => maskCredentials(a))
    .map((a) => (a !== '' && SAFE_ARG.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}
