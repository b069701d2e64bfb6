import { readRecipe } from './index';

const meta = (build: string) => `package:\n  name: foo\n  version: "1.0"\nbuild:\n  number: 0\n${build}`;

describe('build: skip', () => {
  it('holds after line selectors for the platform (meta.yaml)', () => {
    const text = meta('  skip: true  # [linux]\n');
    expect(readRecipe('r/meta.yaml', text, 'linux-64').skip).toBe(true);
    expect(readRecipe('r/meta.yaml', text, 'osx-arm64').skip).toBeUndefined();
  });

  it('follows Python truthiness of what PyYAML reads (meta.yaml)', () => {
    for (const v of ['True', 'yes', 'on', '1', '"some text"', '{{ true }}'])
      expect([v, readRecipe('r/meta.yaml', meta(`  skip: ${v}\n`), 'linux-64').skip]).toEqual([v, true]);
    for (const v of ['false', 'False', 'no', 'off', '0', '0.0', '""', ''])
      expect([v, readRecipe('r/meta.yaml', meta(`  skip: ${v}\n`), 'linux-64').skip]).toEqual([v, undefined]);
    expect(readRecipe('r/meta.yaml', meta(''), 'linux-64').skip).toBeUndefined();
  });

  it('holds when any condition holds (recipe.yaml)', () => {
    const v1 = (skip: string) => `package:\n  name: foo\n  version: "1.0"\nbuild:\n  number: 0\n  skip: ${skip}\n`;
    expect(readRecipe('r/recipe.yaml', v1('[win, linux]'), 'linux-64').skip).toBe(true);
    expect(readRecipe('r/recipe.yaml', v1('[win, linux]'), 'osx-arm64').skip).toBeUndefined();
    expect(readRecipe('r/recipe.yaml', v1('linux and x86_64'), 'linux-64').skip).toBe(true);
    expect(readRecipe('r/recipe.yaml', v1('true'), 'osx-64').skip).toBe(true);
    expect(readRecipe('r/recipe.yaml', v1('false'), 'linux-64').skip).toBeUndefined();
  });
});
