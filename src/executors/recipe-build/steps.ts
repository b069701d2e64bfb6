/**
 * The steps of one recipe build, in the order the executor runs them:
 * assemble the staging channel, render the build script, run it in a
 * container (after a snapshot of the channel), collect the new packages. Each step is a function of its own,
 * with the state it hands on to the next one as its result.
 */
import type { ProjectGraph } from '@nx/devkit';
import { logger } from '../../core/logger';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { buildCommand, renderBuildScript, shellJoin, type BuildPlan } from '../../builders';
import {
  assembleStagingChannel,
  collectNewPackages,
  dependencyOutputs,
  recordOwnedPackages,
  removeOwnedPackages,
  snapshotChannel,
  type AssembleResult,
  type ChannelPackage,
  type ChannelSnapshot,
  type CollectedPackage,
} from '../../channel';
import {
  currentRun,
  foreignEnginePlatform,
  hostOwnerInContainer,
  maskArgs,
  maskCredentials,
  masker,
  ownerLabels,
  runContainer,
  type Mount,
} from '../../container';
import { RecipeBuildError, type ResolvedOptions } from './options';
import { markRunFolder } from '../../container/run-records';
import { CONTAINER_OWN_CACHE, packageCacheView } from './package-cache';
import { downloadFailure } from './network-failure';
import { diskFull, saysDiskFull } from '../../core/disk-full';

/** Where the build script and the variant files appear in the container. */
export const CONTAINER_TOOLS = '/opt/nx-conda';

/** A project name as one folder-name (or container-name) part: never `.`, `..` or a leading `-`, never a `/`. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[.-]/, '_') || '_';
}

/** The host folders of one build: its staging channel and the folder of its build script. */
export interface BuildDirs {
  staging: string;
  tools: string;
  /** The build's own writable package cache, with the machine-wide cache on (see package-cache.ts). */
  ownCache?: string;
}

/**
 * Makes the build's folders under stagingRoot (the staging channel is the
 * shared one when set), each with our marker (see RUN_MARKER): what a later
 * run may remove if this one dies.
 */
export function makeBuildDirs(resolved: ResolvedOptions, root: string): BuildDirs {
  mkdirSync(resolved.stagingRoot, { recursive: true });
  const prefix = join(resolved.stagingRoot, safeName(resolved.projectName));
  const made = (path: string) => {
    markRunFolder(root, path);
    return path;
  };
  return {
    staging: resolved.sharedStagingDir ?? made(mkdtempSync(`${prefix}-`)),
    tools: made(mkdtempSync(`${prefix}-script-`)),
    ...(resolved.packageCache ? { ownCache: made(mkdtempSync(`${prefix}-pkgs-`)) } : {}),
  };
}

/** The folders a build made for itself (a shared staging channel is not one of them). */
export function ownFolders(resolved: ResolvedOptions, dirs: BuildDirs): string[] {
  const own = dirs.ownCache ? [dirs.ownCache] : [];
  return resolved.sharedStagingDir ? [dirs.tools, ...own] : [dirs.staging, dirs.tools, ...own];
}

/** Removes the build's folders (never a shared staging channel), or says where they were kept. */
export function removeBuildDirs(resolved: ResolvedOptions, dirs: BuildDirs): void {
  if (resolved.keepStaging) {
    logger.info(`nx-conda: kept staging channel ${dirs.staging} and build script ${dirs.tools}`);
    return;
  }
  for (const dir of ownFolders(resolved, dirs)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      logger.warn(`nx-conda: could not remove ${dir}: ${(e as Error).message}`);
    }
  }
}

/**
 * Step 1: fills the staging channel with the packages of every dependency
 * (its output folder, just built or restored from Nx's cache), with one
 * merged index per subdir.
 */
export function assembleStaging(
  resolved: ResolvedOptions,
  staging: string,
  graph: ProjectGraph,
  root: string,
): AssembleResult {
  const sources = dependencyOutputs(graph, resolved.projectName).filter(({ project, outputPath }) => {
    if (existsSync(resolve(root, outputPath))) return true;
    logger.warn(
      `nx-conda: dependency ${project} has no packages at ${outputPath}; build it first (build-recipe depends on ^build-recipe).`,
    );
    return false;
  });
  const assembled = assembleStagingChannel(
    staging,
    sources.map(({ outputPath }) => resolve(root, outputPath)),
    resolved.platform,
  );
  for (const file of assembled.unindexed)
    logger.warn(`nx-conda: ${relative(root, file)} has no record in its repodata.json; the solver will not see it.`);
  logger.info(
    `nx-conda: staging channel for ${resolved.projectName}: ${assembled.packages} package(s) from ${sources.length} dependenc${sources.length === 1 ? 'y' : 'ies'}` +
      (sources.length ? ` (${sources.map((s) => s.project).join(', ')})` : ''),
  );
  return assembled;
}

/** What the container of a build runs and sees. */
export interface PreparedBuild {
  plan: BuildPlan;
  /** The rendered build script (may hold credentials: mask before printing). */
  script: string;
  /** Recipe (read-only), staging channel, variant files and script (read-only). */
  mounts: Mount[];
  /** The command the container runs. */
  command: string[];
  /** Values masked wherever they would be printed: secret build args, env values. */
  secrets: string[];
  /** The build's own folders (never a shared staging channel): named in the container's labels, for the next build to remove if this run dies. */
  scratch: string[];
  /** Environment of the package cache (its folders in the container), none when it is off. */
  cacheEnv: Record<string, string>;
}

/**
 * Step 2: the build plan (container paths of the recipe, the staging channel
 * and the variant files), and the build script rendered from the builder's
 * template or the user's, written to `tools` as build.sh.
 */
export function renderScript(resolved: ResolvedOptions, dirs: BuildDirs, root: string): PreparedBuild {
  const mounts: Mount[] = [
    { host: resolved.recipeDir, container: resolved.containerRecipe, readOnly: true },
    { host: dirs.staging, container: resolved.containerStaging },
  ];
  const cache = dirs.ownCache ? packageCacheView(resolved, dirs.ownCache) : undefined;
  if (cache) mounts.push(...cache.mounts);
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
    buildArgs:
      resolved.skipTests && resolved.builder === 'conda-build'
        ? ['--no-test', ...resolved.buildArgs]
        : resolved.buildArgs,
    mambabuild: resolved.mambabuild,
    packageFormat: resolved.packageFormat,
    skipTests: resolved.skipTests,
  };
  const template = resolved.buildScriptTemplate
    ? { text: readFileSync(resolved.buildScriptTemplate, 'utf8'), source: relative(root, resolved.buildScriptTemplate) }
    : undefined;
  const script = renderBuildScript(plan, template);
  const scriptFile = join(dirs.tools, 'build.sh');
  writeFileSync(scriptFile, script);
  chmodSync(scriptFile, 0o755);
  mounts.push({ host: scriptFile, container: `${CONTAINER_TOOLS}/build.sh`, readOnly: true });
  // Nx caches what we print: build args (channel tokens, --password ...) and env values are shown masked, always.
  const { shown, hidden } = maskArgs(buildCommand(plan));
  const secrets = [...hidden, ...Object.values(resolved.env)];
  const mask = masker(secrets);
  if (resolved.verbose) logger.info(`nx-conda: build script:\n${mask(script)}`);
  logger.info(`nx-conda: ${mask(shellJoin(shown))}`);
  const scratch = ownFolders(resolved, dirs);
  return {
    plan,
    script,
    mounts,
    command: ['bash', `${CONTAINER_TOOLS}/build.sh`],
    secrets,
    scratch,
    cacheEnv: cache?.env ?? {},
  };
}

/**
 * Step 3, before the run: in a shared staging channel, removes this
 * project's earlier packages (an indexer skips a file name it already lists,
 * so a same-name rebuild would keep the old record). Returns the channel's
 * packages as they are before the build, which collecting compares with.
 */
export function snapshotBeforeRun(resolved: ResolvedOptions, staging: string): ChannelSnapshot {
  if (resolved.sharedStagingDir) {
    const removed = removeOwnedPackages(staging, resolved.projectName);
    if (removed.length)
      logger.info(
        `nx-conda: removed ${removed.length} earlier package(s) of ${resolved.projectName} from the shared staging channel`,
      );
  }
  return snapshotChannel(staging);
}

/** Step 3: runs the build script in a container of `image`; throws a RecipeBuildError unless it exited 0. */
export async function runBuild(
  resolved: ResolvedOptions,
  image: string,
  prepared: PreparedBuild,
  root: string,
  stagingShown = relative(root, resolved.stagingRoot),
): Promise<void> {
  // Whom the build script hands the staging channel back to (container root, for rootless podman).
  const owner = hostOwnerInContainer(resolved.engine, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  const result = await runContainer({
    engine: resolved.engine,
    image,
    command: prepared.command,
    mounts: prepared.mounts,
    env: {
      ...resolved.env,
      ...prepared.cacheEnv,
      NX_CONDA_HOST_UID: String(owner.uid),
      NX_CONDA_HOST_GID: String(owner.gid),
    },
    network: resolved.network,
    platform: foreignEnginePlatform(resolved.platform),
    // Which workspace and run this is: the next build removes the container if this run dies (see leftovers.ts).
    labels: { 'nx-conda.project': resolved.projectName, ...ownerLabels(root, currentRun(), prepared.scratch) },
    namePrefix: `nx-conda-${safeName(resolved.projectName)}`,
    logPrefix: `[${resolved.projectName}] `,
    timeoutSeconds: resolved.timeoutSeconds || undefined,
    verbose: resolved.verbose,
    secrets: prepared.secrets,
    hardening: resolved.hardening,
  });
  // Killed or timed out, the build script's trap did not run: hand what the container left in staging back to us,
  // so that it can be removed (the next build in a shared staging channel removes and rewrites files there).
  if (result.signal || result.timedOut) await handBackStaging(resolved, image, prepared, owner);
  if (result.exitCode !== 0 || result.signal || result.timedOut) {
    const why = result.timedOut
      ? `timed out after ${resolved.timeoutSeconds} s`
      : result.signal
        ? `was stopped by ${result.signal}`
        : `exited with code ${result.exitCode}`;
    const recipe = `${relative(root, resolved.recipeDir)}/${resolved.recipeFile}`;
    const failed = result.exitCode !== 0 && !result.signal && !result.timedOut;
    // 125: the engine's client could not run the container, or lost the engine while it ran (docker and podman).
    if (failed && result.exitCode === ENGINE_FAILED) throw engineLost(resolved, recipe, image, result.tail);
    const full = failed && saysDiskFull(result.tail);
    if (full)
      throw diskFull(
        stagingShown,
        `${resolved.projectName} was building in it (the builder said: ${full.trim().slice(0, 200)}; it ${why} in image ${image})`,
        resolved.sharedStagingDir ? 'sharedStagingDir' : 'stagingRoot',
      );
    const network = failed && downloadFailure(result.tail, resolved.channels);
    const what = network
      ? `build of ${resolved.projectName} (${recipe}) failed on the network: a download from channel ${network.channel} failed ` +
        `(${network.line}); this is not an error of the recipe: check that the channel answers, and run the target again. ` +
        `The builder ${why} in image ${image}`
      : `build of ${resolved.projectName} (${recipe}) ${why} in image ${image}`;
    throw new RecipeBuildError(
      `${what}; container ${result.containerName} was removed. Its last lines:\n${result.tail.map((line) => `  | ${line}`).join('\n')}`,
    );
  }
}

/** The exit code docker and podman give when they, not the container's command, failed. */
const ENGINE_FAILED = 125;

/** A build the engine itself failed (it went away, restarted, refused the run): names the engine and where it listens. */
function engineLost(resolved: ResolvedOptions, recipe: string, image: string, tail: string[]): RecipeBuildError {
  const where =
    (resolved.engine === 'docker' ? process.env.DOCKER_HOST : process.env.CONTAINER_HOST) || 'its default socket';
  const last = [...tail].reverse().find((l) => l.trim() !== '') ?? '';
  return new RecipeBuildError(
    `${resolved.engine} (at ${maskCredentials(where)}) failed while running the build of ${resolved.projectName} (${recipe}) in image ${image}: ` +
      `exit code 125, the engine's own error, not the build's${last ? ` (${last.trim().slice(0, 300)})` : ''}. ` +
      `If the engine stopped or restarted, start it and run the target again: the packages of earlier builds are intact.`,
  );
}

/**
 * Runs `chown -R` on the staging channel in a short container of the same
 * image (no network, no env, only the staging mount), after a build
 * container was killed before its own trap could do it. Best effort: a
 * failure is a warning, the build has failed anyway.
 */
async function handBackStaging(
  resolved: ResolvedOptions,
  image: string,
  prepared: PreparedBuild,
  owner: { uid: number; gid: number },
): Promise<void> {
  const staging = prepared.mounts.find((m) => m.container === resolved.containerStaging && !m.readOnly);
  if (!staging) return;
  // The build's own package cache too: the container wrote it as its user.
  const handed = [staging, ...prepared.mounts.filter((m) => m.container === CONTAINER_OWN_CACHE)];
  try {
    const result = await runContainer({
      engine: resolved.engine,
      image,
      command: ['chown', '-R', `${owner.uid}:${owner.gid}`, ...handed.map((m) => m.container)],
      mounts: handed,
      user: '0',
      network: 'none',
      platform: foreignEnginePlatform(resolved.platform),
      labels: { 'nx-conda.project': resolved.projectName, 'nx-conda.step': 'hand-back' },
      namePrefix: `nx-conda-${safeName(resolved.projectName)}-handback`,
      logPrefix: `[${resolved.projectName}] `,
      timeoutSeconds: 120,
      hardening: { pidsLimit: 64 },
    });
    if (result.exitCode === 0)
      logger.info(`nx-conda: handed the staging channel back to ${owner.uid}:${owner.gid} after the stopped build`);
    else
      logger.warn(
        `nx-conda: could not hand the staging channel back after the stopped build (exit ${result.exitCode}${result.signal ? `, ${result.signal}` : ''})`,
      );
  } catch (e) {
    logger.warn(`nx-conda: could not hand the staging channel back after the stopped build: ${(e as Error).message}`);
  }
}

/** What a build left for this project: the packages taken, and the noarch ones left to the primary build. */
export interface CollectedBuild {
  collected: CollectedPackage[];
  /** New noarch packages of a build that does not own noarch/ (a platform build): not taken. */
  dropped: ChannelPackage[];
}

/**
 * Step 4: moves the packages the build added to the staging channel into
 * the project's output folder, in the subdirs this build owns (and, in a
 * shared staging channel, records them as this project's). A build that
 * made no package fails; a platform build that made only noarch packages
 * (left to the primary build) ends with an empty channel of its platform.
 */
export function collectPackages(resolved: ResolvedOptions, staging: string, before: ChannelSnapshot): CollectedBuild {
  const {
    packages: collected,
    ignored,
    dropped,
  } = collectNewPackages(staging, before, resolved.outputDir, resolved.ownedSubdirs, resolved.limits);
  for (const file of ignored)
    logger.warn(
      `nx-conda: not taken from the staging channel (outside its known subdirs): ${JSON.stringify(relative(staging, file))}`,
    );
  if (collected.length === 0 && dropped.length === 0) {
    throw new RecipeBuildError(
      `the ${resolved.builder} run for ${resolved.projectName} succeeded but left no new package in the staging channel.`,
    );
  }
  // The dropped ones too: they stay in the shared channel, and the project's next build removes them first.
  if (resolved.sharedStagingDir) recordOwnedPackages(staging, resolved.projectName, [...collected, ...dropped]);
  return { collected, dropped };
}
