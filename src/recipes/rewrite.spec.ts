// Issue 32, point 1: the version, checksums and build number rewritten, every other byte kept.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findVersion, withBuildNumberReset, withChecksums, withVersion } from './rewrite';
import { readRecipeSources } from './sources';

const replay = join(__dirname, '../../../shared/bump-replay');
const cases: { recipe: string; new_version: string }[] = existsSync(join(replay, 'cases.json'))
  ? JSON.parse(readFileSync(join(replay, 'cases.json'), 'utf8'))
  : [];

function bump(file: string, text: string, to: string, checksums: Map<string, string>): string {
  const found = findVersion(file, text);
  return withChecksums(file, withBuildNumberReset(file, withVersion(text, found, to)).text, checksums);
}

describe('rewriting bioconda recipes as their maintainers did', () => {
  (cases.length ? it : it.skip).each(cases.map((c) => [c.recipe, c.new_version]))(
    '%s to %s gives bioconda’s next version byte for byte',
    (recipe, to) => {
      const before = readFileSync(join(replay, recipe, 'before.meta.yaml'), 'utf8');
      const after = readFileSync(join(replay, recipe, 'after.meta.yaml'), 'utf8');
      const old = readRecipeSources('meta.yaml', before).sources;
      const next = readRecipeSources('meta.yaml', after).sources;
      const checksums = new Map<string, string>();
      old.forEach((s, i) => {
        for (const kind of ['sha256', 'md5'] as const)
          if (s.checksums[kind]) checksums.set(s.checksums[kind]!, next[i].checksums[kind]!);
      });
      expect(checksums.size).toBeGreaterThan(0);
      expect(bump('meta.yaml', before, to, checksums)).toBe(after);
    },
  );
});

describe('findVersion', () => {
  it('finds {% set %}, context: and a literal', () => {
    expect(
      findVersion('meta.yaml', '{% set version = "1.0" %}\npackage:\n  name: a\n  version: {{ version }}\n'),
    ).toMatchObject({
      current: '1.0',
      literal: false,
      sites: [{ line: 0, value: '1.0' }],
    });
    const v1 =
      'context:\n  name: a\n  version: "2.1"  # upstream\npackage:\n  name: ${{ name }}\n  version: ${{ version }}\n';
    expect(findVersion('recipe.yaml', v1)).toMatchObject({ current: '2.1', literal: false, sites: [{ line: 2 }] });
    expect(findVersion('meta.yaml', "package:\n  name: a\n  version: '6.07'\n")).toMatchObject({
      current: '6.07',
      literal: true,
    });
  });

  it('follows another variable name and filters', () => {
    const text = "{% set ver = '1.2-3' %}\npackage:\n  name: r-a\n  version: {{ ver|replace('-', '_') }}\n";
    expect(findVersion('meta.yaml', text).current).toBe('1.2-3');
  });

  it('says where and why when it cannot tell', () => {
    expect(() => findVersion('meta.yaml', 'package:\n  name: a\n  version: {{ a ~ b }}\n')).toThrow(
      /meta\.yaml:3: the version is written as "\{\{ a ~ b \}\}"/,
    );
    expect(() => findVersion('meta.yaml', 'package:\n  name: a\n  version: {{ version }}\n')).toThrow(
      /\{% set version = "\.\.\." %\} is not written in the file/,
    );
    expect(() =>
      findVersion(
        'meta.yaml',
        '{% set v = "1" %}  # [linux]\n{% set v = "2" %}  # [osx]\npackage:\n  version: {{ v }}\n',
      ),
    ).toThrow(/v is set to different versions \(1, 2\)/);
  });
});

describe('the rest of the file stays byte for byte', () => {
  it('keeps CRLF line ends, comments, quotes and a file without a final newline', () => {
    const text =
      '# top comment\r\n{% set version = \'1.0\' %}  # keep\r\npackage:\r\n  name: a   # the name\r\n  version: "{{ version }}"\r\nbuild:\r\n  number: 3  # was 3\r\n  noarch: python'.toString();
    const found = findVersion('meta.yaml', text);
    const out = withBuildNumberReset('meta.yaml', withVersion(text, found, '1.1')).text;
    expect(out).toBe(
      '# top comment\r\n{% set version = \'1.1\' %}  # keep\r\npackage:\r\n  name: a   # the name\r\n  version: "{{ version }}"\r\nbuild:\r\n  number: 0  # was 3\r\n  noarch: python',
    );
  });

  it('replaces a literal version in the source URLs too, and nothing outside source', () => {
    const text =
      "package:\n  name: a\n  version: '1.0'\nsource:\n  url: https://x.example.invalid/a-1.0.tar.gz\n  sha256: " +
      'a'.repeat(64) +
      '\nabout:\n  summary: since 1.0\n';
    expect(withVersion(text, findVersion('meta.yaml', text), '1.1')).toBe(
      "package:\n  name: a\n  version: '1.1'\nsource:\n  url: https://x.example.invalid/a-1.1.tar.gz\n  sha256: " +
        'a'.repeat(64) +
        '\nabout:\n  summary: since 1.0\n',
    );
  });

  it('resets a build number set through Jinja or context, and says when it cannot', () => {
    expect(withBuildNumberReset('meta.yaml', '{% set build = 2 %}\nbuild:\n  number: {{ build }}\n').text).toBe(
      '{% set build = 0 %}\nbuild:\n  number: {{ build }}\n',
    );
    expect(
      withBuildNumberReset('recipe.yaml', 'context:\n  build_number: 4\nbuild:\n  number: ${{ build_number }}\n').text,
    ).toBe('context:\n  build_number: 0\nbuild:\n  number: ${{ build_number }}\n');
    expect(withBuildNumberReset('meta.yaml', 'build:\n  number: 0\n').change).toBe('already 0');
    expect(withBuildNumberReset('meta.yaml', 'build:\n  noarch: python\n').change).toBe('not found');
    // Only the top-level build's own number, not an output's or a nested key's.
    expect(
      withBuildNumberReset(
        'meta.yaml',
        'build:\n  run_exports:\n    number: 7\n  number: 1\noutputs:\n  - build:\n      number: 5\n',
      ).text,
    ).toBe('build:\n  run_exports:\n    number: 7\n  number: 0\noutputs:\n  - build:\n      number: 5\n');
  });

  it('refuses a checksum that is not written literally', () => {
    expect(() => withChecksums('meta.yaml', 'sha256: {{ h }}\n', new Map([['a'.repeat(64), 'b'.repeat(64)]]))).toThrow(
      /the checksum a{64} is not written literally in the file; update it by hand to b{64}/,
    );
  });
});

describe('readRecipeSources', () => {
  it('reads every source and mirror over the platforms, with the extra Jinja names given', () => {
    const text = [
      '{% set version = "1.0" %}',
      'package: {name: a, version: "{{ version }}"}',
      'source:',
      '  - url: https://x.example.invalid/a-{{ version }}-linux.tar.gz  # [linux]',
      '    sha256: ' + '1'.repeat(64) + '  # [linux]',
      '  - url: https://x.example.invalid/a-{{ version }}-osx.tar.gz  # [osx]',
      '    sha256: ' + '2'.repeat(64) + '  # [osx]',
      '  - url:',
      '      - {{ cran_mirror }}/src/contrib/a_{{ version }}.tar.gz',
      '      - {{ cran_mirror }}/src/contrib/Archive/a/a_{{ version }}.tar.gz',
      '    md5: ' + '3'.repeat(32),
      '',
    ].join('\n');
    const { version, sources } = readRecipeSources('meta.yaml', text, { cran_mirror: 'https://cran.example.invalid' });
    expect(version).toBe('1.0');
    expect(sources).toEqual([
      { urls: ['https://x.example.invalid/a-1.0-linux.tar.gz'], checksums: { sha256: '1'.repeat(64) } },
      {
        urls: [
          'https://cran.example.invalid/src/contrib/a_1.0.tar.gz',
          'https://cran.example.invalid/src/contrib/Archive/a/a_1.0.tar.gz',
        ],
        checksums: { md5: '3'.repeat(32) },
      },
      { urls: ['https://x.example.invalid/a-1.0-osx.tar.gz'], checksums: { sha256: '2'.repeat(64) } },
    ]);
  });
});
