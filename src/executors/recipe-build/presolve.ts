/**
 * The package cache before a build whose builder keeps no package files
 * (rattler-build streams and extracts): its environments are solved first,
 * in a container that runs no build script, and the host downloads, checks
 * and adds what the solve names, so that the build finds every upstream
 * package in the cache and downloads each one once per machine, not twice
 * (once by the builder, once by the host's fill after it).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { solveCommand, solvedPackageFiles } from '../../builders';
import { entryName, fillPackageCache, type SubdirRecords } from '../../channel/package-cache';
import { foreignEnginePlatform, hostOwnerInContainer, runContainer } from '../../container';
import { logger } from '../../core/logger';
import { RecipeBuildError, type ResolvedOptions } from './options';
import {
  CONTAINER_OWN_CACHE,
  containerExtractor,
  linkRattlerEntries,
  packageCacheEnv,
  reportFill,
} from './package-cache';
import { CONTAINER_TOOLS, safeName, type PreparedBuild } from './steps';

/** Most bytes of the solve's stdout (its JSON: the rendered recipe and each resolved record). */
export const MAX_SOLVE_OUTPUT_BYTES = 64 * 1024 * 1024;
/** The solve's time limit when the build has none (or a longer one). */
const SOLVE_TIMEOUT_SECONDS = 1800;

/** The entry names (`name-version-build`) a solve printed; data from a container, checked by name only. */
export function solvedEntries(stdout: string): string[] {
  return solvedPackageFiles(stdout)
    .map((file) => entryName(file))
    .filter((name): name is string => name !== undefined);
}

/**
 * Before the build: solves it without building and fills the cache with
 * the upstream packages the solve names (checked against the channels'
 * records like any fill). Gives the build to run (its cache environment
 * names the channel folders the fill made) and the solved entry names,
 * which count as used once the build is done. Never fails the build: a
 * failed solve is a line of output, and the build downloads for itself.
 */
export async function fillBeforeBuild(
  resolved: ResolvedOptions,
  image: string,
  prepared: PreparedBuild,
  ownCache: string,
  memo: Map<string, Promise<SubdirRecords>>,
): Promise<{ prepared: PreparedBuild; solved: string[] }> {
  const settings = resolved.packageCache;
  // No cache, or the cache could not be used (no environment was given to the container).
  if (!settings || !prepared.cacheEnv.RATTLER_CACHE_DIR) return { prepared, solved: [] };
  if (!namesRequirements(join(resolved.recipeDir, resolved.recipeFile))) return { prepared, solved: [] };
  const command = solveCommand(prepared.plan, `${CONTAINER_OWN_CACHE}/solve`);
  if (!command) return { prepared, solved: [] };
  mkdirSync(join(ownCache, 'solve'), { recursive: true });
  const solved = await solve(resolved, image, prepared, command);
  if (solved.length === 0) return { prepared, solved };
  try {
    const report = await fillPackageCache({
      root: settings.root,
      channels: resolved.channels,
      subdirs: [...new Set([resolved.platform, 'noarch'])],
      wanted: solved,
      localFiles: new Map(),
      extract: containerExtractor(resolved, image),
      memo,
      maxPackageBytes: resolved.limits.maxPackageBytes,
      maxExtractedBytes: Math.min(settings.maxBytes, 16 * resolved.limits.maxPackageBytes),
    });
    reportFill(resolved, settings.root, report);
  } catch (e) {
    logger.warn(`nx-conda: package cache ${settings.root} not filled before the build: ${(e as Error).message}`);
  }
  linkRattlerEntries(settings, resolved.channels, ownCache);
  return { prepared: { ...prepared, cacheEnv: packageCacheEnv(settings, resolved.channels) }, solved };
}

/**
 * Whether the recipe has any requirements (anywhere: top level, outputs,
 * cache, tests). One without any has nothing to download, and its solve
 * would cost a container start and a builder start for nothing (a second
 * under emulation). A text test: reading the recipe would cost more.
 */
function namesRequirements(recipeFile: string): boolean {
  try {
    return /\brequirements\s*:/.test(readFileSync(recipeFile, 'utf8'));
  } catch {
    return true; // the build reads it too, and says better what is wrong
  }
}

/** Runs the solve: the build's mounts without its script, the staging channel read-only. */
async function solve(
  resolved: ResolvedOptions,
  image: string,
  prepared: PreparedBuild,
  command: string[],
): Promise<string[]> {
  const mounts = prepared.mounts
    .filter((m) => m.container !== `${CONTAINER_TOOLS}/build.sh`)
    .map((m) => (m.container === resolved.containerStaging ? { ...m, readOnly: true } : m));
  // As the invoking user: what it writes in the build's own cache (the repodata cache, which the build reuses) is ours.
  const owner = hostOwnerInContainer(resolved.engine, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  try {
    const result = await runContainer({
      engine: resolved.engine,
      image,
      command,
      mounts,
      // The read-only entries are linked into its cache first: it reads the run exports of cached packages there.
      env: {
        ...resolved.env,
        RATTLER_CACHE_DIR: prepared.cacheEnv.RATTLER_CACHE_DIR,
        NX_CONDA_PACKAGE_CACHE_DIRS: prepared.cacheEnv.NX_CONDA_PACKAGE_CACHE_DIRS,
      },
      user: `${owner.uid}:${owner.gid}`,
      network: resolved.network,
      platform: foreignEnginePlatform(resolved.platform),
      labels: { 'nx-conda.project': resolved.projectName, 'nx-conda.step': 'solve' },
      namePrefix: `nx-conda-${safeName(resolved.projectName)}-solve`,
      logPrefix: `[${resolved.projectName}] `,
      timeoutSeconds: Math.min(resolved.timeoutSeconds || SOLVE_TIMEOUT_SECONDS, SOLVE_TIMEOUT_SECONDS),
      verbose: resolved.verbose,
      secrets: prepared.secrets,
      hardening: resolved.hardening,
      captureStdoutBytes: MAX_SOLVE_OUTPUT_BYTES,
    });
    // Stopped (Ctrl-C, Nx ending the task): the build must not start.
    if (result.signal)
      throw new RecipeBuildError(`the build of ${resolved.projectName} was stopped by ${result.signal}`);
    if (result.exitCode !== 0 || result.timedOut || result.stdoutOverflow || !result.stdout) {
      logger.info(
        `nx-conda: package cache: the solve before the build did not succeed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}${result.stdoutOverflow ? ', too much output' : ''}); the build downloads what it needs itself`,
      );
      return [];
    }
    const solved = solvedEntries(result.stdout.toString('utf8'));
    if (resolved.verbose) logger.info(`nx-conda: package cache: the solve names ${solved.length} package(s)`);
    return solved;
  } catch (e) {
    if (e instanceof RecipeBuildError) throw e;
    logger.info(`nx-conda: package cache: no solve before the build (${(e as Error).message.split('\n')[0]})`);
    return [];
  }
}
