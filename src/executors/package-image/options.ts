import type { ExecutorContext } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { IMAGE_REPOSITORY, validateImageRef, validateNetwork } from '../../container/argv';
import { hardeningArgs, HardeningError, type Hardening } from '../../container/hardening';
import { outputPathOf } from '../../channel/dependencies';
import { SUBDIR_PATTERN } from '../../channel/repodata';
import { normalizeChannels } from '../../channel/upstream';
import type { EngineName } from '../../core/defaults';
import { OptionError, UserError } from '../../core/errors';
import { isCondaPlatform, shownValue } from '../../core/platforms';
import { enginePlatform } from '../../container/platform';
import { withSchemaDefaults } from '../../core/schema-defaults';
import schemaJson from './schema.json';
import type { PackageImageExecutorSchema } from './schema';

/** A package-image failure a user must fix (no packages built yet, a push refused): reported without a stack. */
export class PackageImageError extends UserError {}

/** The tag is held by an image package-image did not make here for this project: never moved without force. */
export function tagHeldError(
  o: ResolvedPackageImageOptions,
  tag: string,
  id: string | undefined,
  holder: string,
): PackageImageError {
  return new PackageImageError(
    `${tag} is held by ${holder}${id ? ` (${id})` : ''}: package-image never moves a tag it did not make. ` +
      `Remove or rename that image (${o.engine} image rm ${tag}), choose another namespace, ` +
      'or set force to take the tag (the other image keeps its id and other names; it is never removed).',
  );
}

export interface ResolvedPackageImageOptions {
  projectName: string;
  outputDir: string;
  /** The platform of this image set: the primary one, or one of `platforms` (see forPlatform). */
  platform: string;
  /** Every platform that gets images, the primary (`platform`) first; one platform: as before platforms existed. */
  platforms: string[];
  /** Installer image of a platform other than the primary one, when given (else: see forPlatform). */
  platformImages: Map<string, string>;
  /** Base image of a platform other than the primary one, when given (else packageBaseImage). */
  platformBaseImages: Map<string, string>;
  installer: { kind: 'ref'; ref: string } | { kind: 'project'; project: string; target: string };
  baseImage: string;
  namespace: string;
  channels: string[];
  skipTests: boolean;
  /** `host[:port][/path]`, without a trailing slash; undefined: no push. */
  registry?: string;
  /** Push and pull without TLS verification (podman's --tls-verify=false; docker's daemon decides for itself). */
  insecureRegistry: boolean;
  force: boolean;
  network?: string;
  testTimeoutSeconds: number;
  /** The test container's limits (checked): pids, memory, cpus, no capabilities, no-new-privileges. */
  testHardening: Hardening;
  /** User the tests run as; undefined: the image's own. */
  testUser?: string;
  engine: EngineName;
  verbose: boolean;
}

/** `--user` as the engine takes it: a name or id, optionally `:group`. */
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/;

/** A registry as the engine takes it before an image name: `host[:port][/path]`. */
const REGISTRY =
  /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export function resolvePackageImageOptions(
  given: PackageImageExecutorSchema,
  context: ExecutorContext,
): ResolvedPackageImageOptions {
  const o = withSchemaDefaults(schemaJson, given ?? {});
  const projectName = context.projectName;
  if (!projectName) throw new PackageImageError('package-image must run as a project target.');
  const project = context.projectsConfigurations.projects[projectName];
  const outputDir = resolve(context.root, o.outputPath || outputPathOf(project.root));
  if (relative(context.root, outputDir).startsWith('..'))
    throw new OptionError(
      'outputPath',
      `outputPath must be inside the workspace, got ${JSON.stringify(o.outputPath)}.`,
    );
  if (!SUBDIR_PATTERN.test(o.platform))
    throw new OptionError(
      'platform',
      `platform ${JSON.stringify(o.platform)} is not a conda subdir: use noarch or <os>-<arch> (linux-64, osx-arm64, ...).`,
    );
  const platforms = platformsOf(o.platform, o.platforms);
  const platformImages = imagesByPlatform(o.platformImages, 'platformImages', platforms);
  const platformBaseImages = imagesByPlatform(o.platformBaseImages, 'platformBaseImages', platforms);
  if (!IMAGE_REPOSITORY.test(o.namespace))
    throw new OptionError(
      'namespace',
      `namespace ${JSON.stringify(o.namespace)} is not an image namespace (lowercase, no tag).`,
    );
  const installer = o.image
    ? ({ kind: 'ref', ref: validateImageRef(o.image, 'image') } as const)
    : o.imageProject
      ? ({ kind: 'project', project: o.imageProject, target: o.imageTarget } as const)
      : undefined;
  if (!installer)
    throw new OptionError(
      'image',
      'no installer image: set image (an image with conda) or imageProject (the plugin sets it to its builder image project).',
    );
  const channels = normalizeChannels(o.channels);
  const registry = o.registry ? o.registry.replace(/\/+$/, '') : undefined;
  if (registry !== undefined && !REGISTRY.test(registry))
    throw new OptionError('registry', `registry ${JSON.stringify(o.registry)} is not host[:port][/path].`);
  const network = o.network;
  if (network) validateNetwork(network);
  if (!(o.testTimeoutSeconds >= 0))
    throw new OptionError('testTimeoutSeconds', `testTimeoutSeconds must be 0 or more, got ${o.testTimeoutSeconds}.`);
  const baseImage = validateImageRef(o.packageBaseImage, 'packageBaseImage');
  const testHardening: Hardening = {
    memory: o.testMemory || undefined,
    cpus: o.testCpus || undefined,
    pidsLimit: o.testPidsLimit,
    noNewPrivileges: true,
    runArgs: ['--cap-drop=ALL'],
  };
  try {
    hardeningArgs(testHardening);
  } catch (e) {
    const option = e instanceof HardeningError ? e.option : '';
    const name = { memory: 'testMemory', cpus: 'testCpus', pidsLimit: 'testPidsLimit' }[option] ?? 'testMemory';
    throw new OptionError(name, `${name}: ${(e as Error).message}`);
  }
  if (o.testUser && !USER.test(o.testUser))
    throw new OptionError('testUser', `testUser ${JSON.stringify(o.testUser)} is not name|uid[:group|gid].`);
  if (!existsSync(outputDir))
    throw new PackageImageError(
      `${relative(context.root, outputDir)} does not exist: build the packages first (nx run ${projectName}:build-recipe).`,
    );
  return {
    projectName,
    outputDir,
    platform: o.platform,
    platforms,
    platformImages,
    platformBaseImages,
    installer,
    baseImage,
    namespace: o.namespace,
    channels,
    skipTests: o.skipTests,
    registry,
    insecureRegistry: o.insecureRegistry,
    force: o.force,
    network: o.network || undefined,
    testTimeoutSeconds: o.testTimeoutSeconds,
    testHardening,
    testUser: o.testUser || undefined,
    engine: o.engine,
    verbose: o.verbose ?? context.isVerbose ?? false,
  };
}

/** `platform` first, then the other platforms of `platforms` (each a conda platform a Linux container builds). */
function platformsOf(primary: string, given: unknown): string[] {
  if (given === undefined) return [primary];
  if (!Array.isArray(given))
    throw new OptionError('platforms', `platforms must be a list of conda platforms, got ${shownValue(given)}.`);
  const all = [primary];
  for (const value of given) {
    if (!isCondaPlatform(value) || value === 'noarch')
      throw new OptionError(
        'platforms',
        `platforms holds ${shownValue(value)}, which is not a conda platform (linux-64, linux-aarch64, ...).`,
      );
    try {
      enginePlatform(value);
    } catch (e) {
      throw new OptionError('platforms', `platforms: ${(e as Error).message}`);
    }
    if (!all.includes(value)) all.push(value);
  }
  return all;
}

/** A map from a platform of `platforms` (not the primary one) to an image reference, checked. */
function imagesByPlatform(given: unknown, option: string, platforms: string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (given === undefined) return out;
  if (!given || typeof given !== 'object' || Array.isArray(given))
    throw new OptionError(option, `${option} must map a platform to an image, got ${shownValue(given)}.`);
  for (const [platform, image] of Object.entries(given)) {
    if (!platforms.slice(1).includes(platform))
      throw new OptionError(
        option,
        `${option} names ${shownValue(platform)}, which is not one of the other platforms (${platforms.slice(1).join(', ') || 'none: set platforms'}).`,
      );
    out.set(platform, validateImageRef(image, `${option}.${platform}`));
  }
  return out;
}

/**
 * The options of one platform's images: its installer (given in
 * platformImages; else the image project's `<imageTarget>-<platform>`
 * target, as init makes it; else the same image, whose architecture
 * make-image checks) and its base image (platformBaseImages, else
 * packageBaseImage, checked the same way).
 */
export function forPlatform(o: ResolvedPackageImageOptions, platform: string): ResolvedPackageImageOptions {
  if (platform === o.platforms[0]) return o;
  const given = o.platformImages.get(platform);
  const installer = given
    ? ({ kind: 'ref', ref: given } as const)
    : o.installer.kind === 'project'
      ? ({ kind: 'project', project: o.installer.project, target: `${o.installer.target}-${platform}` } as const)
      : o.installer;
  return { ...o, platform, installer, baseImage: o.platformBaseImages.get(platform) ?? o.baseImage };
}
