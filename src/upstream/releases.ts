/**
 * The releases an upstream offers, read from its API or listing through the
 * shared client. Everything an upstream answers is data: versions are kept
 * only in the recipe's shape (VERSION_SHAPE, checked by the caller), file
 * names only as keys of a Map.
 */
import type { UpstreamHttp } from './http';
import { UpstreamError } from './errors';
import { versionInSlot, type Upstream, type VersionSlot } from './recognise';
import { asRecipeVersion, compareVersions, isPreRelease, newestVersion } from './version-order';

/** What an upstream says of one file of a release, to check the download against. */
export interface Announced {
  size?: number;
  sha256?: string;
}

export interface Release {
  /** As the recipe would write it. */
  version: string;
  /** Marked as a pre-release by the upstream (GitHub), whatever its version says. */
  preRelease?: boolean;
  /** File name → what the upstream announces of it. */
  files: Map<string, Announced>;
}

/** The most entries of one API answer or listing we look at. */
const MAX_ENTRIES = 100_000;
const SHA256 = /^[0-9a-f]{64}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function malformed(what: string, url: string, expected: string): UpstreamError {
  return new UpstreamError(`${what}: ${url} answered JSON that is not ${expected}.`);
}

function announced(size: unknown, sha256: unknown): Announced {
  return {
    ...(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? { size } : {}),
    ...(typeof sha256 === 'string' && SHA256.test(sha256) ? { sha256 } : {}),
  };
}

async function pypiReleases(http: UpstreamHttp, index: string, name: string): Promise<Release[]> {
  const url = `${index.replace(/\/+$/, '')}/pypi/${encodeURIComponent(name)}/json`;
  const what = `PyPI project ${name}`;
  const doc = await http.json(url, what);
  if (!isObject(doc) || !isObject(doc.releases)) throw malformed(what, url, 'a PyPI project (no "releases")');
  const out: Release[] = [];
  for (const [version, files] of Object.entries(doc.releases).slice(0, MAX_ENTRIES)) {
    if (!Array.isArray(files)) continue;
    const map = new Map<string, Announced>();
    for (const f of files) {
      if (!isObject(f) || typeof f.filename !== 'string' || f.yanked === true) continue;
      map.set(f.filename, announced(f.size, isObject(f.digests) ? f.digests.sha256 : undefined));
    }
    if (map.size) out.push({ version, files: map });
  }
  return out;
}

function fromTag(tag: string, slot: VersionSlot | undefined, current: string): string | undefined {
  return slot ? versionInSlot(tag, slot) : asRecipeVersion(tag, current);
}

async function githubReleases(
  http: UpstreamHttp,
  up: Extract<Upstream, { kind: 'github' }>,
  current: string,
): Promise<Release[]> {
  const what = `GitHub repository ${up.owner}/${up.repo}`;
  const base = `${http.githubApi}/repos/${encodeURIComponent(up.owner)}/${encodeURIComponent(up.repo)}`;
  const url = `${base}/releases?per_page=100`;
  const releases = await http.json(url, what);
  if (!Array.isArray(releases)) throw malformed(what, url, 'a list of releases');
  const out: Release[] = [];
  for (const r of releases.slice(0, MAX_ENTRIES)) {
    if (!isObject(r) || typeof r.tag_name !== 'string' || r.draft === true) continue;
    const version = fromTag(r.tag_name, up.tag, current);
    if (version === undefined) continue;
    const files = new Map<string, Announced>();
    for (const a of Array.isArray(r.assets) ? r.assets : []) {
      if (!isObject(a) || typeof a.name !== 'string') continue;
      const digest = typeof a.digest === 'string' && a.digest.startsWith('sha256:') ? a.digest.slice(7) : undefined;
      files.set(a.name, announced(a.size, digest));
    }
    out.push({ version, ...(r.prerelease === true ? { preRelease: true } : {}), files });
  }
  if (out.length || up.fromReleases) return out;
  return tagReleases(http, `${base}/tags?per_page=100`, what, up.tag, current);
}

async function tagReleases(
  http: UpstreamHttp,
  url: string,
  what: string,
  slot: VersionSlot | undefined,
  current: string,
): Promise<Release[]> {
  const tags = await http.json(url, what);
  if (!Array.isArray(tags)) throw malformed(what, url, 'a list of tags');
  const out: Release[] = [];
  for (const t of tags.slice(0, MAX_ENTRIES)) {
    if (!isObject(t) || typeof t.name !== 'string') continue;
    const version = fromTag(t.name, slot, current);
    if (version !== undefined) out.push({ version, files: new Map() });
  }
  return out;
}

/** `Package:` / `Version:` of an R repository's PACKAGES index. */
async function rRepositoryReleases(
  http: UpstreamHttp,
  contrib: string,
  name: string,
  kind: string,
): Promise<Release[]> {
  const url = `${contrib}PACKAGES`;
  const text = await http.text(url, `${kind} package ${name}`);
  const out: Release[] = [];
  for (const stanza of text.split(/\n\s*\n/).slice(0, MAX_ENTRIES)) {
    const pkg = /^Package:[ \t]*(\S+)[ \t]*$/m.exec(stanza);
    if (pkg?.[1] !== name) continue;
    const version = /^Version:[ \t]*(\S+)[ \t]*$/m.exec(stanza);
    if (version) out.push({ version: version[1], files: new Map() });
  }
  return out;
}

/** The archives of a plain HTML listing (an Apache or nginx index, a CPAN author folder) named like the recipe's. */
async function listingReleases(http: UpstreamHttp, folder: string, file: VersionSlot): Promise<Release[]> {
  const text = await http.text(folder, `listing ${folder}`);
  const out: Release[] = [];
  let seen = 0;
  for (const m of text.matchAll(/href\s*=\s*["']([^"'<>]{1,1024})["']/gi)) {
    if (++seen > MAX_ENTRIES) break;
    const target = m[1].split(/[?#]/)[0];
    let name = target.slice(target.lastIndexOf('/') + 1);
    try {
      name = decodeURIComponent(name);
    } catch {
      continue;
    }
    const version = versionInSlot(name, file);
    if (version !== undefined) out.push({ version, files: new Map() });
  }
  return out;
}

/** Every release `up` offers (pre-releases included), its versions as the recipe would write them. */
export async function releasesOf(http: UpstreamHttp, up: Upstream, current: string): Promise<Release[]> {
  switch (up.kind) {
    case 'pypi':
      return pypiReleases(http, up.index, up.name);
    case 'github':
      return githubReleases(http, up, current);
    case 'gitlab': {
      const url = `${up.origin}/api/v4/projects/${encodeURIComponent(up.project)}/repository/tags?per_page=100`;
      return tagReleases(http, url, `GitLab project ${up.project}`, up.tag, current);
    }
    case 'cran':
    case 'bioconductor':
      return rRepositoryReleases(http, up.contrib, up.name, up.kind === 'cran' ? 'CRAN' : 'Bioconductor');
    case 'listing':
      return listingReleases(http, up.folder, up.file);
  }
}

/** The newest release, pre-releases (by the upstream's mark or by the version) only when asked. */
export function newestRelease(releases: Release[], includePreRelease: boolean): Release | undefined {
  const eligible = releases.filter((r) => includePreRelease || !r.preRelease);
  const version = newestVersion(
    eligible.map((r) => r.version),
    includePreRelease,
  );
  if (version === undefined) return undefined;
  return eligible.find((r) => r.version === version && (includePreRelease || !isPreRelease(r.version)));
}

/** Whether `candidate` is newer than the recipe's `current` version. */
export function isNewer(candidate: string, current: string): boolean {
  return compareVersions(candidate, current) > 0;
}

/** A short name of the upstream for reports (`pypi:snakemake`, `github:owner/repo`). */
export function upstreamLabel(up: Upstream): string {
  switch (up.kind) {
    case 'pypi':
      return `pypi:${up.name}`;
    case 'github':
      return `github:${up.owner}/${up.repo}`;
    case 'gitlab':
      return `gitlab:${up.project}`;
    case 'cran':
    case 'bioconductor':
      return `${up.kind}:${up.name}`;
    case 'listing':
      return `listing:${up.folder}`;
  }
}
