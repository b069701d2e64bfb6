import {
  applySelectors,
  evalSelector,
  matchSelector,
  packageNameOfSpec,
  readRecipe,
  RecipeReadError,
  selectorNamespace,
} from './index';

describe('packageNameOfSpec', () => {
  it.each([
    ['foo', 'foo'],
    ['foo >=1,<2', 'foo'],
    ['foo 1.2.*', 'foo'],
    ['foo=1.2=h0', 'foo'],
    ['foo>=1', 'foo'],
    ['foo!=1', 'foo'],
    ['foo~=1.2', 'foo'],
    ['conda-forge::foo', 'foo'],
    ['conda-forge/linux-64::foo >=1', 'foo'],
    ["foo[version='>=1']", 'foo'],
    ['foo [build_number=2]', 'foo'],
    ['  Foo  ', 'foo'],
  ])('%s → %s', (spec, name) => expect(packageNameOfSpec(spec)).toBe(name));
  it('ignores empty and non-string specs', () => {
    expect(packageNameOfSpec('')).toBeUndefined();
    expect(packageNameOfSpec(null)).toBeUndefined();
    expect(packageNameOfSpec({ a: 1 })).toBeUndefined();
  });
});

describe('selectors', () => {
  const linux = selectorNamespace('linux-64');
  const arm = selectorNamespace('linux-aarch64');
  const osx = selectorNamespace('osx-arm64');
  it('evaluates with conda-build names and rules', () => {
    expect(evalSelector('linux and not aarch64', linux)).toBe(true);
    expect(evalSelector('linux and not aarch64', arm)).toBe(false);
    expect(evalSelector('osx and arm64', osx)).toBe(true);
    expect(evalSelector('unix', osx)).toBe(true);
    expect(evalSelector('win or py2k', linux)).toBe(false);
    expect(evalSelector('py>=36', linux)).toBe(true);
    expect(evalSelector('py == 312', linux)).toBe(true);
    expect(evalSelector('py>=3.5', linux)).toBe(true);
    expect(evalSelector('(win and py34) or (linux64 and py3k)', linux)).toBe(true);
    expect(evalSelector('target_platform == "linux-64"', linux)).toBe(true);
    expect(evalSelector("target_platform in ('osx-64', 'osx-arm64')", osx)).toBe(true);
    expect(evalSelector('unknown_name', linux)).toBe(false);
    expect(evalSelector('not unknown_name', linux)).toBe(true);
    expect(evalSelector('unknown < 3', linux)).toBe(true); // False < 3, as in Python
    expect(evalSelector('linux ==', linux)).toBeUndefined();
  });
  it("evaluates each platform's names as conda-build's ns_cfg does for host_subdir (bioconda's aarch64 selectors)", () => {
    const truth = (expr: string) =>
      ['linux-64', 'linux-aarch64', 'osx-64', 'osx-arm64', 'linux-ppc64le'].filter((p) =>
        evalSelector(expr, selectorNamespace(p)),
      );
    expect(truth('aarch64')).toEqual(['linux-aarch64']);
    expect(truth('arm64')).toEqual(['osx-arm64']);
    expect(truth('x86_64')).toEqual(['linux-64', 'osx-64']);
    expect(truth('linux64')).toEqual(['linux-64']);
    expect(truth('linux')).toEqual(['linux-64', 'linux-aarch64', 'linux-ppc64le']);
    expect(truth('linux and aarch64')).toEqual(['linux-aarch64']);
    expect(truth('not aarch64')).toEqual(['linux-64', 'osx-64', 'osx-arm64', 'linux-ppc64le']);
    expect(truth('x86')).toEqual(['linux-64', 'osx-64']);
    expect(truth('ppc64le')).toEqual(['linux-ppc64le']);
    expect(truth('arm')).toEqual([]);
    expect(truth('target_platform == "linux-aarch64"')).toEqual(['linux-aarch64']);
    expect(truth('unix')).toEqual(['linux-64', 'linux-aarch64', 'osx-64', 'osx-arm64', 'linux-ppc64le']);
  });
  it('applies line selectors, keeping line numbers', () => {
    const text = ['a:', '  - x  # [linux]', '  - y  # [win]', '# comment', '  - "z"  # [not win]', '  - w'].join('\n');
    expect(applySelectors(text, linux).split('\n')).toEqual(['a:', '  - x', '', '', '  - "z"', '  - w', '']);
  });
  it('treats a bare trailing [expr] as a selector, like conda-build', () => {
    expect(applySelectors('  - x [win]', linux)).toBe('\n');
    expect(applySelectors('  - x [linux]', linux)).toBe('  - x\n');
    expect(applySelectors('  files: [a, b', linux)).toBe('  files: [a, b\n');
  });
});

describe('readRecipe: meta.yaml', () => {
  const meta = `
{% set name = "Foo-Bar" %}
{% set version = "1.10" %}
{% set data = load_setup_py_data() %}
package:
  name: {{ name|lower }}
  version: {{ version }}
build:
  number: 0
  skip: true  # [win]
requirements:
  build:
    - {{ compiler('c') }}
    - {{ stdlib('c') }}
    - {{ cdt('libx11') }}
    - make  # [unix]
    - m2-make  # [win]
  host:
    - python {{ python }}
    - numpy >=1.10
    - {{ pin_compatible('numpy', max_pin='x.x') }}
    - libfoo {{ environ.get('LIBFOO', '2.0') }}
    - zlib {{ os.environ.get('ZLIB', '') }}
    - {{ data.get('name', 'fromsetup') }}
  run:
    - conda-forge::bar >=1
    - baz[version='>=2']   # [linux and not aarch64]
    - qux                  # [aarch64]
outputs:
  - name: libfoo-bar
    requirements:
      run:
        - {{ pin_subpackage('foo-bar', exact=True) }}
        - only-out
  - name: foo-bar-flat
    requirements:
      - flat-run
test:
  imports:
    - foo
extra:
  a: 1
  a: 2
`;
  it('renders Jinja, applies selectors and keeps numbers as strings', () => {
    const r = readRecipe('recipes/foo/meta.yaml', meta, 'linux-64');
    expect(r).toEqual({
      format: 'meta',
      packageName: 'foo-bar',
      version: '1.10',
      names: ['foo-bar', 'libfoo-bar', 'foo-bar-flat'],
      requirements: {
        build: ['make'],
        host: ['fromsetup', 'libfoo', 'numpy', 'python', 'zlib'],
        run: ['bar', 'baz', 'flat-run', 'foo-bar', 'only-out'],
      },
    });
  });
  it('reads the platform given', () => {
    const r = readRecipe('recipes/foo/meta.yaml', meta, 'linux-aarch64');
    expect(r.requirements.run).toContain('qux');
    expect(r.requirements.run).not.toContain('baz');
  });
  it('reports Jinja errors with file and line', () => {
    expect.assertions(3);
    const bad = 'package:\n  name: x\n  version: {{ 1 + }}\n';
    expect(() => readRecipe('r/meta.yaml', bad, 'linux-64')).toThrow(RecipeReadError);
    try {
      readRecipe('r/meta.yaml', bad, 'linux-64');
    } catch (e) {
      expect(e).toMatchObject({ file: 'r/meta.yaml', line: 3 });
      expect((e as Error).message).toMatch(/^r\/meta.yaml:3: Jinja: syntax error/);
    }
  });
  it('reports YAML errors with file and line, and a missing name', () => {
    expect(() => readRecipe('r/meta.yaml', 'package:\n  name: x\n   bad: [\n', 'linux-64')).toThrow(
      /r\/meta.yaml:\d+: YAML/,
    );
    expect(() => readRecipe('r/meta.yaml', 'about:\n  home: x\n', 'linux-64')).toThrow(/no package.name/);
    expect(() => readRecipe('r/meta.yaml', '- a\n', 'linux-64')).toThrow(/not a YAML mapping/);
  });
  it('survives an undefined function and keeps working afterwards', () => {
    expect(() => readRecipe('r/meta.yaml', 'package:\n  name: {{ nosuchfunc() }}\n', 'linux-64')).toThrow(
      RecipeReadError,
    );
    expect(readRecipe('r/meta.yaml', 'package:\n  name: ok\n', 'linux-64').packageName).toBe('ok');
  });
});

describe('readRecipe: recipe.yaml (v1)', () => {
  const v1 = `
context:
  name: Foo
  version: "2.0"
  lower: \${{ name | lower }}
package:
  name: \${{ lower }}
  version: \${{ version }}
requirements:
  build:
    - \${{ compiler('c') }}
    - if: linux
      then: make
      else: nmake
    - if: win
      then:
        - m2-patch
  host:
    - python
    - if: unix
      then:
        - zlib
        - if: aarch64
          then: arm-only
  run:
    - \${{ pin_compatible('python') }}
    - libfoo >=\${{ version }}
outputs:
  - package:
      name: libfoo
    requirements:
      run:
        - \${{ pin_subpackage('foo', exact=true) }}
`;
  it('evaluates context, expressions and if/then/else', () => {
    expect(readRecipe('r/recipe.yaml', v1, 'linux-64')).toEqual({
      format: 'recipe',
      packageName: 'foo',
      version: '2.0',
      names: ['foo', 'libfoo'],
      requirements: { build: ['make'], host: ['python', 'zlib'], run: ['foo', 'libfoo', 'python'] },
    });
    expect(readRecipe('r/recipe.yaml', v1, 'win-64').requirements.build).toEqual(['m2-patch', 'nmake']);
    expect(readRecipe('r/recipe.yaml', v1, 'linux-aarch64').requirements.host).toContain('arm-only');
  });
  it('takes recipe.name when there is no package', () => {
    const r = readRecipe(
      'r/recipe.yaml',
      'recipe:\n  name: multi\n  version: 1.0\noutputs:\n  - package:\n      name: a\n',
      'linux-64',
    );
    expect(r.packageName).toBe('multi');
    expect(r.version).toBe('1.0');
    expect(r.names).toEqual(['multi', 'a']);
  });
});

describe('matchSelector: conda-build RE_SELECTOR in linear time', () => {
  // conda-build's `(.+?)\s*(#.*)?\[([^\[\]]+)\](?(2)[^\(\)]*)$`, its
  // conditional group written as an alternation tried in the same order
  // (exponential on long lines, fine on short ones).
  const RE = /^(.+?)\s*(?:(#.*)\[([^[\]]+)\][^()]*|\[([^[\]]+)\])$/;
  const viaRegex = (line: string) => {
    const m = RE.exec(line);
    if (!m) return undefined;
    const inComment = m[2] !== undefined;
    return { head: m[1], expr: inComment ? m[3] : m[4], inComment };
  };

  it('agrees with the regex on many short lines', () => {
    const alphabet = ['a', 'b', ' ', '#', '[', ']', '(', ')', '\t', 'x'];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let n = 0; n < 20000; n++) {
      const len = 1 + Math.floor(rand() * 14);
      let line = '';
      for (let i = 0; i < len; i++) line += alphabet[Math.floor(rand() * alphabet.length)];
      expect([line, matchSelector(line)]).toEqual([line, viaRegex(line)]);
    }
  });

  it('agrees on the forms recipes use', () => {
    for (const line of [
      '  - foo  # [linux]',
      '  - foo # [not win] and a note',
      '  - foo  [win]',
      '  - "foo"  # [osx]"',
      '  url: http://x/[a] # [linux]',
      '  - foo  # see [1](http://x) [linux]',
      '  - foo  # [linux] (see [x](y))',
      '  - foo  # []',
      '[linux]',
      ' [linux]',
    ]) {
      expect([line, matchSelector(line)]).toEqual([line, viaRegex(line)]);
    }
  });

  it('takes microseconds, not seconds, on a 20 KB line that made the regex backtrack', () => {
    const line = `  - x #${' ['.repeat(10000)}`;
    const moreLines = Array.from({ length: 50 }, () => line).join('\n');
    // Bounded by work, not by time: 50 such lines are read in one pass each.
    expect(applySelectors(moreLines, selectorNamespace('linux-64')).split('\n')).toHaveLength(51);
    expect(matchSelector(`  - x # ${'('.repeat(10000)} [linux]`)).toEqual({
      head: '  - x',
      expr: 'linux',
      inComment: true,
    });
  });
});

describe('readRecipe: noarch and extra: additional-platforms', () => {
  it('reads them from meta.yaml and recipe.yaml, text values only, bounded', () => {
    const m = readRecipe(
      'r/meta.yaml',
      'package:\n  name: a\nbuild:\n  noarch: python\nextra:\n  additional-platforms:\n    - linux-aarch64\n    - osx-arm\n    - {a: 1}\n',
      'linux-64',
    );
    expect(m.noarch).toBe(true);
    expect(m.additionalPlatforms).toEqual(['linux-aarch64', 'osx-arm']);
    const v1 = readRecipe(
      'r/recipe.yaml',
      'context:\n  arm: linux-aarch64\npackage:\n  name: b\nextra:\n  additional-platforms: ["${{ arm }}"]\n',
      'linux-64',
    );
    expect(v1.noarch).toBeUndefined();
    expect(v1.additionalPlatforms).toEqual(['linux-aarch64']);
    const many = Array.from({ length: 40 }, (_, i) => `    - p${i}`).join('\n');
    expect(
      readRecipe('r/meta.yaml', `package:\n  name: c\nextra:\n  additional-platforms:\n${many}\n`, 'linux-64')
        .additionalPlatforms,
    ).toHaveLength(16);
    expect(
      readRecipe('r/meta.yaml', 'package:\n  name: d\nextra: 3\n', 'linux-64').additionalPlatforms,
    ).toBeUndefined();
  });
});
