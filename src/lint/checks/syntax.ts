/** Syntax: what the reader itself notices (bioconda's lint/__init__ and check_syntax). */
import { selectorNames, selectorNamespace } from '../../recipes/selectors';
import { lineOfText } from '../model';
import type { Check, Hit } from '../types';

export const jinjaRenderFailure: Check = {
  name: 'jinja_render_failure',
  severity: 'error',
  message: 'the Jinja template does not render: fix it',
  run: (r) =>
    r.failure && r.failure.stage !== 'yaml'
      ? [{ message: `the Jinja template does not render (${r.failure.reason}): fix it`, line: r.failure.line ?? 1 }]
      : [],
};

export const yamlLoadFailure: Check = {
  name: 'yaml_load_failure',
  severity: 'error',
  message: 'the recipe is not valid YAML: fix it',
  run: (r) =>
    r.failure?.stage === 'yaml'
      ? [{ message: `the recipe is not valid YAML (${r.failure.reason}): fix it`, line: r.failure.line ?? 1 }]
      : [],
};

export const duplicateKey: Check = {
  name: 'duplicate_key_in_meta_yaml',
  severity: 'error',
  message: 'a key is written twice in one mapping (the last one silently wins): keep one',
  run: (r) =>
    r.positions.duplicates.map((d) => ({
      line: d.line,
      message: `${d.path} is written twice (first on line ${d.firstLine}; the last one silently wins): keep one`,
    })),
};

/**
 * Names conda-build defines beyond the platform's namespace (variant keys
 * and build settings recipes commonly select on).
 */
const CONDA_BUILD_NAMES = [
  'np',
  'cross_compiling',
  'build_platform',
  'target_platform',
  'host_platform',
  'pypy',
  'lua',
  'perl',
  'r_base',
  'numpy',
  'python',
  'blas_impl',
  'mpi',
  'cuda_compiler_version',
  'c_compiler',
  'cxx_compiler',
  'fortran_compiler',
  'c_stdlib',
  'c_stdlib_version',
  'osx64',
  'osxarm64',
  'linux_aarch64',
  'environ',
  'os',
  'float',
  'int',
  'str',
];

export function knownSelectorNames(platform: string, extra: readonly string[] = []): Set<string> {
  return new Set([...Object.keys(selectorNamespace(platform)), ...CONDA_BUILD_NAMES, ...extra]);
}

export const unknownSelector: Check = {
  name: 'unknown_selector',
  severity: 'warning',
  message: 'the selector is not one conda-build knows (an unknown name is false): fix its spelling',
  run(r) {
    const known = r.knownSelectors;
    const hits: Hit[] = [];
    for (const s of r.selectors) {
      const names = selectorNames(s.expr);
      const unknown = names === undefined ? [s.expr] : names.filter((n) => !known.has(n.split('.')[0]));
      if (unknown.length)
        hits.push({
          line: s.line,
          message: `selector [${s.expr}] uses ${names === undefined ? 'a syntax conda-build cannot read' : `unknown name(s) ${unknown.join(', ')}`} (an unknown name is false): fix it`,
        });
    }
    return hits;
  },
};

/** bioconda's pattern: a name, then an operator with no space before it. */
const CONSTRAINT = /^(.*?)([!~<=>].*)$/;

export const versionConstraintsMissingWhitespace: Check = {
  name: 'version_constraints_missing_whitespace',
  severity: 'error',
  message: 'separate the package name from its version constraint with a space (python >=3.8): --fix does it',
  run(r) {
    const hits: Hit[] = [];
    for (const q of r.requirements) {
      const m = CONSTRAINT.exec(q.spec);
      if (!m || m[1].endsWith(' ') || m[1] === '' || /[[(]/.test(m[1])) continue;
      const near = r.lineOf(q.path);
      const line = lineOfText(r, q.spec, near) === near ? near : (lineOfText(r, `${m[1]}${m[2][0]}`, near) ?? near);
      const raw = r.lines[line - 1] ?? '';
      const at = raw.indexOf(`${m[1]}${m[2][0]}`);
      hits.push({
        path: q.path,
        line,
        ...(at >= 0 ? { fix: { line, replace: `${m[1]}${m[2][0]}`, with: `${m[1]} ${m[2][0]}` } } : {}),
      });
    }
    return hits;
  },
};

export const hasWindowsBatFile: Check = {
  name: 'has_windows_bat_file',
  severity: 'warning',
  message: 'this repository does not build for Windows: remove the .bat file',
  run: (r) => r.files.filter((f) => f.toLowerCase().endsWith('.bat')).map((f) => ({ file: `${r.dir}/${f}`, line: 1 })),
};

export const syntaxChecks: Check[] = [
  jinjaRenderFailure,
  yamlLoadFailure,
  duplicateKey,
  unknownSelector,
  versionConstraintsMissingWhitespace,
  hasWindowsBatFile,
];
