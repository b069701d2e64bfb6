/**
 * What a conda recipe of a CRAN package needs: its stanza of the mirror's
 * PACKAGES index (version, dependencies, whether it compiles), and its
 * archive (downloaded, hashed, and read for DESCRIPTION's title and URL).
 */
import { downloadForDraft } from './download';
import type { UpstreamHttp } from './http';
import { UpstreamError } from './errors';
import { tarGzFiles } from './sdist';
import { VERSION_SHAPE } from './version-order';

export interface RRecipeDraft {
  /** The CRAN name (`Rcpp`). */
  cranName: string;
  /** The conda name (`r-rcpp`). */
  name: string;
  /** As CRAN writes it (`1.2-3`). */
  version: string;
  sha256: string;
  compiled: boolean;
  /** Conda specs of Depends, Imports and LinkingTo (base R's own packages left out), r-base first. */
  requirements: string[];
  summary?: string;
  home?: string;
  license?: string;
}

/** Packages that come with R itself (r-base): never a requirement of their own. */
const BASE_R = new Set([
  'R',
  'base',
  'compiler',
  'datasets',
  'graphics',
  'grDevices',
  'grid',
  'methods',
  'parallel',
  'splines',
  'stats',
  'stats4',
  'tcltk',
  'tools',
  'utils',
]);

/** The fields of the first DCF stanza (DESCRIPTION, one PACKAGES entry); continuation lines joined. */
export function parseDcf(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/).slice(0, 10_000)) {
    if (line.trim() === '') {
      if (fields.size) break;
      continue;
    }
    const m = /^([A-Za-z0-9/@._-]+):\s?(.*)$/.exec(line);
    if (m && !/^\s/.test(line)) {
      last = m[1];
      fields.set(last, m[2].trim());
    } else if (last && /^\s/.test(line)) fields.set(last, `${fields.get(last)} ${line.trim()}`);
  }
  return fields;
}

/** `Rcpp (>= 1.0.0), methods` as conda specs (`r-rcpp >=1.0.0`); base R's packages dropped. */
export function rRequirements(field: string | undefined): string[] {
  const out: string[] = [];
  for (const part of (field ?? '').split(',')) {
    const m = /^\s*([A-Za-z][A-Za-z0-9.]*)\s*(?:\(\s*(>=|<=|==|>|<)\s*([0-9][0-9.-]*)\s*\))?\s*$/.exec(part);
    if (!m || BASE_R.has(m[1])) continue;
    out.push(`r-${m[1].toLowerCase()}${m[2] ? ` ${m[2]}${m[3].replace(/-/g, '_')}` : ''}`);
  }
  return out;
}

function oneLine(v: string | undefined, max = 300): string | undefined {
  const t = v?.replace(/\s+/g, ' ').trim();
  return t ? t.slice(0, max) : undefined;
}

/** `mirror` is the CRAN mirror's URL (conda-build's cran_mirror); `name` the CRAN package. */
export async function cranDraft(http: UpstreamHttp, mirror: string, name: string): Promise<RRecipeDraft> {
  const base = mirror.replace(/\/+$/, '');
  const what = `CRAN package ${name}`;
  const index = await http.text(`${base}/src/contrib/PACKAGES`, what);
  const stanza = index
    .split(/\n\s*\n/)
    .map((s) => parseDcf(s))
    .find((f) => f.get('Package') === name);
  if (!stanza) throw new UpstreamError(`${what}: not in ${base}/src/contrib/PACKAGES (CRAN names are case-sensitive).`);
  const version = stanza.get('Version') ?? '';
  if (!VERSION_SHAPE.test(version)) throw new UpstreamError(`${what}: the index gives no usable version.`);
  const url = `${base}/src/contrib/${name}_${version}.tar.gz`;
  const { sha256, archive } = await downloadForDraft(http, url);
  const description = archive
    ? tarGzFiles(archive, (n, size) => n === `${name}/DESCRIPTION` && size < 1024 * 1024)
    : new Map<string, Buffer>();
  const desc = parseDcf(description.get(`${name}/DESCRIPTION`)?.toString('utf8') ?? '');
  const home = (desc.get('URL') ?? '').split(/[\s,]+/).find((u) => /^https?:\/\/[A-Za-z0-9._~:/?=&+@-]+$/.test(u));
  const requirements = ['r-base'];
  for (const spec of [
    ...rRequirements(stanza.get('Depends')),
    ...rRequirements(stanza.get('Imports')),
    ...rRequirements(stanza.get('LinkingTo')),
  ])
    if (!requirements.some((r) => r.split(' ')[0] === spec.split(' ')[0])) requirements.push(spec);
  const title = oneLine(desc.get('Title'));
  const license = oneLine(stanza.get('License') ?? desc.get('License'), 80);
  return {
    cranName: name,
    name: `r-${name.toLowerCase()}`,
    version,
    sha256,
    compiled: (stanza.get('NeedsCompilation') ?? desc.get('NeedsCompilation')) === 'yes',
    requirements,
    ...(title ? { summary: title } : {}),
    ...(home ? { home } : {}),
    ...(license ? { license } : {}),
  };
}
