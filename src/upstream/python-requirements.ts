/**
 * PyPI requirements (PEP 508) as conda match specs: the name normalized and
 * mapped to its conda-forge name, the version specifiers kept, extras-only
 * requirements dropped.
 */

/**
 * PyPI names whose conda-forge package has another name: a few entries of
 * the mapping grayskull uses (conda-forge's `name_mapping.yaml`, kept in
 * regro/cf-graph-countyfair), those bioinformatics recipes meet most. Every
 * other name is PyPI's normalized name (lower case, runs of `-_.` as `-`).
 */
export const CONDA_NAMES: ReadonlyMap<string, string> = new Map([
  ['torch', 'pytorch'],
  ['tables', 'pytables'],
  ['msgpack', 'msgpack-python'],
  ['matplotlib', 'matplotlib-base'],
  ['docker', 'docker-py'],
  ['graphviz', 'python-graphviz'],
  ['build', 'python-build'],
  ['tzdata', 'python-tzdata'],
  ['typing-extensions', 'typing_extensions'],
  ['duckdb', 'python-duckdb'],
]);

export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function condaNameOf(pypiName: string): string {
  const normalized = normalizePypiName(pypiName);
  return CONDA_NAMES.get(normalized) ?? normalized;
}

export interface CondaRequirement {
  /** The conda match spec (`requests >=2.0,<3`), or undefined when it is not carried. */
  spec?: string;
  /** Why it is not carried, or what of it was dropped (a marker). */
  note?: string;
}

const SPECIFIER = /^(~=|===|==|!=|<=|>=|<|>)\s*([A-Za-z0-9.*+!_-]+)$/;

/** One PEP 508 requirement as a conda match spec. */
export function condaRequirement(requirement: string): CondaRequirement {
  const [body, marker] = requirement.split(';', 2).map((p) => p.trim());
  if (marker && /\bextra\s*==/.test(marker)) return { note: `${requirement}: only for an extra` };
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$/.exec(body);
  if (!m) return { note: `${requirement}: not a requirement nx-conda reads` };
  const [, name, , rest] = m;
  if (rest.startsWith('@')) return { note: `${requirement}: a URL requirement` };
  const specifiers = rest
    .replace(/^\((.*)\)$/, '$1')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const conda: string[] = [];
  for (const s of specifiers) {
    const sm = SPECIFIER.exec(s);
    if (!sm || sm[1] === '===') return { note: `${requirement}: the version specifier ${s} is not carried over` };
    conda.push(`${sm[1]}${sm[2]}`);
  }
  const spec = `${condaNameOf(name)}${conda.length ? ` ${conda.join(',')}` : ''}`;
  return marker ? { spec, note: `${requirement}: the marker "${marker}" was dropped` } : { spec };
}
