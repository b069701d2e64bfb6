/**
 * The part of package-image that makes images (loaded by executor.ts only
 * when an image has to be made): the channel of the project's packages and
 * its dependencies', the two-stage build, the mulled test, the tag.
 */
import type { ExecutorContext } from '@nx/devkit';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { logger } from '../../core/logger';
import { assembleStagingChannel, dependencyOutputs } from '../../channel';
import {
  buildImage,
  currentRun,
  foreignEnginePlatform,
  imageId,
  imageLabels,
  imagePlatform,
  inspectImage,
  listImages,
  masker,
  ownerLabels,
  removeImage,
  runContainer,
  tagImage,
} from '../../container';
import { builderImageTagOf } from '../../image';
import { neutraliseControls } from '../../text/terminal';
import { PackageImageError, tagHeldError, type ResolvedPackageImageOptions } from './options';
import {
  CONTAINER_TESTS,
  FAILED_MARK,
  MAX_READER_OUTPUT_BYTES,
  parseReaderOutput,
  READER_SCRIPT,
  renderTestScript,
  testSteps,
  writePackageFiles,
  type TestStep,
} from './package-tests';
import {
  channelSecrets,
  foreignHolder,
  isOurPackageImage,
  PACKAGE_LABELS,
  packageLabels,
  PREFIX,
  installStageLabel,
  renderDockerfile,
  untestedTag,
  type PackageImage,
} from '../../image/package-plan';
import type { Found } from './executor';

/** Where the package file is mounted (read-only) for the reader. */
const CONTAINER_PACKAGE = '/opt/nx-conda/package';

/** Makes the images of `todo` (in order, one build context); a summary line each. */
export async function makeImages(
  o: ResolvedPackageImageOptions,
  context: ExecutorContext,
  workspace: string,
  todo: Found[],
): Promise<string[]> {
  const summary: string[] = [];
  const installer = await installerImage(o, context);
  await assertArchitecture(o, installer, 'installer image', 'platformImages');
  await assertArchitecture(o, o.baseImage, 'base image', 'platformBaseImages');
  const contextDir = mkdtempSync(join(tmpdir(), 'nx-conda-package-image-'));
  try {
    assembleChannel(o, context, join(contextDir, 'channel'));
    for (const found of todo) {
      const outcome = await makeImage(o, context.root, workspace, installer, contextDir, found);
      summary.push(`  ${found.image.tag}  ${outcome}`);
    }
  } finally {
    rmSync(contextDir, { recursive: true, force: true });
  }
  return summary;
}

/** The image with conda that installs the package: given, or the workspace's builder image (which must exist). */
async function installerImage(o: ResolvedPackageImageOptions, context: ExecutorContext): Promise<string> {
  if (o.installer.kind === 'ref') return o.installer.ref;
  const { project, target } = o.installer;
  const tag = await builderImageTagOf(context.projectGraph, context.root, project, target, o.engine);
  if (!(await imageId(o.engine, tag)))
    throw new PackageImageError(
      `Builder image ${tag} is not in ${o.engine}: build it with \`nx run ${project}:${target}\`.`,
    );
  return tag;
}

/**
 * For another architecture than the host's, the installer and base images
 * must be of it, here: a missing one would be pulled for that platform under
 * the same tag, taking it from the host's images (the engine keeps one image
 * per tag), and one of the host's would make an image that lies about its
 * architecture. Native builds run as before, unchecked.
 */
async function assertArchitecture(
  o: ResolvedPackageImageOptions,
  image: string,
  what: string,
  option: string,
): Promise<void> {
  const wanted = foreignEnginePlatform(o.platform);
  if (!wanted) return;
  const actual = await imagePlatform(o.engine, image);
  if (actual === wanted || (actual !== undefined && actual.startsWith(`${wanted}/`))) return;
  throw new PackageImageError(
    `the ${what} ${image} of the ${o.platform} images is ${actual === undefined ? `not in ${o.engine}` : actual}, ` +
      `and they need one of ${wanted} here. Pull or build a ${wanted} image under a tag of its own ` +
      `(e.g. ${o.engine} pull --platform ${wanted} <image> && ${o.engine} tag <image> <image>-${wanted.split('/')[1]}) ` +
      `and name it in ${option}: { "${o.platform}": "<that tag>" }.`,
  );
}

/** The project's own packages and its dependencies' (as a build sees them), as one channel in the build context. */
function assembleChannel(o: ResolvedPackageImageOptions, context: ExecutorContext, dir: string): void {
  const dependencies = dependencyOutputs(context.projectGraph, o.projectName)
    .map(({ outputPath }) => resolve(context.root, outputPath))
    .filter((path) => existsSync(path));
  assembleStagingChannel(dir, [o.outputDir, ...dependencies], o.platform);
}

/**
 * Builds, tests and tags the image of one package file; says what happened.
 * `previous`, the image that had the tag, is removed once the new one takes
 * the tag, if it is ours and left without a name.
 */
async function makeImage(
  o: ResolvedPackageImageOptions,
  root: string,
  workspace: string,
  installer: string,
  contextDir: string,
  { image, sha256, previous }: Found,
): Promise<string> {
  const prefix = `[${o.projectName}] `;
  // The tests are read (a container of the installer image) while the image builds: they need each other only to test.
  const reading = o.skipTests ? undefined : readTests(o, root, installer, image);
  reading?.catch(() => undefined); // awaited below
  const testState = o.skipTests ? 'skipped' : 'passed';
  // Until its tests pass (or are skipped) and the tag is checked again, the image has only a name of its own:
  // a run killed in between leaves no tested-looking tag, and a tag taken meanwhile is never moved.
  const buildTag = untestedTag(image.name, sha256);
  const dockerfile = join(contextDir, `Dockerfile.${sha256.slice(0, 16)}`);
  const stageLabel = installStageLabel(workspace, sha256);
  const text = renderDockerfile({
    installerImage: installer,
    baseImage: o.baseImage,
    spec: image,
    channels: o.channels,
    stageLabel,
    labels: packageLabels(workspace, o.projectName, image.file, sha256, testState),
  });
  writeFileSync(dockerfile, text);
  // Printed with the channels' credentials masked (Nx keeps what is printed).
  const mask = masker(channelSecrets(o.channels));
  if (o.verbose) logger.info(`nx-conda: Dockerfile for ${image.tag}:\n${mask(text)}`);
  logger.info(
    `nx-conda: building ${image.tag} from ${image.subdir}/${image.file} (installer ${installer}, base ${o.baseImage})`,
  );
  try {
    await buildImage({
      engine: o.engine,
      contextDir,
      dockerfile,
      tags: [buildTag],
      network: o.network,
      platform: foreignEnginePlatform(o.platform),
      labelledByDockerfile: true,
      // force: solved and installed again, not taken from the engine's layer cache.
      noCache: o.force,
      // Nothing but the final image stays (podman); the install stage goes by its label (docker's legacy builder).
      keepLayers: false,
      logPrefix: prefix,
      verbose: o.verbose,
      secrets: channelSecrets(o.channels),
    });
  } catch (e) {
    (await reading?.catch(() => undefined))?.cleanup();
    await removeInstallStage(o, stageLabel);
    throw e;
  }
  // The install stage goes while the tests run; awaited before this returns or throws.
  const stageGone = removeInstallStage(o, stageLabel);
  try {
    return await testAndTag();
  } finally {
    await stageGone;
  }

  async function testAndTag(): Promise<string> {
    if (!reading) {
      await takeTag(o, workspace, buildTag, image.tag, previous);
      logger.warn(`nx-conda: tests of ${image.file} NOT run (skipTests): ${image.tag} is untested`);
      return 'built, tests skipped (skipTests)';
    }
    let steps: number;
    try {
      const tests = await reading;
      steps = tests.steps.length;
      if (steps === 0) {
        tests.cleanup();
        logger.warn(`nx-conda: ${image.file} carries no test: ${image.tag} has nothing to run`);
      } else await runTests(o, root, buildTag, image, tests);
    } catch (e) {
      await removeImage(o.engine, buildTag, { force: true }).catch(() => undefined);
      throw e;
    }
    await takeTag(o, workspace, buildTag, image.tag, previous);
    return steps ? `built, ${steps} test step(s) passed` : 'built, the package has no test';
  }
}

interface ReadTests {
  dir: string;
  steps: TestStep[];
}

/** Reads the package's test files in a container of the installer image (no network, package read-only). */
async function readTests(
  o: ResolvedPackageImageOptions,
  root: string,
  installer: string,
  image: PackageImage,
): Promise<ReadTests & { cleanup: () => void }> {
  const result = await runContainer({
    engine: o.engine,
    image: installer,
    command: ['python3', '-c', READER_SCRIPT, `${CONTAINER_PACKAGE}/${image.file}`],
    mounts: [
      {
        host: join(o.outputDir, image.subdir, image.file),
        container: `${CONTAINER_PACKAGE}/${image.file}`,
        readOnly: true,
      },
    ],
    network: 'none',
    platform: foreignEnginePlatform(o.platform),
    labels: {
      'nx-conda.project': o.projectName,
      'nx-conda.step': 'read-tests',
      ...ownerLabels(root, currentRun(), []),
    },
    namePrefix: `nx-conda-${o.projectName.replace(/[^A-Za-z0-9_.-]/g, '_')}-read-tests`,
    logPrefix: `[${o.projectName}] `,
    timeoutSeconds: 300,
    captureStdoutBytes: MAX_READER_OUTPUT_BYTES,
    hardening: { pidsLimit: 64 },
  });
  if (result.exitCode !== 0 || !result.stdout) {
    throw new PackageImageError(
      `could not read the tests of ${image.subdir}/${image.file} in ${installer} (exit ${result.exitCode}${result.stdoutOverflow ? ', output too large' : ''}):\n` +
        result.tail.map((l) => `  | ${l}`).join('\n'),
    );
  }
  const { files, refused } = parseReaderOutput(result.stdout);
  // Names from inside the package: shown without control characters (JSON quoting leaves C1 and bidi ones).
  const shown = (names: string[]) => neutraliseControls(names.slice(0, 10).join(', '));
  if (refused.length) logger.warn(`nx-conda: test files of ${image.file} left out: ${shown(refused)}`);
  const dir = mkdtempSync(join(tmpdir(), 'nx-conda-tests-'));
  const clashes = writePackageFiles(join(dir, 'files'), files);
  if (clashes.length) logger.warn(`nx-conda: test files of ${image.file} that clash: ${shown(clashes)}`);
  const { steps, notRun } = testSteps(files);
  for (const what of notRun) logger.warn(`nx-conda: test of ${image.file} not run here: ${neutraliseControls(what)}`);
  writeFileSync(join(dir, 'run.sh'), renderTestScript(steps, PREFIX), { mode: 0o644 });
  if (o.verbose) logger.info(`nx-conda: test script of ${image.file}:\n${renderTestScript(steps, PREFIX)}`);
  return { dir, steps, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The mulled test: the package's own tests in its image, with no network. */
async function runTests(
  o: ResolvedPackageImageOptions,
  root: string,
  tag: string,
  image: PackageImage,
  tests: ReadTests & { cleanup: () => void },
): Promise<void> {
  try {
    logger.info(`nx-conda: testing ${image.tag}: ${tests.steps.length} step(s), no network`);
    const result = await runContainer({
      engine: o.engine,
      image: tag,
      command: ['bash', `${CONTAINER_TESTS}/run.sh`],
      mounts: [{ host: tests.dir, container: CONTAINER_TESTS, readOnly: true }],
      network: 'none',
      platform: foreignEnginePlatform(o.platform),
      labels: { 'nx-conda.project': o.projectName, 'nx-conda.step': 'test', ...ownerLabels(root, currentRun(), []) },
      namePrefix: `nx-conda-${o.projectName.replace(/[^A-Za-z0-9_.-]/g, '_')}-test`,
      logPrefix: `[${o.projectName}] `,
      timeoutSeconds: o.testTimeoutSeconds || undefined,
      verbose: o.verbose,
      // The same limits as a build's: pids, memory, cpus; and no capabilities, no-new-privileges.
      hardening: o.testHardening,
      user: o.testUser,
    });
    if (result.exitCode !== 0 || result.signal || result.timedOut) {
      const failed = [...result.tail].reverse().find((l) => l.includes(FAILED_MARK));
      const command = [...result.tail].reverse().find((l) => l.includes('nx-conda-test: command:'));
      const why = result.timedOut
        ? `timed out after ${o.testTimeoutSeconds} s`
        : result.signal
          ? `was stopped by ${result.signal}`
          : `failed (exit code ${result.exitCode})`;
      throw new PackageImageError(
        `test of ${image.file} in its image ${why}; the untested image was removed.` +
          (failed ? `\n  failing test: ${failed.slice(failed.indexOf(FAILED_MARK) + FAILED_MARK.length).trim()}` : '') +
          (command ? `\n  failing command: ${command.slice(command.indexOf('command:') + 8).trim()}` : '') +
          `\nLast lines:\n${result.tail.map((l) => `  | ${l}`).join('\n')}`,
      );
    }
  } finally {
    tests.cleanup();
  }
}

/**
 * Gives the new image its tag, after asking again who holds the tag: one
 * that changed hands since the lookup to an image package-image did not make
 * here for this project is never moved (unless force), and the new image
 * goes. The image the tag leaves is removed only when it is ours.
 */
async function takeTag(
  o: ResolvedPackageImageOptions,
  workspace: string,
  buildTag: string,
  tag: string,
  previous: string | undefined,
): Promise<void> {
  const now = await inspectImage(o.engine, tag);
  const holder = now ? foreignHolder(now.labels, workspace, o.projectName) : undefined;
  if (now && holder && !o.force) {
    await removeImage(o.engine, buildTag, { force: true }).catch(() => undefined);
    throw tagHeldError(o, tag, now.id, holder);
  }
  await tagImage(o.engine, buildTag, tag);
  await removeImage(o.engine, buildTag); // only the temporary name goes
  for (const id of new Set([previous, now?.id])) if (id) await removeReplaced(o, workspace, id);
}

/** The install stage a build without BuildKit leaves as an image without a name (see installStageLabel); best effort. */
async function removeInstallStage(o: ResolvedPackageImageOptions, stageLabel: string): Promise<void> {
  try {
    const left = await listImages(o.engine, { label: `${PACKAGE_LABELS.installStage}=${stageLabel}` });
    for (const ref of left) await removeImage(o.engine, ref, { force: true }).catch(() => undefined);
  } catch {
    // an engine that cannot list: the stage stays, as it did before
  }
}

/** The image a new build took the tag from, when it was ours and has no name left: it would only take space. */
async function removeReplaced(o: ResolvedPackageImageOptions, workspace: string, id: string): Promise<void> {
  try {
    if (!isOurPackageImage(await imageLabels(o.engine, id), workspace)) return;
    // `image ls` gives an image without a name by its id.
    const untagged = (await listImages(o.engine, { label: PACKAGE_LABELS.sha256 })).includes(id);
    if (untagged) await removeImage(o.engine, id);
  } catch {
    // best effort: it may be in use or already gone
  }
}
