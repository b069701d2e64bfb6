import { parse } from 'yaml';
import { splitList, yamlScalar } from './utils';

describe('splitList', () => {
  it('splits on commas, trims and drops empty entries', () => {
    expect(splitList(' a , b,,c ,')).toEqual(['a', 'b', 'c']);
    expect(splitList(undefined)).toEqual([]);
    expect(splitList(['a,b', ' c'])).toEqual(['a', 'b', 'c']);
  });

  it('keeps commas inside quotes and brackets', () => {
    expect(splitList(`python -c "import a, b", echo 'x,y', foo[version='>=1,<2']`)).toEqual([
      'python -c "import a, b"',
      "echo 'x,y'",
      "foo[version='>=1,<2']",
    ]);
  });

  it('joins version-operator continuations of match specs when asked', () => {
    expect(splitList('numpy >=1.20,<2, zlib, python >=3.8,!=3.9.0', true)).toEqual([
      'numpy >=1.20,<2',
      'zlib',
      'python >=3.8,!=3.9.0',
    ]);
    expect(splitList('a,<2')).toEqual(['a', '<2']);
  });
});

describe('yamlScalar', () => {
  it.each([
    'zlib',
    'numpy >=1.20,<2',
    'test -f $PREFIX/share/foo/README',
    'a: b',
    'ends with:',
    'has # comment',
    '- dash',
    '*star',
    '{{ jinja }}',
    '',
    ' padded ',
    'true',
    'No',
    'null',
    '~',
    '1',
    '1.10',
    '1e3',
    '.inf',
    '0x1F',
    '1:30',
    '2024-01-01',
    '"quoted"',
    "it's",
    'line\nbreak',
    'tab\there',
    'python -c "import a"',
    'ünïcode',
  ])('round-trips %p through YAML', (value) => {
    expect(parse(`key: ${yamlScalar(value)}\n`)).toEqual({ key: value });
  });

  it('leaves ordinary values plain', () => {
    expect(yamlScalar('libpng >=1.6,<2')).toBe('libpng >=1.6,<2');
    expect(yamlScalar('MIT')).toBe('MIT');
    expect(yamlScalar('1.2.3')).toBe('1.2.3');
  });
});
