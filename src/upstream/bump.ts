/**
 * One recipe's version bump, planned without touching the file: where its
 * version is written, its upstream and newest release, each changed source
 * downloaded and hashed, and the new text. The caller writes it (atomically)
 * only when the plan says `bumped`: a failure anywhere throws before.
 */
import { findVersion, RecipeRewriteError, withBuildNumberReset, withChecksums, withVersion } from '../recipes/rewrite';
import { CHECKSUM_KINDS, readRecipeSources, type RecipeSource } from '../recipes/sources';
import type { SourceDownloads } from './download';
import { UpstreamError } from './errors';
import type { UpstreamHttp } from './http';
import { recogniseUpstream, type Upstream } from './recognise';
import { isNewer, newestRelease, releasesOf, upstreamLabel, type Release } from './releases';
import { isOrderableVersion, VERSION_SHAPE } from './version-order';

export interface BumpOptions {
  /** Bump to this version instead of the upstream's newest. */
  newVersion?: string;
  /** Only say whether the recipe is behind. */
  check?: boolean;
  includePrerelease?: boolean;
  keepBuildNumber?: boolean;
  /** What `{{ cran_mirror }}` stands for (conda-build's setting of that name). */
  cranMirror?: string;
}

export type BumpStatus = 'up-to-date' | 'outdated' | 'bumped' | 'no-upstream';

export interface BumpPlan {
  status: BumpStatus;
  /** The version the recipe has now, as written. */
  current: string;
  /** The version it is (or would be) bumped to; the newest known when up to date. */
  newest?: string;
  /** `pypi:name`, `github:owner/repo`, ...; absent when the version was given or no upstream is known. */
  upstream?: string;
  /** The first source URL, when no upstream is known for it. */
  url?: string;
  /** Why no upstream is known, beyond the URL's shape. */
  reason?: string;
  /** The new text (status bumped). */
  text?: string;
  /** The downloads whose checksums went into the text. */
  downloads?: { url: string; size: number; sha256: string }[];
  buildNumber?: 'reset' | 'kept' | 'already 0' | 'not found';
}

export interface BumpSession {
  http: UpstreamHttp;
  downloads: SourceDownloads;
}

function basename(url: string): string {
  const path = url.split(/[?#]/)[0];
  return path.slice(path.lastIndexOf('/') + 1);
}

function upstreamOf(sources: RecipeSource[], current: string): Upstream | undefined {
  for (const url of sources[0]?.urls ?? []) {
    const up = recogniseUpstream(url, current);
    if (up) return up;
  }
  return undefined;
}

function checkCranMirror(file: string, sources: RecipeSource[], options: BumpOptions): void {
  if (options.cranMirror) return;
  if (sources.some((s) => s.urls.some((u) => u.startsWith('/src/contrib/'))))
    throw new UpstreamError(
      `${file}: the source URL uses {{ cran_mirror }}; set the option cranMirror to the URL of your CRAN mirror (conda-build's cran_mirror setting).`,
    );
}

/** The plan for `file` (workspace-relative, for messages) with `contents`. Throws for a recipe that cannot be bumped. */
export async function planBump(
  file: string,
  contents: string,
  options: BumpOptions,
  session: BumpSession,
): Promise<BumpPlan> {
  const found = findVersion(file, contents);
  const current = found.current;
  const globals = options.cranMirror ? { cran_mirror: options.cranMirror.replace(/\/+$/, '') } : {};
  const { sources } = readRecipeSources(file, contents, globals);
  checkCranMirror(file, sources, options);

  let target: string;
  let release: Release | undefined;
  let label: string | undefined;
  if (options.newVersion !== undefined) {
    if (!VERSION_SHAPE.test(options.newVersion))
      throw new RecipeRewriteError(
        `${file}: ${JSON.stringify(options.newVersion)} is not a version (letters, digits and . _ + ! - only).`,
      );
    target = options.newVersion;
  } else {
    const up = upstreamOf(sources, current);
    if (!up) return { status: 'no-upstream', current, ...(sources[0] ? { url: sources[0].urls[0] } : {}) };
    label = upstreamLabel(up);
    let releases: Release[];
    try {
      releases = await releasesOf(session.http, up, current);
    } catch (e) {
      // A listing is a guess from the URL: a folder that is not one is no upstream, not an error.
      if (
        up.kind === 'listing' &&
        e instanceof UpstreamError &&
        e.status !== undefined &&
        e.status >= 400 &&
        e.status < 500
      )
        return { status: 'no-upstream', current, url: sources[0].urls[0], reason: `${up.folder} answered ${e.status}` };
      throw e;
    }
    if (!releases.some((r) => isOrderableVersion(r.version) && VERSION_SHAPE.test(r.version)))
      return {
        status: 'no-upstream',
        current,
        url: sources[0].urls[0],
        reason: `${label} names no release of the URL's shape`,
      };
    release = newestRelease(releases, options.includePrerelease ?? false);
    if (!release || !isNewer(release.version, current))
      return { status: 'up-to-date', current, upstream: label, ...(release ? { newest: release.version } : {}) };
    target = release.version;
  }
  const base = { current, newest: target, ...(label ? { upstream: label } : {}) };
  if (target === current) return { ...base, status: 'up-to-date' };
  if (options.check) return { ...base, status: 'outdated' };

  const versioned = withVersion(contents, found, target);
  const next = readRecipeSources(file, versioned, globals).sources;
  if (next.length !== sources.length)
    throw new RecipeRewriteError(
      `${file}: the recipe has ${sources.length} sources at ${current} but ${next.length} at ${target}; bump it by hand.`,
    );
  const changed = sources
    .map((old, i) => ({ old, next: next[i] }))
    .filter(({ old, next: n }) => Object.keys(old.checksums).length && old.urls.join('\n') !== n.urls.join('\n'));
  const hashed = await Promise.all(
    changed.map(({ next: n }) => session.downloads.hashFirst(n.urls, (url) => release?.files.get(basename(url)))),
  );
  const replacements = new Map<string, string>();
  changed.forEach(({ old }, i) => {
    for (const kind of CHECKSUM_KINDS) {
      const before = old.checksums[kind];
      if (before) replacements.set(before, hashed[i][kind]);
    }
  });
  const text = withChecksums(file, versioned, replacements);
  const reset = options.keepBuildNumber ? undefined : withBuildNumberReset(file, text);
  return {
    ...base,
    status: 'bumped',
    text: reset ? reset.text : text,
    downloads: hashed.map((h) => ({ url: h.url, size: h.size, sha256: h.sha256 })),
    buildNumber: reset ? reset.change : 'kept',
  };
}
