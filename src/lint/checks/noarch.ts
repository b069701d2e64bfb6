/** noarch: when a recipe should be noarch and when it cannot be (bioconda's check_noarch). */
import { selectorNames } from '../../recipes/selectors';
import { depsOf, isTruthy, noarchOf, topLevelBlock, usesCompiler, type LintRecipe } from '../model';
import type { Check, Hit } from '../types';

/** Selector names that differ between platforms: a recipe using one builds differently per platform. */
const PLATFORM_NAMES = new Set([
  'linux',
  'linux32',
  'linux64',
  'arm',
  'osx',
  'unix',
  'win',
  'win32',
  'win64',
  'x86',
  'x86_64',
  'aarch64',
  'arm64',
  'ppc64le',
  's390x',
  'armv6l',
  'armv7l',
  'target_platform',
  'build_platform',
  'host_platform',
  'subdir',
]);

/** Our rule beside bioconda's: a recipe with a platform selector (line selector or v1 `if:`) is not made noarch. */
function hasPlatformSelector(r: LintRecipe): boolean {
  if (r.format === 'recipe')
    return r.lines.some((l) => /^\s*-?\s*if\s*:/.test(l) && /linux|osx|win|unix|aarch64|arm64|x86_64|ppc64le/.test(l));
  return r.selectors.some((s) => (selectorNames(s.expr) ?? []).some((n) => PLATFORM_NAMES.has(n)));
}

function pythonInBuild(r: LintRecipe): boolean {
  // bioconda asks for python in `build`; host is where current recipes put it.
  return (depsOf(r).get('python') ?? []).some((q) => q.section === 'build' || q.section === 'host');
}

function wantsNoarchPython(r: LintRecipe): boolean {
  return pythonInBuild(r) && !usesCompiler(r) && noarchOf(r) !== 'python' && !hasPlatformSelector(r);
}

export const shouldBeNoarchPython: Check = {
  name: 'should_be_noarch_python',
  severity: 'warning',
  message: 'no compiler and no platform selector: add build: noarch: python',
  run: (r) => (r.outputs.length === 0 && wantsNoarchPython(r) ? [{ path: ['build'] }] : []),
};

export const shouldBeNoarchGeneric: Check = {
  name: 'should_be_noarch_generic',
  severity: 'warning',
  message: 'no compiler and no platform selector: add build: noarch: generic',
  after: ['should_be_noarch_python'],
  run(r) {
    if (r.outputs.length > 0 || usesCompiler(r) || noarchOf(r) || hasPlatformSelector(r)) return [];
    if (pythonInBuild(r)) return []; // should_be_noarch_python's case
    return [{ path: ['build'] }];
  },
};

export const shouldNotBeNoarchCompiler: Check = {
  name: 'should_not_be_noarch_compiler',
  severity: 'error',
  message: 'a recipe that uses a compiler is platform-specific: remove build: noarch:',
  run: (r) => (usesCompiler(r) && noarchOf(r) ? [{ path: ['build', 'noarch'] }] : []),
};

/** `skip:` in the text of the top-level build section, whatever platform its selector names. */
function skipLines(r: LintRecipe): number[] {
  const block = topLevelBlock(r, 'build');
  if (!block) return [];
  const out: number[] = [];
  for (let i = block.start; i < block.end; i++) {
    const m = /^\s+skip\s*:\s*([^#\s]*)/.exec(r.lines[i]);
    if (m && (r.format === 'recipe' || isTruthy(m[1]))) out.push(i + 1);
  }
  return out;
}

export const shouldNotBeNoarchSkip: Check = {
  name: 'should_not_be_noarch_skip',
  severity: 'error',
  message: 'a noarch package is built once for every platform: remove build: skip: or build: noarch:',
  run(r): Hit[] {
    if (!noarchOf(r)) return [];
    const lines = skipLines(r);
    if (lines.length) return [{ line: lines[0] }];
    return isTruthy(r.build.skip) ? [{ path: ['build', 'skip'] }] : [];
  },
};

export const shouldNotBeNoarchSource: Check = {
  name: 'should_not_be_noarch_source',
  severity: 'error',
  message: 'per-platform sources make a platform-specific package: use one source or remove build: noarch:',
  run(r): Hit[] {
    if (!noarchOf(r)) return [];
    const block = topLevelBlock(r, 'source');
    if (!block) return [];
    const selector = r.format === 'recipe' ? /^\s*-?\s*if\s*:/ : /#\s*\[.*\]/;
    for (let i = block.start - 1; i < block.end; i++) if (selector.test(r.lines[i])) return [{ line: i + 1 }];
    return [];
  },
};

export const noarchChecks: Check[] = [
  shouldBeNoarchPython,
  shouldBeNoarchGeneric,
  shouldNotBeNoarchCompiler,
  shouldNotBeNoarchSkip,
  shouldNotBeNoarchSource,
];
