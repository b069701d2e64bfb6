/**
 * Acceptance test: the cases of bioconda-utils' own linter test
 * (test/lint_cases.yaml), written anew from their description. Each case
 * starts from the same small recipe, removes or adds keys, adds files, and
 * names the checks it expects. Every case must give exactly the expected
 * names among the checks nx-conda implements (a case that expects only
 * checks we leave out must give none of ours).
 */
import { stringify } from 'yaml';
import { lintRecipe } from './lint';
import { CHECK_NAMES } from './registry';
import { knownSelectorNames } from './checks/syntax';
import type { RepositoryLookup } from './types';

type Tree = Record<string, unknown>;

const base = (): Tree => ({
  package: { name: 'one', version: '0.1' },
  source: { url: 'https://somewhere', sha256: '123' },
  build: { noarch: true, number: 0, run_exports: ["{{ pin_subpackage('one') }}"] },
  test: { commands: ['do nothing'] },
  about: { license: 'BSD', home: 'https://elsewhere', summary: 'the_summary' },
});

interface Case {
  name: string;
  remove?: string[];
  add?: Tree;
  files?: Record<string, string>;
  expect?: string[];
  /** conda-forge's packages for this case (in_other_channels). */
  otherChannel?: string[];
}

/** The channel the recipe is published to (bioconda) and another one (conda-forge). */
const PUBLISHED: Record<string, string[]> = { one: ['0.0.1#0'], two: ['0.0.1#0'], four: ['0.0.1#0'] };
const OTHER = ['three', 'r'];

const SEL = (v: string, sel: string) => `${v}#[${sel}]`;

const cases: Case[] = [
  { name: 'minimal_recipe' },
  {
    name: 'empty_build_section',
    remove: ['build'],
    expect: ['should_be_noarch_generic', 'missing_build_number', 'missing_run_exports'],
  },
  { name: 'missing_home', remove: ['about/home'], expect: ['missing_home'] },
  { name: 'missing_home_with_lint_skip', remove: ['about/home'], add: { extra: { 'skip-lints': ['missing_home'] } } },
  {
    name: 'passing_only_package',
    remove: ['source', 'build', 'test', 'about'],
    add: {
      extra: {
        'skip-lints': [
          'missing_home',
          'missing_license',
          'missing_build_number',
          'missing_summary',
          'missing_run_exports',
          'missing_tests',
          'no_tests',
          'gpl_requires_license_distributed',
          'should_be_noarch_generic',
        ],
      },
    },
  },
  { name: 'missing_home_empty_string', add: { about: { home: '' } }, expect: ['missing_home'] },
  { name: 'missing_summary', remove: ['about/summary'], expect: ['missing_summary'] },
  { name: 'missing_summary_empty_string', add: { about: { summary: '' } }, expect: ['missing_summary'] },
  { name: 'missing_license', remove: ['about/license'], expect: ['missing_license'] },
  { name: 'missing_license_empty_string', add: { about: { license: '' } }, expect: ['missing_license'] },
  { name: 'missing_tests', remove: ['test'], expect: ['missing_tests'] },
  { name: 'missing_tests_empty_section', remove: ['test/commands'], expect: ['missing_tests'] },
  { name: 'missing_tests_but_runtest_py', remove: ['test'], files: { 'run_test.py': '' } },
  { name: 'missing_tests_but_runtest_sh', remove: ['test'], files: { 'run_test.sh': '' } },
  { name: 'missing_tests_but_runtest_pl', remove: ['test'], files: { 'run_test.pl': '' } },
  { name: 'missing_tests_but_runtst_sh', remove: ['test'], files: { 'run_tst.sh': '' }, expect: ['missing_tests'] },
  { name: 'missing_hash', remove: ['source/sha256'], expect: ['missing_hash'] },
  { name: 'md5_hash', remove: ['source/sha256'], add: { source: { md5: 'abc' } } },
  { name: 'sha1_hash', remove: ['source/sha256'], add: { source: { sha1: 'abc' } } },
  { name: 'no_source', remove: ['source'] },
  { name: 'uses_git_url', remove: ['source/url'], add: { source: { git_url: 'someurl' } }, expect: ['uses_vcs_url'] },
  { name: 'uses_svn_url', remove: ['source/url'], add: { source: { svn_url: 'someurl' } }, expect: ['uses_vcs_url'] },
  { name: 'uses_hg_url', remove: ['source/url'], add: { source: { hg_url: 'someurl' } }, expect: ['uses_vcs_url'] },
  {
    name: 'uses_perl_threaded_in_build',
    add: { requirements: { build: ['perl-threaded'] } },
    expect: ['uses_perl_threaded'],
  },
  {
    name: 'uses_perl_threaded_in_run',
    add: { requirements: { run: ['perl-threaded'] } },
    expect: ['uses_perl_threaded'],
  },
  { name: 'uses_openjdk_in_build', add: { requirements: { build: ['openjdk'] } } },
  { name: 'uses_openjdk_in_build_and_run', add: { requirements: { run: ['openjdk'], build: ['openjdk'] } } },
  { name: 'uses_javajdk_in_build', add: { requirements: { build: ['java-jdk'] } }, expect: ['uses_javajdk'] },
  { name: 'uses_matplotlib_in_run', add: { requirements: { run: ['matplotlib'] } }, expect: ['uses_matplotlib'] },
  { name: 'uses_setuptools_in_build', add: { requirements: { build: ['setuptools'] } } },
  { name: 'uses_setuptools_in_run', add: { requirements: { run: ['setuptools'] } }, expect: ['uses_setuptools'] },
  {
    name: 'uses_setuptools_in_run_and_build',
    add: { requirements: { run: ['setuptools'], build: ['setuptools'] } },
    expect: ['uses_setuptools'],
  },
  { name: 'has_windows_bat_file_build', files: { 'build.bat': '' }, expect: ['has_windows_bat_file'] },
  { name: 'has_windows_bat_file_any', files: { 'any.bat': '' }, expect: ['has_windows_bat_file'] },
  {
    name: 'should_be_noarch_python',

    add: { requirements: { build: ['python'], run: ['python'] } },
    expect: ['should_be_noarch_python'],
  },
  {
    name: 'should_be_noarch_python_good',
    add: { build: { noarch: 'python' }, requirements: { build: ['python'], run: ['python'] } },
  },
  {
    name: 'should_be_noarch_python_good_skip',
    add: { build: { noarch: 'python', skip: false }, requirements: { host: ['python'], run: ['python'] } },
  },
  {
    name: 'should_not_be_noarch_compiler',
    add: { build: { noarch: 'python' }, requirements: { build: ['{{ compiler("gcc") }}'] } },
    expect: ['should_not_be_noarch_compiler'],
  },
  {
    name: 'should_not_be_noarch_skip',
    add: { build: { noarch: 'python', skip: SEL('True', 'osx') } },
    expect: ['should_not_be_noarch_skip'],
  },
  {
    name: 'should_not_be_noarch_source',
    remove: ['source'],
    add: {
      source: [
        { url: SEL('https://somewhere', 'linux'), sha256: SEL('123', 'linux') },
        { url: SEL('https://elsewhere', 'osx'), sha256: SEL('123', 'osx') },
      ],
    },
    expect: ['should_not_be_noarch_source'],
  },
  {
    name: 'selector_in_source_with_compiler',
    remove: ['source', 'build/noarch'],
    add: {
      source: [
        { url: SEL('https://somewhere', 'linux'), sha256: SEL('123', 'linux') },
        { url: SEL('https://elsewhere', 'osx'), sha256: SEL('123', 'osx') },
      ],
      requirements: { build: ['{{compiler("c")}}'] },
    },
  },
  {
    name: 'noarch_java_with_python_wrapper',
    add: { build: { noarch: 'generic' }, requirements: { run: ['openjdk', 'python'] } },
  },
  { name: 'setup_py_only_install_build_sh', files: { 'build.sh': '$PYTHON setup.py install\n' } },
  { name: 'setup_py_only_install_script', add: { build: { script: '$PYTHON setup.py install' } } },
  {
    name: 'setup_py_correct_build_sh',
    add: { requirements: { build: ['setuptools'] } },
    files: { 'build.sh': '$PYTHON setup install  --single-version-externally-managed --report=a.txt\n' },
  },
  {
    name: 'setup_py_correct_build_sh_wrapped',
    add: { requirements: { build: ['setuptools'] } },
    files: { 'build.sh': '$PYTHON setup.py install \\\n  --single-version-externally-managed --record=a.txt\n' },
  },
  {
    name: 'setup_py_incorrect_script',
    add: { requirements: { build: ['setuptools'] }, build: { script: '$PYTHON setup.py install' } },
    expect: ['setup_py_install_args'],
  },
  {
    name: 'setup_py_incorrect_build_sh',
    add: { requirements: { build: ['setuptools'] } },
    files: { 'build.sh': '$PYTHON setup.py install\n' },
    expect: ['setup_py_install_args'],
  },
  {
    name: 'version_constraints_whitespace_ok',
    add: { requirements: { run: ['one >1', 'two >=1', 'three >1,<2', 'four !=3.3'] } },
  },
  {
    name: 'version_constraints_whitespace_missing',
    add: { requirements: { run: ['one>1'] } },
    expect: ['version_constraints_missing_whitespace'],
  },
  {
    name: 'extra_identifiers_not_list',
    add: { extra: { identifiers: 'doi:123' } },
    expect: ['extra_identifiers_not_list'],
  },
  {
    name: 'numpy_deprecated',
    add: { requirements: { build: ['numpy x.x'], run: ['numpy x.x'] } },
    expect: ['deprecated_numpy_spec'],
  },
  { name: 'compiler_ok', remove: ['build/noarch'], add: { requirements: { build: ['{{compiler("c")}}'] } } },
  { name: 'compiler_old_1', add: { requirements: { build: [SEL('gcc', 'linux')] } }, expect: ['should_use_compilers'] },
  {
    name: 'compiler_old_2',
    add: { requirements: { build: [SEL('libgcc', 'linux')] } },
    expect: ['should_use_compilers'],
  },
  {
    name: 'compiler_old_3',
    add: { requirements: { build: [SEL('llvm', 'linux')] } },
    expect: ['should_use_compilers'],
  },
  { name: 'compiler_old_4', add: { requirements: { build: ['rust >=1.56'] } }, expect: ['should_use_compilers'] },
  {
    name: 'compiler_in_host',
    remove: ['build/noarch'],
    add: { requirements: { host: ['{{compiler("c")}}'] } },
    expect: ['compilers_must_be_in_build'],
  },
  {
    name: 'compiler_in_run',
    remove: ['build/noarch'],
    add: { requirements: { run: ['{{compiler("c")}}'] } },
    expect: ['compilers_must_be_in_build'],
  },
  { name: 'use_fn', add: { source: { fn: 'abc' } }, expect: ['should_not_use_fn'] },
  {
    name: 'gpl_without_license_file',
    add: { about: { license: 'GPLv3' } },
    expect: ['gpl_requires_license_distributed'],
  },
  { name: 'build_number_needs_reset', add: { build: { number: 1 } }, expect: ['build_number_needs_reset'] },
  { name: 'build_number_needs_bump', add: { package: { version: '0.0.1' } }, expect: ['build_number_needs_bump'] },
  { name: 'version_starts_with_v', add: { package: { version: 'v0.1' } }, expect: ['version_starts_with_v'] },
  { name: 'in_other_channels', otherChannel: ['one', 'two'], expect: ['in_other_channels'] },
  {
    name: 'cran_packages_to_conda_forge',
    add: { requirements: { run: ['R', 'three'] } },
    expect: ['cran_packages_to_conda_forge'],
  },
  {
    name: 'cython_in_run_no_compiler',
    add: { requirements: { run: ['cython'] } },
    expect: ['cython_must_be_in_host', 'cython_needs_compiler'],
  },
  {
    name: 'cython_in_run',
    add: { requirements: { run: ['cython'], build: ['{{compiler("c")}}'] }, build: { noarch: false } },
    expect: ['cython_must_be_in_host'],
  },
  {
    name: 'cython_in_host_no_compiler',
    add: { requirements: { host: ['cython'] } },
    expect: ['cython_needs_compiler'],
  },
  {
    name: 'cython_in_host',
    add: { requirements: { host: ['cython'], build: ['{{compiler("c")}}'] }, build: { noarch: false } },
  },
  {
    name: 'cython_cxx_compiler_ok',
    add: { requirements: { host: ['cython'], build: ['{{compiler("cxx")}}'] }, build: { noarch: false } },
  },
  { name: 'missing_run_exports', remove: ['build/run_exports'], expect: ['missing_run_exports'] },
];

function removePath(tree: Tree, path: string): void {
  const keys = path.split('/');
  let node: unknown = tree;
  for (const k of keys.slice(0, -1)) node = (node as Tree | undefined)?.[k];
  if (node && typeof node === 'object') delete (node as Tree)[keys[keys.length - 1]];
}

function merge(into: Tree, add: Tree): void {
  for (const [k, v] of Object.entries(add)) {
    const cur = into[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur))
      merge(cur as Tree, v as Tree);
    else into[k] = v;
  }
}

/** The case's meta.yaml: the base, edited, written as YAML, with `v#[sel]` turned into line selectors. */
function metaYaml(c: Case): string {
  const tree = base();
  for (const p of c.remove ?? []) removePath(tree, p);
  if (c.add) merge(tree, structuredClone(c.add));
  return stringify(tree).replace(/#\[([^\]]+)\]/g, '  # [$1]');
}

const repo = (other: string[]): RepositoryLookup => ({
  published: async (name) => PUBLISHED[name] ?? [],
  otherChannelsWith: async (name) => (other.includes(name) ? ['conda-forge'] : []),
});

/** Every check on (opt-in ones too), except the one bioconda does not have. */
const rules = Object.fromEntries(
  [...CHECK_NAMES].map((n) => [n, n === 'missing_license_file' ? 'off' : 'error']),
) as Record<string, 'off' | 'error'>;

describe("bioconda-utils' lint cases", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const files = Object.keys(c.files ?? {});
    const { findings } = await lintRecipe({
      file: 'recipes/one/meta.yaml',
      contents: metaYaml(c),
      files: ['meta.yaml', ...files],
      readFile: (name) => c.files?.[name],
      platform: 'linux-64',
      knownSelectors: knownSelectorNames('linux-64'),
      config: { rules },
      repo: repo(c.otherChannel ?? OTHER),
    });
    const got = [...new Set(findings.map((f) => f.check))].sort();
    const expected = (c.expect ?? []).filter((n) => CHECK_NAMES.has(n)).sort();
    expect(got).toEqual(expected);
  });
});
