import { readRecipe, RecipeReadError } from './index';
import { loadRecipeYaml, loadYaml11, loadYaml12 } from './yaml';

describe('meta.yaml YAML: PyYAML semantics (YAML 1.1, numbers as strings)', () => {
  it('reads a double-quoted scalar continued on lines left of its key, as PyYAML does', () => {
    const text = [
      'about:',
      '  summary: "A summary',
      'continued at column 0',
      '  and indented again"',
      '  license: MIT',
      '',
    ].join('\n');
    expect(loadYaml11(text)).toEqual({
      about: { summary: 'A summary continued at column 0 and indented again', license: 'MIT' },
    });
  });

  it('reads a single-quoted scalar continued at column 0, with an empty line as a line break', () => {
    const text = ['about:', "  description: 'First line", 'second line', '', "new paragraph, it''s here'", ''].join(
      '\n',
    );
    expect(loadYaml11(text)).toEqual({ about: { description: "First line second line\nnew paragraph, it's here" } });
  });

  it('reads such a recipe with its requirements (a recipe the `yaml` package rejected)', () => {
    const text = [
      'package:',
      '  name: foo',
      '  version: 1.0',
      'requirements:',
      '  run:',
      '    - bar',
      'about:',
      '  summary: "Foo does',
      'many things"',
      '',
    ].join('\n');
    const info = readRecipe('foo/meta.yaml', text, 'linux-64');
    expect(info.names).toEqual(['foo']);
    expect(info.version).toBe('1.0');
    expect(info.requirements.run).toEqual(['bar']);
  });

  it.each([
    ['yes', true],
    ['Yes', true],
    ['ON', true],
    ['on', true],
    ['true', true],
    ['no', false],
    ['NO', false],
    ['off', false],
    ['Off', false],
    ['False', false],
  ])('YAML 1.1 boolean %s', (text, value) => {
    expect(loadYaml11(`a: ${text}\n`)).toEqual({ a: value });
  });

  it('keeps y, n and other words as strings (PyYAML has no y/n booleans)', () => {
    expect(loadYaml11('a: y\nn: b\nc: yesno\n')).toEqual({ a: 'y', n: 'b', c: 'yesno' });
  });

  it.each(['1.10', '010', '0o17', '0x1F', '1_000', '1.2.3', '2019.01.01', '1e3', '.inf', '3', '-1', '2019-01-01'])(
    'keeps %s as the string conda-build sees',
    (text) => {
      expect(loadYaml11(`version: ${text}\n`)).toEqual({ version: text });
    },
  );

  it('reads null, merge keys, and lets the last duplicate key win', () => {
    expect(loadYaml11('a: ~\nb:\nc: null\nd: &x {p: q}\ne: {<<: *x, r: s}\nd2: 1\nd2: 2\n')).toEqual({
      a: null,
      b: null,
      c: null,
      d: { p: 'q' },
      e: { p: 'q', r: 's' },
      d2: '2',
    });
  });

  it('reports a YAML error with its 1-based line', () => {
    expect.assertions(4);
    expect(() => loadRecipeYaml('x/meta.yaml', 'package:\n  name: foo\n  bad: [a, b\n', '1.1')).toThrow(
      RecipeReadError,
    );
    try {
      loadRecipeYaml('x/meta.yaml', 'a: 1\nb: "unterminated\n', '1.1');
    } catch (e) {
      expect(e).toBeInstanceOf(RecipeReadError);
      const re = e as RecipeReadError;
      expect(re.reason).toMatch(/^YAML: /);
      expect(re.line).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('recipe.yaml YAML: YAML 1.2 (as rattler-build)', () => {
  it('keeps yes/no as strings and numbers as strings', () => {
    expect(loadYaml12('a: yes\nb: off\nc: 1.10\nd: true\n')).toEqual({ a: 'yes', b: 'off', c: '1.10', d: true });
  });
});
