import { logger, type ExecutorContext } from '@nx/devkit';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { buildCommand, renderBuildScript, shellJoin, type BuildPlan } from '../../builders';
import {
  assembleStagingChannel,
  collectNewPackages,
  dependencyOutputs,
  recordOwnedPackages,
  recoverOutput,
  removeOwnedPackages,
  snapshotChannel,
  withDirectoryLock,
  withOutputLock,
  type CollectedPackage,
} from '../../channel';
import { checkEngine, hostOwnerInContainer, imageId, maskCredentials, removeImage, runContainer, type Mount } from '../../container';
import { resolveBuilderImage } from '../../image';
import { runExecutor } from '../run-executor';
import { RecipeBuildError, resolveOptions, type ResolvedOptions } from './options';
import type { RecipeBuildExecutorSchema } from './schema';

/** Where the build script and the variant files appear in the container. */
const CONTAINER_TOOLS = '/opt/nx-conda';

export default async function recipeBuildExecutor(
  options: RecipeBuildExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const started = Date.now();
  return runExecutor(async () => {
    const resolved = resolveOptions(options, context);
    await checkEngine(resolved.engine);
    const image = await chooseImage(resolved, context);
    const build = () => {
      // A run killed while it swapped the output subdirs left the previous ones aside: put them back first.
      recoverOutput(resolved.outputDir);
      return buildInStaging(resolved, image, context);
    };
    const holder = `project ${resolved.projectName} of ${context.root}`;
    const lockOptions = { holder, timeoutSeconds: resolved.lockTimeoutSeconds };
    // Always the project's own lock first, then the shared staging channel's: one order, no deadlock.
    const collected = await withOutputLock(
      resolved.outputDir,
      () =>
        resolved.sharedStagingDir
          ? withDirectoryLock(
              resolved.sharedStagingDir,
              build,
              (other) => logger.info(`nx-conda: waiting for ${other} to release the shared staging channel ${resolved.sharedStagingDir}`),
              lockOptions,
            )
          : build(),
      {
        ...lockOptions,
        what: `the output folder ${relative(context.root, resolved.outputDir)}`,
        onWait: (other) => logger.info(`nx-conda: waiting for ${other}, which builds ${resolved.projectName} into the same output folder`),
      },
    );
    printSummary(resolved, image, collected, context.root, started);
    if (!resolved.keepImage && resolved.image.kind === 'project') await removeBuilderImage(resolved, image);
  });
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
  if (resolved.image.kind === 'ref') return resolved.image.ref;
  const { project, target } = resolved.image;
  const node = context.projectGraph.nodes[project];
  const targetConfig = node?.data.targets?.[target];
  if (!targetConfig) {
    throw new RecipeBuildError(`imageProject ${project} has no ${target} target; create it with \`nx g nx-conda:init\` or set \`image\` instead.`);
  }
  const { tag } = resolveBuilderImage(targetConfig.options ?? {}, context.root);
  if (!(await imageId(resolved.engine, tag))) {
    throw new RecipeBuildError(
      `Builder image ${tag} is not in ${resolved.engine}. Build it with \`nx run ${project}:${target}\`; the tag is computed from ` +
        `the options of ${project}:${target} in the project graph (a configuration or command-line option given to that target makes another tag).`,
    );
  }
  return tag;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

async function buildInStaging(resolved: ResolvedOptions, image: string, context: ExecutorContext): Promise<CollectedPackage[]> {
  mkdirSync(resolved.stagingRoot, { recursive: true });
  const staging = resolved.sharedStagingDir ?? mkdtempSync(join(resolved.stagingRoot, `${safeName(resolved.projectName)}-`));
  const tools = mkdtempSync(join(resolved.stagingRoot, `${safeName(resolved.projectName)}-script-`));
  try {
    const sources = dependencyOutputs(context.projectGraph, resolved.projectName).filter(({ project, outputPath }) => {
      if (existsSync(resolve(context.root, outputPath))) return true;
      logger.warn(`nx-conda: dependency ${project} has no packages at ${outputPath}; build it first (build-recipe depends on ^build-recipe).`);
      return false;
    });
    const assembled = assembleStagingChannel(staging, sources.map(({ outputPath }) => resolve(context.root, outputPath)), resolved.platform);
    for (const file of assembled.unindexed) logger.warn(`nx-conda: ${relative(context.root, file)} has no record in its repodata.json; the solver will not see it.`);
    logger.info(
      `nx-conda: staging channel for ${resolved.projectName}: ${assembled.packages} package(s) from ${sources.length} dependenc${sources.length === 1 ? 'y' : 'ies'}` +
        (sources.length ? ` (${sources.map((s) => s.project).join(', ')})` : ''),
    );

    const mounts: Mount[] = [
      { host: resolved.recipeDir, container: resolved.containerRecipe, readOnly: true },
      { host: staging, container: resolved.containerStaging },
    ];
    const configInContainer = (files: string[], kind: string) =>
      files.map((file, i) => {
        const inContainer = `${CONTAINER_TOOLS}/config/${kind}-${i}-${safeName(basename(file))}`;
        mounts.push({ host: file, container: inContainer, readOnly: true });
        return inContainer;
      });

    const plan: BuildPlan = {
      builder: resolved.builder,
      recipeDir: resolved.containerRecipe,
      recipeFile: `${resolved.containerRecipe}/${resolved.recipeFile}`,
      stagingDir: resolved.containerStaging,
      channels: resolved.channels,
      platform: resolved.platform,
      variantConfigFiles: configInContainer(resolved.variantConfigFiles, 'variant'),
      exclusiveConfigFiles: configInContainer(resolved.exclusiveConfigFiles, 'exclusive'),
      buildArgs: resolved.skipTests && resolved.builder === 'conda-build' ? ['--no-test', ...resolved.buildArgs] : resolved.buildArgs,
      mambabuild: resolved.mambabuild,
      packageFormat: resolved.packageFormat,
      skipTests: resolved.skipTests,
    };
    const template = resolved.buildScriptTemplate
      ? { text: readFileSync(resolved.buildScriptTemplate, 'utf8'), source: relative(context.root, resolved.buildScriptTemplate) }
      : undefined;
    const script = renderBuildScript(plan, template);
    const scriptFile = join(tools, 'build.sh');
    writeFileSync(scriptFile, script);
    chmodSync(scriptFile, 0o755);
    mounts.push({ host: scriptFile, container: `${CONTAINER_TOOLS}/build.sh`, readOnly: true });
    // Build args may hold channel URLs with tokens: never print those in clear.
    if (resolved.verbose) logger.info(`nx-conda: build script:\n${maskCredentials(script)}`);
    logger.info(`nx-conda: ${maskCredentials(shellJoin(buildCommand(plan)))}`);

    if (resolved.sharedStagingDir) {
      const removed = removeOwnedPackages(staging, resolved.projectName);
      if (removed.length) logger.info(`nx-conda: removed ${removed.length} earlier package(s) of ${resolved.projectName} from the shared staging channel`);
    }
    const before = snapshotChannel(staging);
    // Whom the build script hands the staging channel back to (container root, for rootless podman).
    const owner = hostOwnerInContainer(resolved.engine, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    const result = await runContainer({
      engine: resolved.engine,
      image,
      command: ['bash', `${CONTAINER_TOOLS}/build.sh`],
      mounts,
      env: {
        ...resolved.env,
        NX_CONDA_HOST_UID: String(owner.uid),
        NX_CONDA_HOST_GID: String(owner.gid),
      },
      network: resolved.network,
      labels: { 'nx-conda.project': resolved.projectName },
      namePrefix: `nx-conda-${safeName(resolved.projectName)}`,
      logPrefix: `[${resolved.projectName}] `,
      timeoutSeconds: resolved.timeoutSeconds || undefined,
      verbose: resolved.verbose,
    });
    if (result.exitCode !== 0 || result.signal || result.timedOut) {
      const why = result.timedOut
        ? `timed out after ${resolved.timeoutSeconds} s`
        : result.signal
          ? `was stopped by ${result.signal}`
          : `exited with code ${result.exitCode}`;
      throw new RecipeBuildError(
        `build of ${resolved.projectName} (${relative(context.root, resolved.recipeDir)}/${resolved.recipeFile}) ${why} in image ${image}; ` +
          `container ${result.containerName} was removed. The builder's output is above.`,
      );
    }

    const { packages: collected, ignored } = collectNewPackages(staging, before, resolved.outputDir, resolved.platform);
    for (const file of ignored) logger.warn(`nx-conda: not taken from the staging channel (outside its known subdirs): ${JSON.stringify(relative(staging, file))}`);
    if (collected.length === 0) {
      throw new RecipeBuildError(`the ${resolved.builder} run for ${resolved.projectName} succeeded but left no new package in the staging channel.`);
    }
    if (resolved.sharedStagingDir) recordOwnedPackages(staging, resolved.projectName, collected);
    return collected;
  } finally {
    if (!resolved.keepStaging) {
      for (const dir of resolved.sharedStagingDir ? [tools] : [staging, tools]) {
        try {
          rmSync(dir, { recursive: true, force: true });
        } catch (e) {
          logger.warn(`nx-conda: could not remove ${dir}: ${(e as Error).message}`);
        }
      }
    } else {
      logger.info(`nx-conda: kept staging channel ${staging} and build script ${tools}`);
    }
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function printSummary(resolved: ResolvedOptions, image: string, collected: CollectedPackage[], root: string, started: number): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lines = collected.map(({ subdir, file, size }) => `  ${relative(root, join(resolved.outputDir, subdir, file))}  (${formatSize(size)})`);
  logger.info(
    `nx-conda: built ${collected.length} package(s) for ${resolved.projectName} with ${resolved.builder} in ${seconds} s (image ${image}):\n${lines.join('\n')}`,
  );
}
