// Issue 32, point 6: `nx g nx-conda:recipe NAME --from=pypi` against a loopback package index.
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { logger, type Tree } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { lintRecipe, type LintInput } from '../../lint/lint';
import { readRecipeSources } from '../../recipes/sources';
import { recogniseUpstream, withUpstreamOriginsForTests } from '../../upstream';
import { bytes, json, loopback, type Loopback } from '../../upstream/loopback.test';
import recipeGenerator from './generator';

/** A gzipped ustar archive of `files` (path → text). */
function tarGz(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const body = Buffer.from(text);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    const sum = header.reduce((a, b) => a + b, 0);
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const root = 'snakemake_interface_common-1.10.0';
const sdist = tarGz({
  [`${root}/pyproject.toml`]:
    '[tool.poetry]\nname = "snakemake-interface-common"\n\n[build-system]\nrequires = ["poetry-core"]  # the backend\nbuild-backend = "poetry.core.masonry.api"\n',
  [`${root}/snakemake_interface_common/__init__.py`]: '',
  [`${root}/tests/__init__.py`]: '',
});
const sha256 = createHash('sha256').update(sdist).digest('hex');

/**
 * The JSON API's answer for snakemake-interface-common 1.10.0, in PyPI's
 * shape, with the metadata the project publishes (name, summary, URLs,
 * licence, Python and dependency requirements).
 */
const project = {
  info: {
    name: 'snakemake-interface-common',
    version: '1.10.0',
    summary: 'Common functions and classes for Snakemake and its plugins',
    home_page: '',
    project_urls: { Repository: 'https://github.com/snakemake/snakemake-interface-common' },
    license: 'MIT',
    requires_python: '>=3.7,<4.0',
    requires_dist: ['argparse-dataclass (>=2.0.0,<3.0.0)', 'ConfigArgParse (>=1.7,<2.0)', 'pytest ; extra == "test"'],
  },
  releases: {
    '1.9.2': [],
    '1.10.0': [
      { filename: 'snakemake_interface_common-1.10.0-py3-none-any.whl', packagetype: 'bdist_wheel', size: 1 },
      {
        filename: 'snakemake_interface_common-1.10.0.tar.gz',
        packagetype: 'sdist',
        size: sdist.length,
        digests: { sha256 },
      },
    ],
    '1.11.0a1': [],
  },
};

/** bioconda's checks, missing_run_exports on. */
function lintInput(file: string, contents: string): LintInput {
  return {
    file,
    contents,
    files: [file],
    readFile: () => undefined,
    platform: 'linux-64',
    knownSelectors: new Set(),
    config: { rules: { missing_run_exports: 'error' } },
  };
}

const servers: Loopback[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function index(): Promise<Loopback> {
  const s = await loopback(
    new Map([
      ['/pypi/snakemake-interface-common/json', json(project)],
      ['/packages/source/s/snakemake-interface-common/snakemake_interface_common-1.10.0.tar.gz', bytes(sdist)],
    ]),
  );
  servers.push(s);
  return s;
}

async function generate(tree: Tree, s: Loopback, format: 'meta' | 'recipe', indexUrl?: string) {
  await withUpstreamOriginsForTests(new Map([['https://pypi.example.invalid', s.origin]]), () =>
    recipeGenerator(tree, {
      name: 'snakemake-interface-common',
      from: 'pypi',
      format,
      ...(indexUrl ? { indexUrl } : {}),
    }),
  );
}

describe('nx g nx-conda:recipe --from=pypi', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('writes a complete meta.yaml that lints clean and that bump-recipe recognises', async () => {
    const s = await index();
    const tree = createTreeWithEmptyWorkspace();
    await generate(tree, s, 'meta', 'https://pypi.example.invalid/simple/');
    const text = tree.read('recipes/snakemake-interface-common/meta.yaml', 'utf8')!;
    expect(text).toBe(`{% set name = "snakemake-interface-common" %}
{% set version = "1.10.0" %}

package:
  name: {{ name|lower }}
  version: {{ version }}

source:
  url: https://pypi.example.invalid/packages/source/{{ name[0] }}/{{ name }}/snakemake_interface_common-{{ version }}.tar.gz
  sha256: ${sha256}

build:
  number: 0
  noarch: python
  script: {{ PYTHON }} -m pip install . -vv --no-deps --no-build-isolation
  run_exports:
    - {{ pin_subpackage(name|lower, max_pin="x") }}

requirements:
  host:
    - python >=3.7,<4.0
    - pip
    - poetry-core
  run:
    - python >=3.7,<4.0
    - argparse-dataclass >=2.0.0,<3.0.0
    - configargparse >=1.7,<2.0

test:
  imports:
    - snakemake_interface_common
  commands:
    - pip check
  requires:
    - pip

about:
  home: https://github.com/snakemake/snakemake-interface-common
  summary: Common functions and classes for Snakemake and its plugins
  license: MIT
`);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      'nx-conda:recipe: recipes/snakemake-interface-common/meta.yaml: not carried over: pytest ; extra == "test": only for an extra',
    ]);
    const lint = await lintRecipe(lintInput('meta.yaml', text));
    expect(lint.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    // The check runs: without run_exports it fires.
    const without = await lintRecipe({
      ...lintInput('meta.yaml', text.replace(/ {2}run_exports:\n.*\n/, '')),
    });
    expect(without.findings.map((f) => f.check)).toContain('missing_run_exports');
    const url = readRecipeSources('meta.yaml', text).sources[0].urls[0];
    expect(recogniseUpstream(url, '1.10.0')).toMatchObject({ kind: 'pypi', name: 'snakemake-interface-common' });
  });

  it('writes a recipe.yaml in rattler-build’s v1 format', async () => {
    const s = await index();
    const tree = createTreeWithEmptyWorkspace();
    await generate(tree, s, 'recipe', 'https://pypi.example.invalid/simple');
    const text = tree.read('recipes/snakemake-interface-common/recipe.yaml', 'utf8')!;
    expect(text).toContain(
      'url: https://pypi.example.invalid/packages/source/${{ name[0] }}/${{ name }}/snakemake_interface_common-${{ version }}.tar.gz',
    );
    expect(text).toContain('  run_exports:\n    - ${{ pin_subpackage(name|lower, upper_bound="x") }}');
    expect(text).toContain(
      'tests:\n  - python:\n      imports:\n        - snakemake_interface_common\n      pip_check: true',
    );
    const lint = await lintRecipe(lintInput('recipe.yaml', text));
    expect(lint.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('says how to name an index when none is configured', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const env = { ...process.env };
    delete process.env.PIP_INDEX_URL;
    process.env.PIP_CONFIG_FILE = '/nonexistent/pip.conf';
    process.env.XDG_CONFIG_HOME = '/nonexistent';
    process.env.HOME = '/nonexistent';
    try {
      await expect(recipeGenerator(tree, { name: 'tool', from: 'pypi' })).rejects.toThrow(
        /no package index to ask: give --indexUrl=<your index URL>, or set PIP_INDEX_URL or index-url in pip\.conf/,
      );
    } finally {
      process.env = env;
    }
  });

  it('refuses a download that is not what the index announced, and writes nothing', async () => {
    const s = await index();
    s.routes.set(
      '/packages/source/s/snakemake-interface-common/snakemake_interface_common-1.10.0.tar.gz',
      bytes('tampered'),
    );
    const tree = createTreeWithEmptyWorkspace();
    await expect(generate(tree, s, 'meta', 'https://pypi.example.invalid/simple')).rejects.toThrow(
      /the download's sha256 is .*, but the index announces/,
    );
    expect(tree.exists('recipes/snakemake-interface-common/meta.yaml')).toBe(false);
  });

  it('keeps upstream text inert: no Jinja, no selector comment', async () => {
    const s = await index();
    s.routes.set(
      '/pypi/snakemake-interface-common/json',
      json({ ...project, info: { ...project.info, summary: 'x {{ evil() }} {% if %} # [win]' } }),
    );
    const tree = createTreeWithEmptyWorkspace();
    await generate(tree, s, 'meta', 'https://pypi.example.invalid/simple');
    expect(tree.read('recipes/snakemake-interface-common/meta.yaml', 'utf8')).toContain(
      '  summary: x { { evil() }} { % if %}  [win]\n',
    );
  });

  describe('--from=cran', () => {
    const description =
      'Package: acidtest\nType: Package\nTitle: Tools for Testing\n    Things Twice\nVersion: 1.2-3\nURL: https://acid.example.org/acidtest,\n    https://git.example.org/acidtest\nLicense: GPL-3\nNeedsCompilation: yes\n';
    const archive = tarGz({ 'acidtest/DESCRIPTION': description, 'acidtest/R/a.R': 'f <- 1\n' });
    const packages = [
      'Package: acidtemp\nVersion: 9.9\n',
      'Package: acidtest\nVersion: 1.2-3\nDepends: R (>= 4.0), methods\nImports: Rcpp (>= 1.0.1), stats,\n    rlang\nLinkingTo: Rcpp\nLicense: GPL-3\nNeedsCompilation: yes\n',
    ].join('\n');

    async function mirror(): Promise<Loopback> {
      const s = await loopback(
        new Map([
          ['/src/contrib/PACKAGES', bytes(packages, { 'content-type': 'text/plain' })],
          ['/src/contrib/acidtest_1.2-3.tar.gz', bytes(archive)],
        ]),
      );
      servers.push(s);
      return s;
    }

    it('writes bioconda’s layout of an R recipe, lint-clean, that bump-recipe recognises', async () => {
      const s = await mirror();
      const tree = createTreeWithEmptyWorkspace();
      await withUpstreamOriginsForTests(new Map([['https://cran.example.invalid', s.origin]]), () =>
        recipeGenerator(tree, {
          name: 'acidtest',
          from: 'cran',
          format: 'meta',
          cranMirror: 'https://cran.example.invalid',
        }),
      );
      const text = tree.read('recipes/r-acidtest/meta.yaml', 'utf8')!;
      const sha = createHash('sha256').update(archive).digest('hex');
      expect(text).toBe(`{% set version = "1.2-3" %}

package:
  name: r-acidtest
  version: {{ version|replace("-", "_") }}

source:
  url:
    - {{ cran_mirror }}/src/contrib/acidtest_{{ version }}.tar.gz
    - {{ cran_mirror }}/src/contrib/Archive/acidtest/acidtest_{{ version }}.tar.gz
  sha256: ${sha}

build:
  number: 0
  rpaths:
    - lib/R/lib/
    - lib/
  script: $R CMD INSTALL --build .
  run_exports:
    - {{ pin_subpackage("r-acidtest", max_pin="x") }}

requirements:
  build:
    - {{ compiler('c') }}
    - {{ compiler('cxx') }}
    - make
  host:
    - r-base
    - r-rcpp >=1.0.1
    - r-rlang
  run:
    - r-base
    - r-rcpp >=1.0.1
    - r-rlang

test:
  commands:
    - $R -e "library('acidtest')"

about:
  home: https://acid.example.org/acidtest
  summary: Tools for Testing Things Twice
  license: GPL-3
`);
      expect((await lintRecipe(lintInput('meta.yaml', text))).findings.filter((f) => f.severity !== 'info')).toEqual(
        [],
      );
      const url = readRecipeSources('meta.yaml', text, { cran_mirror: 'https://cran.example.invalid' }).sources[0]
        .urls[0];
      expect(recogniseUpstream(url, '1.2-3')).toMatchObject({ kind: 'cran', name: 'acidtest' });
    });

    it('writes a recipe.yaml too, and needs a mirror', async () => {
      const s = await mirror();
      const tree = createTreeWithEmptyWorkspace();
      await withUpstreamOriginsForTests(new Map([['https://cran.example.invalid', s.origin]]), () =>
        recipeGenerator(tree, {
          name: 'acidtest',
          from: 'cran',
          format: 'recipe',
          cranMirror: 'https://cran.example.invalid/',
        }),
      );
      const text = tree.read('recipes/r-acidtest/recipe.yaml', 'utf8')!;
      expect(text).toContain('context:\n  version: "1.2-3"\n  cran_mirror: https://cran.example.invalid\n');
      expect(text).toContain('    - ${{ cran_mirror }}/src/contrib/acidtest_${{ version }}.tar.gz\n');
      expect((await lintRecipe(lintInput('recipe.yaml', text))).findings.filter((f) => f.severity !== 'info')).toEqual(
        [],
      );
      await expect(recipeGenerator(createTreeWithEmptyWorkspace(), { name: 'acidtest', from: 'cran' })).rejects.toThrow(
        /--from=cran needs --cranMirror=<the URL of your CRAN mirror>/,
      );
    });
  });

  describe('--from=github:<owner>/<repo>', () => {
    const archive = tarGz({
      'vsearch-2.29.0/CMakeLists.txt': 'project(vsearch)\n',
      'vsearch-2.29.0/src/main.cc': 'int main() {}\n',
    });
    async function github(): Promise<Loopback> {
      const s = await loopback(
        new Map([
          [
            '/repos/torognes/vsearch/releases?per_page=100',
            json([
              { tag_name: 'v2.30.0rc1', prerelease: true, assets: [] },
              { tag_name: 'v2.29.0', assets: [] },
              { tag_name: 'v2.28.1', assets: [] },
            ]),
          ],
          [
            '/repos/torognes/vsearch',
            json({
              description: 'Versatile open-source tool for microbiome analysis',
              homepage: '',
              license: { spdx_id: 'GPL-3.0' },
            }),
          ],
          ['/torognes/vsearch/archive/refs/tags/v2.29.0.tar.gz', bytes(archive)],
        ]),
      );
      servers.push(s);
      return s;
    }

    it('writes the recipe and a build.sh for the build system the archive shows, lint-clean, that bump-recipe recognises', async () => {
      const s = await github();
      const tree = createTreeWithEmptyWorkspace();
      const env = process.env.GITHUB_API_URL;
      process.env.GITHUB_API_URL = 'https://api.github.example.invalid';
      try {
        await withUpstreamOriginsForTests(
          new Map([
            ['https://api.github.example.invalid', s.origin],
            ['https://github.com', s.origin],
          ]),
          async () => {
            await recipeGenerator(tree, { name: 'vsearch', from: 'github:torognes/vsearch', format: 'meta' });
            await recipeGenerator(tree, {
              name: 'vsearch',
              from: 'github:torognes/vsearch',
              format: 'recipe',
              directory: 'v1/vsearch',
            });
          },
        );
      } finally {
        if (env === undefined) delete process.env.GITHUB_API_URL;
        else process.env.GITHUB_API_URL = env;
      }
      const text = tree.read('recipes/vsearch/meta.yaml', 'utf8')!;
      expect(text).toBe(`{% set name = "vsearch" %}
{% set version = "2.29.0" %}

package:
  name: {{ name }}
  version: {{ version }}

source:
  url: https://github.com/torognes/vsearch/archive/refs/tags/v{{ version }}.tar.gz
  sha256: ${createHash('sha256').update(archive).digest('hex')}

build:
  number: 0
  run_exports:
    - {{ pin_subpackage(name, max_pin="x") }}

requirements:
  build:
    - {{ compiler('c') }}
    - {{ compiler('cxx') }}
    - cmake
    - make

test:
  commands:
    - vsearch --help  # the tool's own command: adjust

about:
  home: https://github.com/torognes/vsearch
  summary: Versatile open-source tool for microbiome analysis
  license: GPL-3.0
  dev_url: https://github.com/torognes/vsearch
`);
      expect(tree.read('recipes/vsearch/build.sh', 'utf8')).toContain('cmake --install build\n');
      const lint = await lintRecipe({ ...lintInput('meta.yaml', text), files: ['meta.yaml', 'build.sh'] });
      expect(lint.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      const url = readRecipeSources('meta.yaml', text).sources[0].urls[0];
      expect(recogniseUpstream(url, '2.29.0')).toMatchObject({ kind: 'github', owner: 'torognes', repo: 'vsearch' });
      const v1 = tree.read('v1/vsearch/recipe.yaml', 'utf8')!;
      expect(v1).toContain('  url: https://github.com/torognes/vsearch/archive/refs/tags/v${{ version }}.tar.gz\n');
      expect(v1).toContain('  script: build.sh\n');
      const v1Lint = await lintRecipe({ ...lintInput('recipe.yaml', v1), files: ['recipe.yaml', 'build.sh'] });
      expect(v1Lint.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    });

    it('refuses what is not github:<owner>/<repo>', async () => {
      await expect(
        recipeGenerator(createTreeWithEmptyWorkspace(), { name: 'x', from: 'github:owner' }),
      ).rejects.toThrow(/--from=github:owner is not one of pypi, cran, github:<owner>\/<repo>/);
    });
  });
});
