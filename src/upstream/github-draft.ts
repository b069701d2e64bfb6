/**
 * What a conda recipe of a GitHub project needs: its newest release (else
 * tag), the archive of that tag (downloaded, hashed, and looked at for its
 * build system), and the repository's description, homepage and licence.
 */
import { downloadForDraft } from './download';
import type { UpstreamHttp } from './http';
import { UpstreamError } from './errors';
import { releasesOf, newestRelease } from './releases';
import { sdistFacts, tarGzFiles } from './sdist';

export type BuildSystem = 'python' | 'cmake' | 'make' | 'unknown';

export interface GithubRecipeDraft {
  owner: string;
  repo: string;
  version: string;
  /** The tag with the version cut out: `v` + version + ''. */
  tagPrefix: string;
  sha256: string;
  buildSystem: BuildSystem;
  /** For a Python project: the backend's requirements and import packages, as the sdist reader finds them. */
  python?: { buildRequires: string[]; packages: string[] };
  summary?: string;
  home?: string;
  license?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `github:<owner>/<repo>` split and checked. */
export function githubRepoOf(from: string): { owner: string; repo: string } | undefined {
  const m = /^github:([^/\s]+)\/([^/\s]+)$/.exec(from.trim());
  return m && NAME.test(m[1]) && NAME.test(m[2]) ? { owner: m[1], repo: m[2].replace(/\.git$/, '') } : undefined;
}

export async function githubDraft(http: UpstreamHttp, owner: string, repo: string): Promise<GithubRecipeDraft> {
  const what = `GitHub repository ${owner}/${repo}`;
  const releases = await releasesOf(
    http,
    { kind: 'github', owner, repo, tag: { prefix: 'v', suffix: '' }, fromReleases: false },
    '',
  );
  let tagPrefix = 'v';
  let release = newestRelease(releases, false);
  if (!release) {
    // Tags without a `v`: as they are.
    release = newestRelease(
      await releasesOf(http, { kind: 'github', owner, repo, tag: { prefix: '', suffix: '' }, fromReleases: false }, ''),
      false,
    );
    tagPrefix = '';
  }
  if (!release) throw new UpstreamError(`${what}: no release or tag named like a version (1.2.3 or v1.2.3).`);
  const version = release.version;
  const url = `https://github.com/${owner}/${repo}/archive/refs/tags/${tagPrefix}${version}.tar.gz`;
  const { sha256, archive } = await downloadForDraft(http, url);
  const top = new Set<string>();
  if (archive)
    tarGzFiles(archive, (name) => {
      const parts = name.split('/');
      if (parts.length === 2) top.add(parts[1]);
      return false;
    });
  const buildSystem: BuildSystem =
    top.has('pyproject.toml') || top.has('setup.py')
      ? 'python'
      : top.has('CMakeLists.txt')
        ? 'cmake'
        : top.has('Makefile') || top.has('configure')
          ? 'make'
          : 'unknown';
  const info = await http.json(
    `${http.githubApi}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`,
    what,
  );
  const meta = isObject(info) ? info : {};
  const text = (v: unknown) =>
    typeof v === 'string' && v.trim() ? v.replace(/\s+/g, ' ').trim().slice(0, 300) : undefined;
  const homepage = text(meta.homepage);
  const spdx = isObject(meta.license) ? text(meta.license.spdx_id) : undefined;
  const summary = text(meta.description);
  return {
    owner,
    repo,
    version,
    tagPrefix,
    sha256,
    buildSystem,
    ...(buildSystem === 'python' && archive ? { python: sdistFacts(archive) } : {}),
    ...(summary ? { summary } : {}),
    home:
      homepage && /^https?:\/\/[A-Za-z0-9._~:/?=&+@-]+$/.test(homepage)
        ? homepage
        : `https://github.com/${owner}/${repo}`,
    ...(spdx && spdx !== 'NOASSERTION' ? { license: spdx } : {}),
  };
}
