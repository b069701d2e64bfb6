/**
 * `nx g nx-conda:recipe NAME --from=pypi|cran`: a complete recipe of a PyPI
 * project or a CRAN package, in either format, from the same upstream client bump-recipe uses:
 * version, a source URL written with the version variable (so that
 * bump-recipe recognises it), the sha256 of the downloaded sdist, the pip
 * build, requirements mapped to conda names, `noarch: python` for pure-Python
 * projects, run_exports (bioconda's lint asks for them) and test imports.
 */
import type { RecipeFormat } from '../../core/formats';
import { majorPin } from './pins';
import { condaRequirement, type GithubRecipeDraft, type PythonRecipeDraft, type RRecipeDraft } from '../../upstream';
import { yamlScalar } from '../utils';

/** Upstream text made inert in a recipe: no Jinja, no selector comment, one line. */
export function inert(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\$?\{[{%#]/g, (m) => m.split('').join(' '))
    .replace(/#/g, '')
    .trim();
}

const SAFE_URL = /^https?:\/\/[A-Za-z0-9._~:/?=&+@-]+$/;

function list(indent: string, items: string[]): string[] {
  return items.map((i) => `${indent}- ${yamlScalar(i)}`);
}

function about(draft: PythonRecipeDraft, homeKey: string): string[] {
  const lines = ['about:'];
  if (draft.home && SAFE_URL.test(draft.home)) lines.push(`  ${homeKey}: ${draft.home}`);
  lines.push(`  summary: ${yamlScalar(inert(draft.summary ?? `The ${draft.pypiName} Python package`))}`);
  lines.push(`  license: ${yamlScalar(inert(draft.license ?? 'LicenseRef-unknown'))}`);
  return lines;
}

/** The recipe text of a PyPI project in `format`. */
export function pythonRecipeText(draft: PythonRecipeDraft, format: RecipeFormat): string {
  const v1 = format === 'recipe';
  const j = (expr: string) => (v1 ? `\${{ ${expr} }}` : `{{ ${expr} }}`);
  const url = draft.urlTemplate
    .replace('{name0}', j('name[0]'))
    .replace(/\{name\}/g, j('name'))
    .replace('{version}', j('version'));
  const pin = majorPin(draft.version);
  const runExports = v1
    ? `${j(`pin_subpackage(name|lower, upper_bound="${pin}")`)}`
    : `${j(`pin_subpackage(name|lower, max_pin="${pin}")`)}`;
  const head = v1
    ? ['context:', `  name: ${yamlScalar(draft.pypiName)}`, `  version: ${JSON.stringify(draft.version)}`]
    : [`{% set name = "${draft.pypiName}" %}`, `{% set version = "${draft.version}" %}`];
  const build = [
    'build:',
    '  number: 0',
    ...(draft.noarch ? ['  noarch: python'] : []),
    `  script: ${j('PYTHON')} -m pip install . -vv --no-deps --no-build-isolation`,
    ...(v1 ? [] : ['  run_exports:', `    - ${runExports}`]),
  ];
  const requirements = [
    'requirements:',
    '  host:',
    ...list('    ', draft.host),
    '  run:',
    ...list('    ', draft.run),
    ...(v1 ? ['  run_exports:', `    - ${runExports}`] : []),
  ];
  const tests = v1
    ? ['tests:', '  - python:', '      imports:', ...list('        ', draft.imports), '      pip_check: true']
    : [
        'test:',
        '  imports:',
        ...list('    ', draft.imports),
        '  commands:',
        '    - pip check',
        '  requires:',
        '    - pip',
      ];
  const sections = [
    head,
    ['package:', `  name: ${j('name|lower')}`, `  version: ${j('version')}`],
    ['source:', `  url: ${url}`, `  sha256: ${draft.sha256}`],
    build,
    requirements,
    tests,
    about(draft, v1 ? 'homepage' : 'home'),
  ];
  return `${(v1 ? [['schema_version: 1'], ...sections] : sections).map((s) => s.join('\n')).join('\n\n')}\n`;
}

/**
 * The recipe text of a CRAN package in `format`, in bioconda's layout for R
 * packages: the CRAN mirror as `{{ cran_mirror }}` (meta.yaml: conda-build's
 * setting; recipe.yaml: a context entry), the archive URL and its Archive/
 * fallback, `$R CMD INSTALL --build .`, compilers when CRAN says it compiles,
 * `noarch: generic` otherwise.
 */
export function rRecipeText(draft: RRecipeDraft, format: RecipeFormat, mirror: string): string {
  const v1 = format === 'recipe';
  const j = (expr: string) => (v1 ? `\${{ ${expr} }}` : `{{ ${expr} }}`);
  const pin = majorPin(draft.version);
  const runExports = v1
    ? j(`pin_subpackage("${draft.name}", upper_bound="${pin}")`)
    : j(`pin_subpackage("${draft.name}", max_pin="${pin}")`);
  const head = v1
    ? [
        'context:',
        `  version: ${JSON.stringify(draft.version)}`,
        `  cran_mirror: ${yamlScalar(mirror.replace(/\/+$/, ''))}`,
      ]
    : [`{% set version = "${draft.version}" %}`];
  const file = `${draft.cranName}_${j('version')}.tar.gz`;
  const build = [
    'build:',
    '  number: 0',
    ...(draft.compiled ? [] : ['  noarch: generic']),
    ...(v1 ? [] : ['  rpaths:', '    - lib/R/lib/', '    - lib/']),
    '  script: $R CMD INSTALL --build .',
    ...(v1 ? [] : ['  run_exports:', `    - ${runExports}`]),
  ];
  const compilers = draft.compiled
    ? ['  build:', `    - ${j("compiler('c')")}`, `    - ${j("compiler('cxx')")}`, '    - make']
    : [];
  const requirements = [
    'requirements:',
    ...compilers,
    '  host:',
    ...list('    ', draft.requirements),
    '  run:',
    ...list('    ', draft.requirements),
    ...(v1 ? ['  run_exports:', `    - ${runExports}`] : []),
  ];
  const test = `$R -e "library('${draft.cranName}')"`;
  const tests = v1
    ? ['tests:', '  - script:', `      - ${yamlScalar(test)}`]
    : ['test:', '  commands:', `    - ${yamlScalar(test)}`];
  const aboutLines = ['about:'];
  if (draft.home && SAFE_URL.test(draft.home)) aboutLines.push(`  ${v1 ? 'homepage' : 'home'}: ${draft.home}`);
  aboutLines.push(`  summary: ${yamlScalar(inert(draft.summary ?? `The ${draft.cranName} R package`))}`);
  aboutLines.push(`  license: ${yamlScalar(inert(draft.license ?? 'LicenseRef-unknown'))}`);
  const sections = [
    head,
    [
      'package:',
      `  name: ${draft.name}`,
      `  version: ${v1 ? j('version | replace("-", "_")') : j('version|replace("-", "_")')}`,
    ],
    [
      'source:',
      '  url:',
      `    - ${j('cran_mirror')}/src/contrib/${file}`,
      `    - ${j('cran_mirror')}/src/contrib/Archive/${draft.cranName}/${file}`,
      `  sha256: ${draft.sha256}`,
    ],
    build,
    requirements,
    tests,
    aboutLines,
  ];
  return `${(v1 ? [['schema_version: 1'], ...sections] : sections).map((s) => s.join('\n')).join('\n\n')}\n`;
}

/** build.sh for a build system the archive shows (none for Python: the pip line is the recipe's script). */
export function githubBuildScript(draft: GithubRecipeDraft, name: string): string | undefined {
  const head = `#!/usr/bin/env bash\n# Build script of ${name}, run by the builder with $PREFIX the install prefix and\n# $SRC_DIR the unpacked source of ${draft.owner}/${draft.repo}.\nset -euo pipefail\n\n`;
  switch (draft.buildSystem) {
    case 'python':
      return undefined;
    case 'cmake':
      return `${head}cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \${CMAKE_ARGS:-}\ncmake --build build --parallel "\${CPU_COUNT:-1}"\ncmake --install build\n`;
    case 'make':
      return `${head}if [ -x configure ]; then ./configure --prefix="$PREFIX"; fi\nmake -j"\${CPU_COUNT:-1}"\nmake install PREFIX="$PREFIX"\n`;
    case 'unknown':
      return `${head}# The archive shows no build system nx-conda knows (pyproject.toml, setup.py, CMakeLists.txt,\n# Makefile, configure): write the build here, installing into "$PREFIX".\necho "build.sh of ${name}: write the build first" >&2\nexit 1\n`;
  }
}

/** The recipe text of a GitHub project in `format`, with the conda package name `name`. */
export function githubRecipeText(draft: GithubRecipeDraft, format: RecipeFormat, name: string): string {
  const v1 = format === 'recipe';
  const j = (expr: string) => (v1 ? `\${{ ${expr} }}` : `{{ ${expr} }}`);
  const pin = majorPin(draft.version);
  const runExports = v1 ? j(`pin_subpackage(name, upper_bound="${pin}")`) : j(`pin_subpackage(name, max_pin="${pin}")`);
  const head = v1
    ? ['context:', `  name: ${name}`, `  version: ${JSON.stringify(draft.version)}`]
    : [`{% set name = "${name}" %}`, `{% set version = "${draft.version}" %}`];
  const python = draft.buildSystem === 'python';
  const backend = python
    ? (draft.python?.buildRequires.length ? draft.python.buildRequires : ['setuptools'])
        .map((r) => condaRequirement(r).spec)
        .filter((s): s is string => !!s && !/^(wheel|pip)\b/.test(s))
    : [];
  const build = [
    'build:',
    '  number: 0',
    ...(python ? [`  script: ${j('PYTHON')} -m pip install . -vv --no-deps --no-build-isolation`] : []),
    ...(!python && v1 ? ['  script: build.sh'] : []),
    ...(v1 ? [] : ['  run_exports:', `    - ${runExports}`]),
  ];
  const compilers =
    draft.buildSystem === 'cmake'
      ? [j("compiler('c')"), j("compiler('cxx')"), 'cmake', 'make']
      : draft.buildSystem === 'make'
        ? [j("compiler('c')"), 'make']
        : [];
  const requirements = [
    'requirements:',
    ...(compilers.length ? ['  build:', ...compilers.map((c) => `    - ${c}`)] : []),
    ...(python ? ['  host:', ...list('    ', ['python', 'pip', ...backend]), '  run:', '    - python'] : []),
    ...(v1 ? ['  run_exports:', `    - ${runExports}`] : []),
  ];
  const imports = draft.python?.packages.length ? draft.python.packages : [name.replace(/[-.]/g, '_')];
  const tests = python
    ? v1
      ? ['tests:', '  - python:', '      imports:', ...list('        ', imports), '      pip_check: true']
      : ['test:', '  imports:', ...list('    ', imports), '  commands:', '    - pip check', '  requires:', '    - pip']
    : v1
      ? ['tests:', '  - script:', `      - ${name} --help  # the tool's own command: adjust`]
      : ['test:', '  commands:', `    - ${name} --help  # the tool's own command: adjust`];
  const aboutLines = ['about:'];
  if (draft.home && SAFE_URL.test(draft.home)) aboutLines.push(`  ${v1 ? 'homepage' : 'home'}: ${draft.home}`);
  aboutLines.push(`  summary: ${yamlScalar(inert(draft.summary ?? `The ${draft.repo} project`))}`);
  aboutLines.push(`  license: ${yamlScalar(inert(draft.license ?? 'LicenseRef-unknown'))}`);
  aboutLines.push(`  ${v1 ? 'repository' : 'dev_url'}: https://github.com/${draft.owner}/${draft.repo}`);
  const sections = [
    head,
    ['package:', `  name: ${j('name')}`, `  version: ${j('version')}`],
    [
      'source:',
      `  url: https://github.com/${draft.owner}/${draft.repo}/archive/refs/tags/${draft.tagPrefix}${j('version')}.tar.gz`,
      `  sha256: ${draft.sha256}`,
    ],
    build,
    ...(requirements.length > 1 ? [requirements] : []),
    tests,
    aboutLines,
  ];
  return `${(v1 ? [['schema_version: 1'], ...sections] : sections).map((s) => s.join('\n')).join('\n\n')}\n`;
}
