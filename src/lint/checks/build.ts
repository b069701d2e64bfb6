/** Build tools: compilers and setuptools (bioconda's check_build_help). */
import { asList, asText, isMapping } from '../../recipes/common';
import { depsOf, type LintRecipe } from '../model';
import type { Check, Hit } from '../types';

/** Packages that are compilers or their runtimes, which `{{ compiler('…') }}` replaces. */
const DIRECT_COMPILERS = new Set(['gcc', 'llvm', 'libgfortran', 'libgcc', 'go', 'cgo', 'toolchain', 'rust']);

export const shouldUseCompilers: Check = {
  name: 'should_use_compilers',
  severity: 'error',
  message:
    "require compilers as {{ compiler('c') }} (cxx, fortran, rust, go) in requirements: build:, not by package name",
  run: (r) => r.requirements.filter((q) => DIRECT_COMPILERS.has(q.name)).map((q) => ({ path: q.path })),
};

export const compilersMustBeInBuild: Check = {
  name: 'compilers_must_be_in_build',
  severity: 'error',
  message: "move {{ compiler('…') }} into requirements: build:",
  run: (r) =>
    r.requirements
      .filter((q) => q.name.startsWith('compiler_') && q.section !== 'build')
      .map((q) => ({ path: q.path })),
};

export const usesSetuptools: Check = {
  name: 'uses_setuptools',
  severity: 'info',
  message:
    'setuptools is rarely needed at run time: drop it from requirements: run: unless the package imports pkg_resources',
  run: (r) =>
    r.requirements.filter((q) => q.name === 'setuptools' && q.section === 'run').map((q) => ({ path: q.path })),
};

/** A `setup.py install` without the arguments that stop setuptools from fetching dependencies itself. */
function badSetupPyLine(line: string): boolean {
  return line.includes('setup.py install') && !line.includes('--single-version-externally-managed');
}

/** The build script of a recipe: `build: script:` (text or list). */
function scriptLines(r: LintRecipe): string[] {
  const script = r.build.script;
  if (isMapping(script)) return asList(script.content).map((x) => asText(x) ?? '');
  return asList(script).flatMap((x) => (asText(x) ?? '').split('\n'));
}

export const setupPyInstallArgs: Check = {
  name: 'setup_py_install_args',
  severity: 'error',
  message: 'use $PYTHON -m pip install . --no-deps (or add --single-version-externally-managed --record=record.txt)',
  run(r) {
    if (!r.requirements.some((q) => q.name === 'setuptools')) return [];
    const hits: Hit[] = [];
    if (scriptLines(r).some(badSetupPyLine)) hits.push({ path: ['build', 'script'] });
    const buildSh = r.readFile('build.sh');
    // A line continued with `\` is one command.
    if (buildSh !== undefined) {
      const lines = buildSh.split('\n');
      for (let i = 0; i < lines.length; i++) {
        let command = lines[i];
        const start = i;
        while (command.trimEnd().endsWith('\\') && i + 1 < lines.length)
          command = `${command.trimEnd().slice(0, -1)} ${lines[++i]}`;
        if (badSetupPyLine(command)) hits.push({ file: `${r.dir}/build.sh`, line: start + 1 });
      }
    }
    return hits;
  },
};

export const cythonMustBeInHost: Check = {
  name: 'cython_must_be_in_host',
  severity: 'error',
  message: 'move cython to requirements: host: (it is needed to build, not to run)',
  run(r) {
    const cython = depsOf(r).get('cython') ?? [];
    // Our rule: cython in build beside host is the cross-compiling pattern, not a mistake.
    const inHost = cython.some((q) => q.section === 'host');
    return cython.filter((q) => q.section === 'run' || !inHost).map((q) => ({ path: q.path }));
  },
};

export const cythonNeedsCompiler: Check = {
  name: 'cython_needs_compiler',
  severity: 'warning',
  message: "cython makes C code: add {{ compiler('c') }} to requirements: build:",
  run(r) {
    const deps = depsOf(r);
    const cython = deps.get('cython');
    if (!cython || deps.has('compiler_c') || deps.has('compiler_cxx')) return [];
    return [{ path: cython[0].path }];
  },
};

export const buildChecks: Check[] = [
  shouldUseCompilers,
  compilersMustBeInBuild,
  usesSetuptools,
  setupPyInstallArgs,
  cythonMustBeInHost,
  cythonNeedsCompiler,
];
