/**
 * The build of one recipe-build task, shared by the per-task executor and
 * the batch: options, platform skip, skipExisting, engine and image checks,
 * locks, the build in staging, the summary. What a batch does once for all
 * its tasks (engine check, leftovers, image lookup, upstream indexes, image
 * removal) goes through a BuildSession, which remembers it.
 */
import { namingFullDisk } from '../../core/disk-full';
import type { ExecutorContext } from '@nx/devkit';
import { goLive, logger } from '../../core/logger';
import { join, relative } from 'node:path';
import { recoverOutput, withDirectoryLock, withOutputLock, writeSkipRecord, type LookupOptions } from '../../channel';
import { workspaceSecret } from '../../channel/secret';
import {
  checkEngine,
  describeLeftovers,
  imageId,
  recordRun,
  removeImage,
  removeLeftovers,
  assertCanRun,
  foreignEnginePlatform,
  imagePlatform,
  type EngineName,
} from '../../container';
import { builderImageTagOf } from '../../image';
import type { SubdirRecords } from '../../channel/package-cache';
import { fillAfterBuild } from './package-cache';
import { fillBeforeBuild } from './presolve';
import { RecipeBuildError, resolveOptions, type ResolvedOptions } from './options';
import { skipIfPublished } from './skip-existing';
import type { RecipeBuildExecutorSchema } from './schema';
import { assertNoSkippedDependency, skipForPlatform } from './skip';
import {
  assembleStaging,
  collectPackages,
  type CollectedBuild,
  makeBuildDirs,
  ownFolders,
  removeBuildDirs,
  renderScript,
  runBuild,
  snapshotBeforeRun,
} from './steps';

/** What the builds of one process share; one per task outside a batch, one per batch in it. */
export interface BuildSession {
  /** The engine check, once per engine. */
  checkEngine(engine: EngineName): Promise<void>;
  /** The removal of what ended runs left, once per engine; the report prints once. */
  clearLeftovers(engine: EngineName, root: string, stagingRoot: string): Promise<() => void>;
  /** The image to build in, looked up once per engine and image choice. */
  chooseImage(resolved: ResolvedOptions, context: ExecutorContext): Promise<string>;
  /** Upstream indexes read so far, by channel and subdir. */
  loaded: NonNullable<LookupOptions['loaded']>;
  /** Builder images to remove once the session's builds are done (keepImage: false). */
  imagesToRemove: Map<string, ResolvedOptions>;
  /** Upstream records (sizes, sha256) read for the package cache, by channel and subdir. */
  records: Map<string, Promise<SubdirRecords>>;
}

function once<T>(memo: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = memo.get(key);
  if (!value) {
    value = make();
    memo.set(key, value);
  }
  return value;
}

export function newBuildSession(): BuildSession {
  const engines = new Map<string, Promise<void>>();
  const leftovers = new Map<string, Promise<() => void>>();
  const images = new Map<string, Promise<string>>();
  return {
    checkEngine: (engine) => once(engines, engine, () => checkEngine(engine)),
    clearLeftovers: (engine, root, stagingRoot) =>
      once(leftovers, `${engine}\n${stagingRoot}`, async () => {
        const report = await clearLeftovers(engine, root, stagingRoot);
        let printed = false;
        return () => {
          if (!printed) report();
          printed = true;
        };
      }),
    chooseImage: (resolved, context) =>
      once(images, `${resolved.engine}\n${resolved.platform}\n${JSON.stringify(resolved.image)}`, () =>
        chooseImage(resolved, context),
      ),
    loaded: new Map(),
    imagesToRemove: new Map(),
    records: new Map(),
  };
}

/** Removes the builder images the session's builds asked to remove (keepImage: false). */
export async function endBuildSession(session: BuildSession): Promise<void> {
  for (const [image, resolved] of session.imagesToRemove) await removeBuilderImage(resolved, image);
  session.imagesToRemove.clear();
}

/** How a recipe-build task that succeeded ended, as the batch's closing line counts it. */
export const BUILT = 'built';
export const PUBLISHED = 'already published';
export const skippedFor = (platform: string) => `skipped for ${platform}`;

/** Builds (or skips) one recipe-build task and says which; throws to fail it. */
export async function buildRecipeTask(
  options: RecipeBuildExecutorSchema,
  context: ExecutorContext,
  session: BuildSession,
): Promise<string> {
  const started = Date.now();
  const resolved = resolveOptions(options, context);
  const skip = skipForPlatform(resolved, context.root);
  if (skip) {
    writeSkipRecord(resolved.outputDir, skip, resolved.ownedSubdirs);
    logger.info(
      `nx-conda: skipped ${resolved.projectName} for ${resolved.platform}: ${skip.recipe} says build: skip there. ` +
        `No container was run; ${relative(context.root, resolved.outputDir)} holds an empty channel.`,
    );
    return skippedFor(resolved.platform);
  }
  if (resolved.skipExisting && (await skipIfPublished(resolved, context.root, session.loaded))) return PUBLISHED;
  assertNoSkippedDependency(resolved, context);
  // osx-*/win-* are refused, and another architecture without an emulator fails now, saying what to install.
  assertCanRun(resolved.platform);
  // A real build from here on: in a batch, its output streams live.
  goLive();
  // Three independent engine round trips (a client start each), at once.
  // The engine check speaks first: its message says best what is wrong.
  const checked = session.checkEngine(resolved.engine);
  const leftovers = session.clearLeftovers(resolved.engine, context.root, resolved.stagingRoot);
  const chosen = session.chooseImage(resolved, context);
  chosen.catch(() => undefined); // read below, after the engine check
  await checked;
  (await leftovers)();
  const image = await chosen;
  const build = () => {
    // A run killed while it swapped the output subdirs left the previous ones aside: put them back first.
    recoverOutput(resolved.outputDir);
    return buildInStaging(resolved, image, context, session);
  };
  const holder = `project ${resolved.projectName} of ${context.root}`;
  const lockOptions = { holder, timeoutSeconds: resolved.lockTimeoutSeconds };
  // Always the project's own lock first, then the shared staging channel's: one order, no deadlock.
  const built = await withOutputLock(
    resolved.outputDir,
    () =>
      resolved.sharedStagingDir
        ? withDirectoryLock(resolved.sharedStagingDir, build, {
            ...lockOptions,
            onWait: (other) =>
              logger.info(
                `nx-conda: waiting for ${other} to release the shared staging channel ${resolved.sharedStagingDir}`,
              ),
          })
        : build(),
    {
      ...lockOptions,
      secret: workspaceSecret(context.root),
      what: `the output folder ${relative(context.root, resolved.outputDir)}`,
      onWait: (other) =>
        logger.info(`nx-conda: waiting for ${other}, which builds ${resolved.projectName} into the same output folder`),
    },
  );
  printSummary(resolved, image, built, context.root, started);
  if (!resolved.keepImage && resolved.image.kind === 'project') session.imagesToRemove.set(image, resolved);
  return BUILT;
}

/**
 * What crashed runs of this workspace left (containers, staging folders)
 * goes first, in one line; a failure here is a warning, never the build's.
 * Gives the report to print, once the engine is known to answer.
 */
async function clearLeftovers(engine: EngineName, root: string, stagingRoot: string): Promise<() => void> {
  try {
    const found = await removeLeftovers(engine, root, { stagingRoot });
    return () => {
      if (found.containers.length > 0 || found.folders.length > 0) {
        logger.info(
          `nx-conda: removed what ended runs of this workspace left behind: ${describeLeftovers(root, found)}`,
        );
      }
      for (const failure of found.failures) logger.warn(`nx-conda: could not remove the leftover ${failure}`);
    };
  } catch (error) {
    return () => logger.warn(`nx-conda: could not look for containers left by ended runs: ${(error as Error).message}`);
  }
}

/**
 * keepImage: false, as bioconda's RecipeBuilder cleanup: best effort, since a
 * parallel build may still use the image (the engine then refuses), and the
 * packages are already built.
 */
async function removeBuilderImage(resolved: ResolvedOptions, image: string): Promise<void> {
  try {
    await removeImage(resolved.engine, image);
    logger.info(`nx-conda: removed builder image ${image} (keepImage: false)`);
  } catch (error) {
    logger.warn(`nx-conda: kept builder image ${image}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The image to build in: an explicit ref (the engine may pull it), or the builder image of the image project, which must exist. */
async function chooseImage(resolved: ResolvedOptions, context: ExecutorContext): Promise<string> {
  const image = await imageToUse(resolved, context);
  await assertImagePlatform(resolved, image);
  return image;
}

/**
 * For another architecture than the host's, the image must be of it: else the
 * engine looks for that platform's image in a registry and fails with a
 * network error that says nothing of the cause.
 */
async function assertImagePlatform(resolved: ResolvedOptions, image: string): Promise<void> {
  const wanted = foreignEnginePlatform(resolved.platform);
  if (!wanted) return;
  const actual = await imagePlatform(resolved.engine, image);
  if (actual === undefined || actual === wanted) return; // absent: the engine pulls it for that platform
  throw new RecipeBuildError(
    `image ${image} is ${actual}, not ${wanted}: ${resolved.projectName} is built for ${resolved.platform}. ` +
      `Build in that platform's builder image (its docker-image target with platform: ${resolved.platform}, ` +
      `in this target's dependsOn, or imageTarget), or set image to an image of ${wanted}.`,
  );
}

async function imageToUse(resolved: ResolvedOptions, context: ExecutorContext): Promise<string> {
  if (resolved.image.kind === 'ref') return resolved.image.ref;
  const { project, target } = resolved.image;
  const tag = await builderImageTagOf(context.projectGraph, context.root, project, target, resolved.engine);
  if (!(await imageId(resolved.engine, tag))) {
    throw new RecipeBuildError(
      `Builder image ${tag} is not in ${resolved.engine}. Build it with \`nx run ${project}:${target}\`; the tag is computed from ` +
        `the options of ${project}:${target} in the project graph (a configuration or command-line option given to that target makes another tag).`,
    );
  }
  return tag;
}

/** The steps of a build, in order; the staging folders are removed whatever happens (unless kept). */
async function buildInStaging(
  resolved: ResolvedOptions,
  image: string,
  context: ExecutorContext,
  session: BuildSession,
): Promise<CollectedBuild> {
  const stagingShown = relative(context.root, resolved.sharedStagingDir ?? resolved.stagingRoot) || '.';
  const stagingOption = resolved.sharedStagingDir ? 'sharedStagingDir' : 'stagingRoot';
  const dirs = namingFullDisk(
    stagingShown,
    `making the staging folders of ${resolved.projectName}`,
    stagingOption,
    () => makeBuildDirs(resolved, context.root),
  );
  const forget = recordRun(context.root, ownFolders(resolved, dirs));
  try {
    const prepared = namingFullDisk(
      stagingShown,
      `filling the staging channel of ${resolved.projectName}`,
      stagingOption,
      () => {
        assembleStaging(resolved, dirs.staging, context.projectGraph, context.root);
        return renderScript(resolved, dirs, context.root);
      },
    );
    // rattler-build keeps no package files: the cache is filled from a solve first (README: The package cache).
    const { prepared: ready, solved } = dirs.ownCache
      ? await fillBeforeBuild(resolved, image, prepared, dirs.ownCache, session.records)
      : { prepared, solved: [] };
    const before = snapshotBeforeRun(resolved, dirs.staging);
    await runBuild(resolved, image, ready, context.root, stagingShown);
    const collected = namingFullDisk(
      relative(context.root, resolved.outputDir),
      `collecting the packages of ${resolved.projectName} (its previous packages are still there)`,
      'outputPath',
      () => collectPackages(resolved, dirs.staging, before),
    );
    if (dirs.ownCache) await fillAfterBuild(resolved, image, dirs.ownCache, session.records, solved);
    return collected;
  } finally {
    removeBuildDirs(resolved, dirs);
    forget(); // kept folders (keepStaging) are the user's now, not leftovers
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function printSummary(
  resolved: ResolvedOptions,
  image: string,
  { collected, dropped }: CollectedBuild,
  root: string,
  started: number,
): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lines = collected.map(
    ({ subdir, file, size }) => `  ${relative(root, join(resolved.outputDir, subdir, file))}  (${formatSize(size)})`,
  );
  // File names checked by collection (conda package names: no path, no control character); a few of them.
  const shown = dropped.slice(0, 5).map((p) => p.file);
  if (dropped.length > shown.length) shown.push(`${dropped.length - shown.length} more`);
  const left = dropped.length
    ? `; left out ${dropped.length} noarch package(s) it also made (${shown.join(', ')}): ` +
      `noarch/ of ${relative(root, resolved.outputDir)} is the ${resolved.primaryPlatform} build's`
    : '';
  logger.info(
    `nx-conda: built ${collected.length} package(s) for ${resolved.projectName} with ${resolved.builder} in ${seconds} s (image ${image})${left}:\n${lines.join('\n')}`,
  );
}
