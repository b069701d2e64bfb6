import { asRecipeVersion, compareVersions, isPreRelease, newestVersion } from './version-order';

const older = (a: string, b: string) => {
  expect(compareVersions(a, b)).toBeLessThan(0);
  expect(compareVersions(b, a)).toBeGreaterThan(0);
};

describe('conda version order', () => {
  it('compares numbers as numbers', () => {
    older('1.9', '1.10');
    older('1.1.1747', '1.1.1749');
    older('0.10.1', '0.11');
    older('2.28.1', '2.29.0');
    older('6.07', '6.10');
  });

  it('puts a pre-release before its release, dev before the other words, post after', () => {
    older('1.0rc1', '1.0');
    older('1.0a1', '1.0b1');
    older('1.0b2', '1.0rc1');
    older('1.0dev1', '1.0a1');
    older('1.0', '1.0.post1');
    older('1.1.0.post1', '1.1.1');
  });

  it('takes missing components as 0, and is case-blind', () => {
    expect(compareVersions('1.0', '1.0.0')).toBe(0);
    expect(compareVersions('1.0RC1', '1.0rc1')).toBe(0);
    expect(compareVersions('1.1.a1', '1.1.0a1')).toBe(0);
  });

  it('orders epochs first and local versions last', () => {
    older('2.0', '1!1.0');
    older('1.0', '1.0+1');
    older('1.0+1', '1.0+2');
  });

  it('splits at _ and - like at .', () => {
    older('1.2-3', '1.2-10');
    expect(compareVersions('1.2_3', '1.2-3')).toBe(0);
  });

  it('puts what conda cannot read below everything', () => {
    older('latest build', '0.0.1');
    older('1..0', '0.1');
  });

  it('marks pre-releases', () => {
    for (const v of ['1.0rc1', '2.0.0-beta.2', '1.1.dev0', '3.0a1', '1.0.0-alpha', '1.0b'])
      expect(isPreRelease(v)).toBe(true);
    for (const v of ['1.0', '1.0.post1', '2024.1', '1.2-3']) expect(isPreRelease(v)).toBe(false);
  });

  it('drops a leading v when the recipe writes none', () => {
    expect(asRecipeVersion('v1.2.3', '1.2.2')).toBe('1.2.3');
    expect(asRecipeVersion('v1.2.3', 'v1.2.2')).toBe('v1.2.3');
    expect(asRecipeVersion('1.2.3', '1.2.2')).toBe('1.2.3');
    expect(asRecipeVersion('version', '1.0')).toBe('version');
  });

  it('picks the newest final version, pre-releases only when asked', () => {
    expect(newestVersion(['1.9', '1.10', '1.10rc1', '1.2'], false)).toBe('1.10');
    expect(newestVersion(['1.9', '1.10', '1.11rc1'], false)).toBe('1.10');
    expect(newestVersion(['1.9', '1.10', '1.11rc1'], true)).toBe('1.11rc1');
    expect(newestVersion(['nightly', '1.0 "x"', '{{ evil }}'], true)).toBeUndefined();
  });
});
