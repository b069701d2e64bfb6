/**
 * One recipe that triggers each check and one that does not (the good one
 * differs from the bad one only where the check looks), plus file:line,
 * configuration, skip-lints and --fix.
 */
import { applyFixes, lintRecipe } from './lint';
import { CHECK_NAMES } from './registry';
import { knownSelectorNames } from './checks/syntax';
import type { RepositoryLookup } from './types';

/** A complete recipe: no default check fires on it. */
const GOOD = `{% set version = "1.0" %}
package:
  name: good
  version: {{ version }}
source:
  url: https://example.org/good-{{ version }}.tar.gz
  sha256: 0123
build:
  number: 0
  noarch: generic
  run_exports:
    - {{ pin_subpackage('good', max_pin='x') }}
requirements:
  run:
    - bash >=5
test:
  commands:
    - good --help
about:
  home: https://example.org
  license: MIT
  license_file: LICENSE
  summary: A good recipe
`;

interface Options {
  file?: string;
  files?: Record<string, string>;
  rules?: Record<string, 'off' | 'info' | 'warning' | 'error'>;
  repo?: RepositoryLookup;
}

const allOn = Object.fromEntries([...CHECK_NAMES].map((n) => [n, 'error' as const]));

async function lint(text: string, o: Options = {}) {
  const file = o.file ?? 'recipes/good/meta.yaml';
  const name = file.slice(file.lastIndexOf('/') + 1);
  return lintRecipe({
    file,
    contents: text,
    files: [name, ...Object.keys(o.files ?? {})],
    readFile: (n) => o.files?.[n],
    platform: 'linux-64',
    knownSelectors: knownSelectorNames('linux-64', ['blas_impl']),
    config: { rules: o.rules ?? allOn },
    ...(o.repo ? { repo: o.repo } : {}),
  });
}

const names = async (text: string, o: Options = {}) =>
  [...new Set((await lint(text, o)).findings.map((f) => f.check))].sort();

const noRepo: RepositoryLookup = { published: async () => undefined, otherChannelsWith: async () => [] };

describe('the good recipe', () => {
  it('has no finding with every check on', async () => {
    expect(await names(GOOD, { repo: noRepo })).toEqual([]);
  });
});

/** [check, recipe that triggers it, options]; the good recipe is the one that does not. */
const triggers: [string, string, Options?][] = [
  ['missing_version_or_name', GOOD.replace('  version: {{ version }}\n', '')],
  ['missing_build_number', GOOD.replace('  number: 0\n', '')],
  ['missing_home', GOOD.replace('  home: https://example.org\n', '')],
  ['missing_summary', GOOD.replace('  summary: A good recipe\n', '')],
  ['missing_license', GOOD.replace('  license: MIT\n', '')],
  ['missing_license_file', GOOD.replace('  license_file: LICENSE\n', '')],
  ['missing_tests', GOOD.replace('test:\n  commands:\n    - good --help\n', '')],
  ['missing_hash', GOOD.replace('  sha256: 0123\n', '')],
  ['uses_vcs_url', GOOD.replace(/ {2}url: .*\n {2}sha256: 0123\n/, '  git_url: https://example.org/good.git\n')],
  [
    'should_use_compilers',
    GOOD.replace('  noarch: generic\n', '').replace('  run:\n', '  build:\n    - gcc\n  run:\n'),
  ],
  [
    'compilers_must_be_in_build',
    GOOD.replace('  noarch: generic\n', '').replace('  run:\n', "  host:\n    - {{ compiler('c') }}\n  run:\n"),
  ],
  ['uses_setuptools', GOOD.replace('    - bash >=5\n', '    - bash >=5\n    - setuptools\n')],
  [
    'setup_py_install_args',
    GOOD.replace('  run:\n', '  host:\n    - setuptools\n  run:\n'),
    { files: { 'build.sh': '#!/bin/bash\n$PYTHON setup.py install\n' } },
  ],
  [
    'cython_must_be_in_host',
    GOOD.replace('  noarch: generic\n', '').replace(
      '  run:\n',
      "  build:\n    - {{ compiler('c') }}\n  run:\n    - cython\n",
    ),
  ],
  ['cython_needs_compiler', GOOD.replace('  run:\n', '  host:\n    - cython\n  run:\n')],
  [
    'should_be_noarch_python',
    GOOD.replace('  noarch: generic\n', '').replace('  run:\n', '  host:\n    - python\n  run:\n'),
  ],
  ['should_be_noarch_generic', GOOD.replace('  noarch: generic\n', '')],
  ['should_not_be_noarch_compiler', GOOD.replace('  run:\n', "  build:\n    - {{ compiler('c') }}\n  run:\n")],
  ['should_not_be_noarch_skip', GOOD.replace('  number: 0\n', '  number: 0\n  skip: true  # [osx]\n')],
  ['should_not_be_noarch_source', GOOD.replace('  sha256: 0123\n', '  sha256: 0123  # [linux]\n')],
  ['duplicate_key_in_meta_yaml', GOOD.replace('  number: 0\n', '  number: 0\n  number: 1\n')],
  ['unknown_selector', GOOD.replace('    - bash >=5\n', '    - bash >=5\n    - zsh  # [linnux]\n')],
  ['jinja_render_failure', GOOD.replace('{% set version = "1.0" %}', '{% set version = "1.0" '), { rules: {} }],
  ['yaml_load_failure', GOOD.replace('  name: good\n', '  name: [good\n'), { rules: {} }],
  ['version_constraints_missing_whitespace', GOOD.replace('bash >=5', 'bash>=5')],
  ['has_windows_bat_file', GOOD, { files: { 'bld.bat': 'echo' } }],
  [
    'unknown_additional_platform',
    GOOD.replace(
      '  summary: A good recipe\n',
      '  summary: A good recipe\nextra:\n  additional-platforms:\n    - osx-arm\n',
    ),
  ],
  ['missing_run_exports', GOOD.replace("  run_exports:\n    - {{ pin_subpackage('good', max_pin='x') }}\n", '')],
];

describe('each check', () => {
  it.each(triggers)('%s: triggers on its recipe, not on the good one', async (check, text, o = {}) => {
    const rules = o.rules ?? allOn;
    expect(await names(text, { ...o, rules, repo: noRepo })).toContain(check);
    expect(await names(GOOD, { ...o, rules, files: {}, repo: noRepo })).not.toContain(check);
  });

  it('unknown_additional_platform: names the file, the line and the value', async () => {
    const text = GOOD.replace(
      '  summary: A good recipe\n',
      '  summary: A good recipe\nextra:\n  additional-platforms:\n    - linux-aarch64\n    - osx-arm\n',
    );
    const { findings } = await lint(text, { rules: {} });
    expect(findings).toEqual([
      {
        check: 'unknown_additional_platform',
        severity: 'error',
        file: 'recipes/good/meta.yaml',
        line: text.split('\n').indexOf('    - osx-arm') + 1,
        message: expect.stringContaining('holds "osx-arm", which is not a conda platform'),
      },
    ]);
  });

  it('says where: file and line of the offending key', async () => {
    const { findings } = await lint(GOOD.replace('bash >=5', 'bash>=5'));
    expect(findings).toEqual([
      expect.objectContaining({
        check: 'version_constraints_missing_whitespace',
        severity: 'error',
        file: 'recipes/good/meta.yaml',
        line: 15,
      }),
    ]);
    const bat = await lint(GOOD, { files: { 'bld.bat': '' } });
    expect(bat.findings[0]).toMatchObject({ file: 'recipes/good/bld.bat', line: 1 });
    const sh = await lint(GOOD.replace('  run:\n', '  host:\n    - setuptools\n  run:\n'), {
      files: { 'build.sh': '#!/bin/bash\nset -e\n$PYTHON setup.py install\n' },
    });
    expect(sh.findings.find((f) => f.check === 'setup_py_install_args')).toMatchObject({
      file: 'recipes/good/build.sh',
      line: 3,
    });
    const dup = await lint(GOOD.replace('  number: 0\n', '  number: 0\n  number: 1\n'));
    expect(dup.findings[0]).toMatchObject({ check: 'duplicate_key_in_meta_yaml', line: 10 });
    expect(dup.findings[0].message).toMatch(/build\.number is written twice \(first on line 9/);
  });
});

describe('repository checks', () => {
  const repo = (published: string[], other: string[] = []): RepositoryLookup => ({
    published: async () => published,
    otherChannelsWith: async (name) => (other.includes(name) ? ['conda-forge'] : []),
  });
  const rules = {
    build_number_needs_bump: 'error',
    build_number_needs_reset: 'error',
    in_other_channels: 'error',
  } as const;

  it('build_number_needs_bump: the same version is published with this build number', async () => {
    expect(await names(GOOD, { rules, repo: repo(['1.0#0']) })).toEqual(['build_number_needs_bump']);
    expect(await names(GOOD.replace('number: 0', 'number: 1'), { rules, repo: repo(['1.0#0']) })).toEqual([]);
  });
  it('build_number_needs_reset: a new version with a build number above 0', async () => {
    const text = GOOD.replace('number: 0', 'number: 2');
    expect(await names(text, { rules, repo: repo(['0.9#2']) })).toEqual(['build_number_needs_reset']);
    expect(await names(GOOD, { rules, repo: repo(['0.9#2']) })).toEqual([]);
  });
  it('in_other_channels: the name exists in a channel of lintOtherChannels', async () => {
    expect(await names(GOOD, { rules, repo: repo([], ['good']) })).toEqual(['in_other_channels']);
    expect(await names(GOOD, { rules, repo: repo([], ['other']) })).toEqual([]);
  });
  it('are off by default', async () => {
    expect(await names(GOOD.replace('number: 0', 'number: 2'), { rules: {}, repo: repo(['1.0#2'], ['good']) })).toEqual(
      [],
    );
  });
});

describe('configuration', () => {
  const bad = GOOD.replace('  home: https://example.org\n', '');
  it('rules turn a check off or change its severity; unknown names are reported', async () => {
    expect(await names(bad, { rules: { missing_home: 'off' } })).toEqual([]);
    const r = await lint(bad, { rules: { missing_home: 'warning', no_such_check: 'error' } as never });
    expect(r.findings.map((f) => [f.check, f.severity])).toEqual([['missing_home', 'warning']]);
    expect(r.problems).toEqual(['lint.rules: unknown check "no_such_check" (ignored)']);
  });
  it('extra: skip-lints: silences the named checks for this recipe', async () => {
    expect(await names(`${bad}extra:\n  skip-lints:\n    - missing_home\n`)).toEqual([]);
  });
  it('a recipe.yaml gets the checks that apply, with its own keys', async () => {
    const v1 = `context:
  version: "1.0"
package:
  name: good
  version: \${{ version }}
source:
  url: https://example.org/good.tar.gz
build:
  number: 0
requirements:
  build:
    - \${{ compiler('c') }}
  run:
    - zlib>=1
about:
  homepage: https://example.org
  license: MIT
  summary: good
`;
    expect(await names(v1, { file: 'recipes/good/recipe.yaml' })).toEqual([
      'missing_hash',
      'missing_license_file',
      'missing_run_exports',
      'missing_tests',
      'version_constraints_missing_whitespace',
    ]);
  });
});

describe('--fix', () => {
  it('adds the space before a version constraint and resets the build number of a new version', async () => {
    const text = GOOD.replace('bash >=5', 'bash>=5').replace('number: 0', 'number: 3');
    const r = await lint(text, {
      rules: { build_number_needs_reset: 'error' },
      repo: { published: async () => ['0.9#3'], otherChannelsWith: async () => [] },
    });
    const { text: fixed, applied } = applyFixes(text, r.fixes);
    expect(applied.map((f) => f.check).sort()).toEqual([
      'build_number_needs_reset',
      'version_constraints_missing_whitespace',
    ]);
    expect(fixed).toBe(GOOD);
  });
});
