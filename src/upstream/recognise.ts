/**
 * Which upstream a source URL comes from, told by the URL's shape alone (no
 * package index's host name is written here: a PyPI URL is known by its
 * `/packages/source/<letter>/<name>/` path, and its JSON API is asked on the
 * URL's own host).
 */

/** A name in a URL where the version is: what comes before and after it. */
export interface VersionSlot {
  prefix: string;
  suffix: string;
}

export type Upstream =
  | { kind: 'pypi'; index: string; name: string }
  | { kind: 'github'; owner: string; repo: string; tag?: VersionSlot; fromReleases: boolean }
  | { kind: 'gitlab'; origin: string; project: string; tag?: VersionSlot }
  | { kind: 'cran' | 'bioconductor'; contrib: string; name: string }
  | { kind: 'listing'; folder: string; file: VersionSlot };

export type UpstreamKind = Upstream['kind'];

/** The name with the version cut out, when the version occurs in it. */
function slotOf(name: string, version: string): VersionSlot | undefined {
  const at = name.indexOf(version);
  if (version === '' || at < 0) return undefined;
  return { prefix: name.slice(0, at), suffix: name.slice(at + version.length) };
}

/** The version in `name` by its slot, when `name` has that shape. */
export function versionInSlot(name: string, slot: VersionSlot): string | undefined {
  if (name.length <= slot.prefix.length + slot.suffix.length) return undefined;
  if (!name.startsWith(slot.prefix) || !name.endsWith(slot.suffix)) return undefined;
  return name.slice(slot.prefix.length, name.length - slot.suffix.length);
}

const ARCHIVE = /\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip)$/;
const MAX_URL_LENGTH = 2048;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The upstream of a source URL whose current version is `version`, or undefined when none is known. */
export function recogniseUpstream(url: string, version: string): Upstream | undefined {
  if (url.length > MAX_URL_LENGTH) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  const segments = parsed.pathname.split('/').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const path = parsed.pathname;

  const pypi = /^\/packages\/source\/[^/]\/([^/]+)\/[^/]+$/.exec(path);
  if (pypi && NAME.test(pypi[1])) return { kind: 'pypi', index: parsed.origin, name: pypi[1] };

  if (parsed.hostname === 'github.com' && segments.length >= 5) {
    const [, owner, repo, what] = segments;
    if (NAME.test(owner) && NAME.test(repo)) {
      if (what === 'archive') {
        const rest = segments
          .slice(4)
          .join('/')
          .replace(/^refs\/tags\//, '');
        return { kind: 'github', owner, repo, tag: slotOf(rest.replace(ARCHIVE, ''), version), fromReleases: false };
      }
      if (what === 'releases' && segments[4] === 'download' && segments.length >= 7)
        return { kind: 'github', owner, repo, tag: slotOf(segments[5], version), fromReleases: true };
    }
  }

  const gitlab = /^\/(.+?)\/-\/archive\/([^/]+)\/[^/]+$/.exec(path);
  if (gitlab && /(^|\.)gitlab\./.test(parsed.hostname))
    return {
      kind: 'gitlab',
      origin: parsed.origin,
      project: gitlab[1],
      tag: slotOf(segments[segments.indexOf('archive') + 1], version),
    };

  const contrib = /^(.*\/src\/contrib\/)(?:Archive\/[^/]+\/)?([A-Za-z0-9.]+)_[^/_]+\.tar\.gz$/.exec(path);
  if (contrib) {
    const bioc = /\/packages\/[^/]+\/(bioc|data\/annotation|data\/experiment|workflows)\/src\/contrib\/$/.test(
      contrib[1],
    );
    return { kind: bioc ? 'bioconductor' : 'cran', contrib: `${parsed.origin}${contrib[1]}`, name: contrib[2] };
  }

  const file = segments[segments.length - 1];
  const folder = path.slice(0, path.lastIndexOf('/') + 1);
  const slot = slotOf(file, version);
  if (slot && ARCHIVE.test(file) && !folder.includes(version))
    return { kind: 'listing', folder: `${parsed.origin}${folder}`, file: slot };
  return undefined;
}
