import type { ExecutorContext } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { constants, createReadStream, openSync } from 'node:fs';
import { join, relative } from 'node:path';
import { goLive, logger } from '../../core/logger';
import { listChannelPackages } from '../../channel/staging';
import { ownedSubdirs } from '../../channel/output';
import { assertCanRun, checkEngine, inspectImage, workspaceId } from '../../container';
import { platformTag, type PlatformImage } from '../../image/manifest-plan';
import { runExecutor } from '../run-executor';
import {
  forPlatform,
  PackageImageError,
  resolvePackageImageOptions,
  tagHeldError,
  type ResolvedPackageImageOptions,
} from './options';
import {
  foreignHolder,
  isUpToDate,
  PACKAGE_LABELS,
  packageImageOf,
  packageLabels,
  sharedTags,
  type PackageImage,
} from '../../image/package-plan';
import type { PackageImageExecutorSchema } from './schema';

/** A lookup that takes longer than this is an engine that does not answer. */
const LOOKUP_TIMEOUT_MS = 60_000;

/**
 * nx-conda:package-image: one tested image per package file of the
 * project's output folder (see schema.json). An image whose labels name the
 * same package file (sha256), this workspace and a test state that will do
 * is reused with no container and no build: a rerun with nothing changed
 * hashes the package files and runs one `image inspect` per package file
 * (all at once), nothing else. What builds (make-image.ts: the channel, the
 * test reader, YAML) is loaded only when an image has to be made.
 */
export default async function packageImageExecutor(
  options: PackageImageExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runExecutor(async () => {
    await packageImageTask(options, context);
  });
}

/** How a package-image task that succeeded ended, as the batch's closing line counts it. */
export const MADE = 'made';
export const UP_TO_DATE = 'up to date';
export const NO_PACKAGE = 'with no package';

/** Makes (or reuses) the images of one project's packages and says which; throws to fail. */
export async function packageImageTask(options: PackageImageExecutorSchema, context: ExecutorContext): Promise<string> {
  const started = Date.now();
  const o = resolvePackageImageOptions(options, context);
  const images = platformImagesOf(o, context.root);
  if (images.length === 0) {
    logger.info(
      `nx-conda: ${relative(context.root, o.outputDir)} holds no package for ${o.platforms.join(', ')} or noarch (a skipped build?): no image to make.`,
    );
    return NO_PACKAGE;
  }
  refuseSharedTags(images);
  const workspace = workspaceId(context.root);
  const found = await lookUp(o, workspace, images);
  for (const f of found) if (f.holder && !o.force) throw tagHeldError(o, f.image.tag, f.previous, f.holder);

  const summary: string[] = [];
  const todo = found.filter((f) => !f.reused);
  for (const f of found)
    if (f.reused) summary.push(`  ${f.image.tag}  reused (${f.image.subdir}/${f.image.file} unchanged)`);
  // Another architecture runs emulated: without a handler, fail at once saying what to install.
  for (const platform of o.platforms) if (todo.some((f) => f.image.platform === platform)) assertCanRun(platform);
  // Image builds, tests and pushes take long: in a batch, their output streams live.
  if (todo.length > 0 || o.registry) goLive();
  if (todo.length > 0) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when an image is made (see above)
    const { makeImages } = require('./make-image') as typeof import('./make-image');
    // One build context per platform: its channel holds that platform's packages and noarch.
    for (const platform of o.platforms) {
      const mine = todo.filter((f) => f.image.platform === platform);
      if (mine.length) summary.push(...(await makeImages(forPlatform(o, platform), context, workspace, mine)));
    }
  }
  if (o.registry) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only with a registry
    const { pushAll } = require('./push') as typeof import('./push');
    summary.push(...(await pushAll(o, images, workspace)));
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  logger.info(
    `nx-conda: ${images.length} package image(s) for ${o.projectName} in ${seconds} s:\n${summary.join('\n')}`,
  );
  return todo.length > 0 ? MADE : UP_TO_DATE;
}

/** A package file, its sha256, the image that has its tag now (if any) and whether that image will do. */
export interface Found {
  image: PlatformImage;
  sha256: string;
  /** Id of the image that has the tag now. */
  previous?: string;
  /** Who holds the tag, when it is not an image package-image made here for this project (see foreignHolder). */
  holder?: string;
  reused: boolean;
}

/**
 * The package files' hashes and the images their tags name, all at once.
 * No engine check first: a lookup that fails asks the engine why (checkEngine
 * says what to do), so a working engine costs one call per tag.
 */
async function lookUp(o: ResolvedPackageImageOptions, workspace: string, images: PlatformImage[]): Promise<Found[]> {
  try {
    return await Promise.all(
      images.map(async (image) => {
        const [sha256, current] = await Promise.all([
          sha256Of(join(o.outputDir, image.subdir, image.file)),
          inspectImage(o.engine, image.tag, { timeoutMs: LOOKUP_TIMEOUT_MS }),
        ]);
        const reused =
          !o.force &&
          current !== undefined &&
          isUpToDate(current.labels, packageLabelsWanted(workspace, o, image, sha256)) &&
          testsWillDo(current.labels, o);
        const holder = current ? foreignHolder(current.labels, workspace, o.projectName) : undefined;
        return { image, sha256, previous: current?.id, holder, reused };
      }),
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e; // the package file, not the engine
    await checkEngine(o.engine); // throws what is wrong with the engine, if that is it
    throw e;
  }
}

/** One tag per package file: files of one build in two formats (or two subdirs) are refused, named. */
function refuseSharedTags(images: PackageImage[]): void {
  const groups = sharedTags(images);
  if (groups.length === 0) return;
  const [first] = groups;
  throw new PackageImageError(
    `${first.map((i) => `${i.subdir}/${i.file}`).join(' and ')} would both be the image ${first[0].tag} ` +
      '(one tag per package file): keep one format of each build in the output folder (recipe-build packageFormat), ' +
      'remove the other file, and run again.',
  );
}

/**
 * The images to make: for the primary platform, one per package file of its
 * subdir and noarch/ (as before platforms existed); for each other platform
 * of `platforms`, one per package file of its subdir, tagged with the
 * platform (platformTag). With several platforms, each must have packages.
 */
function platformImagesOf(o: ResolvedPackageImageOptions, root: string): PlatformImage[] {
  const [primary] = o.platforms;
  const packages = listChannelPackages(o.outputDir);
  const images: PlatformImage[] = [];
  const without: string[] = [];
  for (const platform of o.platforms) {
    const subdirs = platform === primary ? ownedSubdirs(platform) : [platform];
    const mine = packages.filter((p) => subdirs.includes(p.subdir));
    if (mine.length === 0) without.push(platform);
    images.push(...mine.map(({ subdir, file }) => checkedImage(o, subdir, file, platform)));
  }
  if (images.length > 0 && without.length > 0) {
    const folder = relative(root, o.outputDir);
    throw new PackageImageError(
      `${without.map((p) => `${folder}/${p}`).join(' and ')} ${without.length === 1 ? 'holds' : 'hold'} no package, ` +
        `but ${o.projectName} gets images for ${o.platforms.join(', ')} (platforms): build ${without
          .map((p) => `nx run ${o.projectName}:build-recipe${p === primary ? '' : `-${p}`}`)
          .join(
            ' and ',
          )} first (a build skipped by skipExisting leaves no package), or leave ${without.join(', ')} out of platforms.`,
    );
  }
  return images;
}

function checkedImage(o: ResolvedPackageImageOptions, subdir: string, file: string, platform: string): PlatformImage {
  try {
    const image = packageImageOf(o.namespace, subdir, file);
    return { ...image, platform, plainTag: image.tag, tag: platformTag(image.tag, platform, o.platforms[0]) };
  } catch (e) {
    throw new PackageImageError(`${subdir}/${file} cannot name an image: ${(e as Error).message}`);
  }
}

function packageLabelsWanted(
  workspace: string,
  o: ResolvedPackageImageOptions,
  image: PackageImage,
  sha256: string,
): Record<string, string> {
  const all = packageLabels(workspace, o.projectName, image.file, sha256, 'passed');
  delete (all as Record<string, string | undefined>)[PACKAGE_LABELS.tests];
  return all;
}

/** An image whose tests were skipped will not do once tests are wanted. */
function testsWillDo(labels: Map<string, string>, o: ResolvedPackageImageOptions): boolean {
  return o.skipTests || labels.get(PACKAGE_LABELS.tests) !== 'skipped';
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  // O_NOFOLLOW: the file was seen as a regular file; a link put there since is refused.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  for await (const chunk of createReadStream('', { fd })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
