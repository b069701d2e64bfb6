/**
 * The machine-wide package cache around one build (README: The package
 * cache): before the build, its checks and what the container sees (the
 * cache read-only, a writable cache of the build's own); after a build that
 * succeeded, the fill with what the build downloaded from its upstream
 * channels, verified, then the size limit.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { logger } from '../../core/logger';
import { lstatOrUndefined } from '../../core/atomic-write';
import { channelUrl } from '../../channel';
import {
  channelKey,
  evict,
  fillPackageCache,
  hasCredential,
  isEntryName,
  markUsedEntries,
  RATTLER_LOCK,
  removeBroken,
  scanCache,
  type ExtractJob,
  type Extractor,
  type FillReport,
  type SubdirRecords,
} from '../../channel/package-cache';
import { readRegularFile } from '../../channel/safe-fs';
import { isValidPackageFile } from '../../channel/repodata';
import { hostOwnerInContainer, runContainer, type Mount } from '../../container';
import type { ResolvedOptions } from './options';
import type { PackageCacheSettings } from './resolve/package-cache';

/** Where a build container sees the cache (read-only) and its own writable cache. */
export const CONTAINER_PACKAGE_CACHE = '/opt/nx-conda-pkgs';
export const CONTAINER_OWN_CACHE = '/opt/nx-conda-pkgs-rw';

/** What the build container gets of the cache: mounts and environment. */
export interface CacheView {
  mounts: Mount[];
  env: Record<string, string>;
}

/** The cache's folder names of the build's channels, in their order (never a channel with a credential). */
function channelKeys(channels: string[]): string[] {
  return [
    ...new Set(
      channels
        .map((c) => channelUrl(c))
        .filter((base) => !hasCredential(base))
        .map((base) => channelKey(base)),
    ),
  ];
}

/** The cache's channel folders for the build's channels, in their order (those that exist). */
function channelFolders(settings: PackageCacheSettings, channels: string[]): string[] {
  return channelKeys(channels).filter((key) => lstatOrUndefined(join(settings.root, key))?.isDirectory());
}

/**
 * Checks the cache before a build (broken entries and what killed fillers
 * left are removed) and gives what the container sees; undefined, with a
 * warning, when the cache cannot be used (the build then runs without it).
 */
export function packageCacheView(resolved: ResolvedOptions, ownCache: string): CacheView | undefined {
  const settings = resolved.packageCache;
  if (!settings) return undefined;
  try {
    mkdirSync(settings.root, { recursive: true });
    const removed = removeBroken(settings.root, scanCache(settings.root));
    if (removed)
      logger.warn(
        `nx-conda: removed ${removed} incomplete or unverifiable entr${removed === 1 ? 'y' : 'ies'} from the package cache ${settings.root}`,
      );
  } catch (e) {
    logger.warn(`nx-conda: package cache ${settings.root} not used: ${(e as Error).message}`);
    return undefined;
  }
  mkdirSync(join(ownCache, 'conda'), { recursive: true });
  mkdirSync(join(ownCache, 'rattler'), { recursive: true });
  if (resolved.builder === 'rattler-build') linkRattlerEntries(settings, resolved.channels, ownCache);
  return {
    mounts: [
      { host: settings.root, container: CONTAINER_PACKAGE_CACHE, readOnly: true },
      { host: ownCache, container: CONTAINER_OWN_CACHE },
    ],
    env: packageCacheEnv(settings, resolved.channels),
  };
}

/**
 * The build container's environment for the cache: its channel folders as
 * they are now (computed again after a fill before the build, which may
 * have made a channel's folder).
 */
export function packageCacheEnv(settings: PackageCacheSettings, channels: string[]): Record<string, string> {
  const readOnly = channelFolders(settings, channels).map((key) => `${CONTAINER_PACKAGE_CACHE}/${key}`);
  return {
    // conda: read-only caches first (conda links from their extracted folders), the build's own last (written).
    CONDA_PKGS_DIRS: [...readOnly, `${CONTAINER_OWN_CACHE}/conda`].join(','),
    // rattler-build: its own cache, into which the build script links the read-only entries.
    RATTLER_CACHE_DIR: `${CONTAINER_OWN_CACHE}/rattler`,
    NX_CONDA_PACKAGE_CACHE_DIRS: readOnly.join(' '),
    NX_CONDA_OWN_CACHE: CONTAINER_OWN_CACHE,
  };
}

/**
 * rattler-build reads one cache folder, its own: each verified entry of the
 * build's channels in the read-only cache gets a link there (to where the
 * container sees it) and a copy of its lock, which carries the sha256
 * rattler checks. Done here, not by the build script: a cache of thousands
 * of entries would cost the script two processes each (30 ms apiece under
 * emulation). The first channel's entry wins, as the channel order says.
 * Called again after a fill before the build (new entries).
 */
export function linkRattlerEntries(settings: PackageCacheSettings, channels: string[], ownCache: string): void {
  const pkgs = join(ownCache, 'rattler', 'pkgs');
  mkdirSync(pkgs, { recursive: true });
  for (const key of channelFolders(settings, channels)) {
    let names: string[];
    try {
      names = readdirSync(join(settings.root, key)).slice(0, MAX_NAMES);
    } catch {
      continue;
    }
    for (const name of names) {
      const lock = join(settings.root, key, name, RATTLER_LOCK);
      if (!isEntryName(name) || !lstatOrUndefined(lock)?.isFile() || lstatOrUndefined(join(pkgs, name))) continue;
      try {
        symlinkSync(`${CONTAINER_PACKAGE_CACHE}/${key}/${name}`, join(pkgs, name));
        copyFileSync(lock, join(pkgs, `${name}.lock`));
      } catch (e) {
        logger.warn(`nx-conda: package cache: ${name} not offered to the build: ${(e as Error).message}`);
      }
    }
  }
}

/** Most names read from one folder of a build's own cache. */
export const MAX_NAMES = 20_000;

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * What the build's own cache says it downloaded: entry folders (real ones:
 * rattler's links to the read-only cache are not downloads) and package
 * files. Data from the container: names are checked, nothing is followed.
 */
export function ownCacheContents(ownCache: string): { wanted: string[]; localFiles: Map<string, string> } {
  const wanted: string[] = [];
  const localFiles = new Map<string, string>();
  for (const dir of [join(ownCache, 'conda'), join(ownCache, 'rattler', 'pkgs')]) {
    // A build names at most a few thousand packages; past the bound, the rest is not looked at.
    for (const name of names(dir).slice(0, MAX_NAMES)) {
      const stat = lstatOrUndefined(join(dir, name));
      if (stat?.isDirectory() && isEntryName(name)) wanted.push(name);
      else if (stat?.isFile() && isValidPackageFile(name)) {
        localFiles.set(name, join(dir, name));
        wanted.push(name.replace(/\.(conda|tar\.bz2)$/, ''));
      }
    }
  }
  return { wanted, localFiles };
}

const EXTRACTION_FAILED = 'extraction in';

/**
 * Extracts .conda (zip of zstd tars) and .tar.bz2 with the image's python3, tar, zstd and bzip2: each
 * (package, folder) pair of its arguments, one per core at a time, going on past one that fails (exit 3 then).
 */
const EXTRACT_SCRIPT = `
import concurrent.futures, os, shutil, subprocess, sys, zipfile
def extract(src, out):
    tar = ["tar", "-x", "--no-same-owner", "--no-same-permissions", "-C", out, "-f", "-"]
    if src.endswith(".tar.bz2"):
        return subprocess.run(["tar", "-x", "-j", "--no-same-owner", "--no-same-permissions", "-C", out, "-f", src]).returncode == 0
    with zipfile.ZipFile(src) as z:
        members = [n for n in z.namelist() if n.endswith(".tar.zst") and "/" not in n]
        if not members:
            return False
        for name in members:
            zs = subprocess.Popen(["zstd", "-dc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            tr = subprocess.Popen(tar, stdin=zs.stdout)
            zs.stdout.close()
            with z.open(name) as f:
                shutil.copyfileobj(f, zs.stdin)
            zs.stdin.close()
            if zs.wait() or tr.wait():
                return False
    return True
def job(pair):
    try:
        return extract(*pair)
    except Exception:
        return False
args = sys.argv[1:]
pairs = list(zip(args[0::2], args[1::2]))
# One package per core at a time: decompression (bzip2 above all) is the slow part, and the work is in tar and zstd.
with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
    results = list(pool.map(job, pairs))
failed = 0
for (src, out), ok in zip(pairs, results):
    if not ok:
        failed += 1
        print("could not extract " + src, file=sys.stderr)
sys.exit(3 if failed else 0)
`;

/** The extraction script's exit code when some packages (not all the run) failed: their checks refuse them. */
const SOME_FAILED = 3;
/** Most packages one extraction container takes (two mounts each). */
const EXTRACT_BATCH = 100;

/**
 * The trusted extractor: short containers of the build's image (its own
 * tools, no recipe code), no network, only the verified packages
 * (read-only) and their empty folders, run as the invoking user; one
 * container for up to EXTRACT_BATCH packages.
 */
export function containerExtractor(resolved: ResolvedOptions, image: string): Extractor {
  return async (jobs: ExtractJob[]): Promise<void> => {
    for (let at = 0; at < jobs.length; at += EXTRACT_BATCH)
      await extractBatch(resolved, image, jobs.slice(at, at + EXTRACT_BATCH));
  };
}

async function extractBatch(resolved: ResolvedOptions, image: string, jobs: ExtractJob[]): Promise<void> {
  const owner = hostOwnerInContainer(resolved.engine, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  const mounts: Mount[] = [];
  const args: string[] = [];
  jobs.forEach((job, i) => {
    const inside = `/in/${i}/${basename(job.file)}`;
    mounts.push({ host: job.file, container: inside, readOnly: true }, { host: job.outDir, container: `/out/${i}` });
    args.push(inside, `/out/${i}`);
  });
  const result = await runContainer({
    engine: resolved.engine,
    image,
    command: ['python3', '-c', EXTRACT_SCRIPT, ...args],
    mounts,
    user: `${owner.uid}:${owner.gid}`,
    network: 'none',
    labels: { 'nx-conda.project': resolved.projectName, 'nx-conda.step': 'package-cache' },
    namePrefix: 'nx-conda-extract',
    logPrefix: `[${resolved.projectName}] `,
    timeoutSeconds: 600 + 30 * jobs.length,
    hardening: { pidsLimit: 64 },
  });
  if (result.exitCode === SOME_FAILED && !result.signal && !result.timedOut) return;
  if (result.exitCode !== 0 || result.signal || result.timedOut)
    throw new Error(
      `${EXTRACTION_FAILED} ${image} failed (exit ${result.exitCode}): ${result.tail.slice(-2).join(' ')}`,
    );
}

/** Says what a fill added, and why packages were left out when that matters. */
export function reportFill(resolved: ResolvedOptions, root: string, report: FillReport): void {
  if (report.diskFull)
    logger.warn(`nx-conda: the disk of the package cache ${root} is full; the cache was not filled further.`);
  if (report.added.length)
    logger.info(
      `nx-conda: package cache: added ${report.added.length} verified package(s): ${report.added.join(', ')}`,
    );
  if (resolved.verbose)
    for (const { name, why } of report.skipped) logger.info(`nx-conda: package cache: not added ${name}: ${why}`);
  const unextracted = report.skipped.find((s) => s.why.startsWith(EXTRACTION_FAILED));
  if (unextracted)
    logger.warn(
      `nx-conda: package cache: packages were not added, ${unextracted.why} (the image needs python3, tar, zstd and bzip2 for the cache)`,
    );
}

/** The file in which a build script lists the packages its environments held (README: The package cache). */
export const USED_LIST = 'used-packages.txt';
const MAX_USED_LIST_BYTES = 4 * 1024 * 1024;

/** The names a build script listed in its own cache's used-packages.txt: data, checked as names only. */
export function usedByBuildScript(ownCache: string): string[] {
  let text: Buffer | undefined;
  try {
    text = readRegularFile(join(ownCache, USED_LIST), 'reading the packages a build used', MAX_USED_LIST_BYTES);
  } catch {
    return [];
  }
  if (!text) return [];
  return text
    .toString('utf8')
    .split('\n')
    .slice(0, MAX_NAMES)
    .map((line) => line.trim().replace(/\.json$/, ''))
    .filter((name) => isEntryName(name));
}

/**
 * After a build that succeeded: the packages it downloaded from its upstream
 * channels enter the cache (verified); the entries it used (`solved`, and
 * what its build script listed) count as used now; then the size limit
 * applies, least recently used first. Never fails the build: a problem is a
 * warning.
 */
export async function fillAfterBuild(
  resolved: ResolvedOptions,
  image: string,
  ownCache: string,
  memo: Map<string, Promise<SubdirRecords>>,
  solved: string[] = [],
): Promise<void> {
  const settings = resolved.packageCache;
  if (!settings || !existsSync(ownCache)) return;
  const { wanted, localFiles } = ownCacheContents(ownCache);
  try {
    if (wanted.length > 0) {
      const report = await fillPackageCache({
        root: settings.root,
        channels: resolved.channels,
        subdirs: [...new Set([resolved.platform, 'noarch'])],
        wanted,
        localFiles,
        extract: containerExtractor(resolved, image),
        memo,
        maxPackageBytes: resolved.limits.maxPackageBytes,
        maxExtractedBytes: Math.min(settings.maxBytes, 16 * resolved.limits.maxPackageBytes),
      });
      reportFill(resolved, settings.root, report);
    }
    const marked = markUsedEntries(settings.root, channelKeys(resolved.channels), [
      ...solved,
      ...usedByBuildScript(ownCache),
    ]);
    if (resolved.verbose && marked.length)
      logger.info(
        `nx-conda: package cache: ${marked.length} entr${marked.length === 1 ? 'y' : 'ies'} used by this build`,
      );
    const evicted = evict(settings.root, settings.maxBytes);
    if (evicted.length)
      logger.info(
        `nx-conda: package cache: removed ${evicted.length} least recently used entr${evicted.length === 1 ? 'y' : 'ies'} (limit ${Math.round(settings.maxBytes / 1048576)} MB)`,
      );
  } catch (e) {
    logger.warn(`nx-conda: package cache ${settings.root} not filled: ${(e as Error).message}`);
  }
}
