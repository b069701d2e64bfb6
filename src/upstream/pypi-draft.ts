/**
 * What a conda recipe of a PyPI project needs, from the index's JSON API and
 * the project's sdist (downloaded, hashed, and read for its build backend
 * and import packages).
 */
import { downloadForDraft } from './download';
import type { UpstreamHttp } from './http';
import { UpstreamError } from './errors';
import { condaNameOf, condaRequirement } from './python-requirements';
import { sdistFacts } from './sdist';
import { isPreRelease, newestVersion, VERSION_SHAPE } from './version-order';

export interface PythonRecipeDraft {
  /** The project's name as the index writes it. */
  pypiName: string;
  /** The conda package name. */
  name: string;
  version: string;
  /** The source URL with the version written as `{version}` and the project name as `{name}` where they occur. */
  urlTemplate: string;
  sha256: string;
  /** Pure Python: a `py3-none-any` wheel exists for the version. */
  noarch: boolean;
  host: string[];
  run: string[];
  imports: string[];
  summary?: string;
  home?: string;
  license?: string;
  /** Requirements not carried over, or carried without their marker. */
  notes: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown, max = 300): string | undefined {
  return typeof v === 'string' && v.trim() && !/[\r\n]/.test(v.trim()) ? v.trim().slice(0, max) : undefined;
}

/** `index` is the origin whose `/pypi/<name>/json` answers; `name` the project. */
export async function pypiDraft(http: UpstreamHttp, index: string, name: string): Promise<PythonRecipeDraft> {
  const base = index.replace(/\/+$/, '');
  const url = `${base}/pypi/${encodeURIComponent(name)}/json`;
  const what = `PyPI project ${name}`;
  const doc = await http.json(url, what);
  if (!isObject(doc) || !isObject(doc.info) || !isObject(doc.releases))
    throw new UpstreamError(`${what}: ${url} answered JSON that is not a PyPI project.`);
  const info = doc.info;
  const releases = doc.releases;
  const latest = text(info.version);
  const version =
    latest && VERSION_SHAPE.test(latest) && !isPreRelease(latest)
      ? latest
      : newestVersion(Object.keys(releases), false);
  if (!version) throw new UpstreamError(`${what}: no final release.`);
  const files = Array.isArray(releases[version]) ? (releases[version] as unknown[]).filter(isObject) : [];
  const sdist = files.find((f) => typeof f.filename === 'string' && /\.tar\.gz$/.test(f.filename) && f.yanked !== true);
  if (!sdist || typeof sdist.filename !== 'string')
    throw new UpstreamError(`${what}: version ${version} has no source archive (.tar.gz) on the index.`);
  const pypiName = text(info.name) ?? name;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(pypiName) || !/^[A-Za-z0-9][A-Za-z0-9._+!-]*\.tar\.gz$/.test(sdist.filename))
    throw new UpstreamError(`${what}: the index names the project or its archive oddly; write this recipe by hand.`);
  const sourceUrl = `${base}/packages/source/${pypiName[0]}/${pypiName}/${sdist.filename}`;

  const { sha256, archive } = await downloadForDraft(http, sourceUrl);
  const announced = isObject(sdist.digests) ? sdist.digests.sha256 : undefined;
  if (typeof announced === 'string' && announced !== sha256)
    throw new UpstreamError(`${sourceUrl}: the download's sha256 is ${sha256}, but the index announces ${announced}.`);
  const facts = archive ? sdistFacts(archive) : { buildRequires: [], packages: [] };

  const notes: string[] = [];
  const mapped = (list: unknown): string[] => {
    const out: string[] = [];
    for (const r of Array.isArray(list) ? list : []) {
      if (typeof r !== 'string' || r.length > 300) continue;
      const c = condaRequirement(r);
      if (c.note) notes.push(c.note);
      if (c.spec && !out.some((s) => s.split(' ')[0] === c.spec!.split(' ')[0])) out.push(c.spec);
    }
    return out;
  };
  const requiresPython = text(info.requires_python, 60)?.replace(/\s+/g, '');
  const python = requiresPython && /^[<>=!~0-9.,*]+$/.test(requiresPython) ? `python ${requiresPython}` : 'python';
  const backend = mapped(facts.buildRequires.length ? facts.buildRequires : ['setuptools']).filter(
    (s) => !/^(wheel|pip)\b/.test(s),
  );
  const noarch = files.some((f) => typeof f.filename === 'string' && /-py(2\.py)?3-none-any\.whl$/.test(f.filename));
  const urls = isObject(info.project_urls) ? info.project_urls : {};
  const home = [info.home_page, urls.Homepage, urls.homepage, urls.Source, urls.Repository]
    .map((u) => text(u))
    .find((u) => u && /^https?:\/\/\S+$/.test(u));
  const license = text(info.license_expression, 80) ?? text(info.license, 80);
  return {
    pypiName,
    name: condaNameOf(pypiName),
    version,
    urlTemplate: `${base}/packages/source/{name0}/{name}/${sdist.filename.replace(pypiName, '{name}').replace(version, '{version}')}`,
    sha256,
    noarch,
    host: [python, 'pip', ...backend],
    run: [python, ...mapped(info.requires_dist).filter((s) => s.split(' ')[0] !== 'python')],
    imports: facts.packages.length ? facts.packages : [pypiName.toLowerCase().replace(/[-.]/g, '_')],
    ...(text(info.summary) ? { summary: text(info.summary) } : {}),
    ...(home ? { home } : {}),
    ...(license ? { license } : {}),
    notes,
  };
}
