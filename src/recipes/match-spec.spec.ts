import { isPackageName, matchSpecName, packageNameOfSpec, recipeNameProblem, shownName } from './match-spec';

describe('isPackageName (one rule for the generator, purge-image and the graph)', () => {
  it.each(['foo', 'r-base', 'python3.11', 'lib_a', '_libgcc_mutex', '7zip'])('accepts %p', (name) =>
    expect(isPackageName(name)).toBe(true),
  );
  it.each(['Foo', '-foo', '.foo', 'foo bar', 'foo/bar', 'foo@1', 'föo', ''])('rejects %p', (name) =>
    expect(isPackageName(name)).toBe(false),
  );
});

describe('matchSpecName', () => {
  it('keeps the name as written (the generator checks it), packageNameOfSpec lower-cases it', () => {
    expect(matchSpecName('conda-forge::NumPy >=1')).toBe('NumPy');
    expect(packageNameOfSpec('conda-forge::NumPy >=1')).toBe('numpy');
  });
  it('takes everything up to a space or an operator, so a stray character makes the name invalid', () => {
    expect(matchSpecName('foo@1 >=2')).toBe('foo@1');
    expect(isPackageName(matchSpecName('foo@1 >=2')!)).toBe(false);
  });
  it('has no name for an empty spec', () => {
    expect(matchSpecName('   ')).toBeUndefined();
    expect(matchSpecName(3)).toBeUndefined();
  });
});

describe('recipeNameProblem and shownName (issue 18: recipe names are untrusted)', () => {
  it.each(['foo', 'constructor', 'tostring', '_libgcc_mutex', 'r-base', 'python3.11'])('accepts %p', (name) =>
    expect(recipeNameProblem(name)).toBeUndefined(),
  );
  it.each(['..', '.', '-x', 'a/b', 'x y', '__proto__', '__glibc', '', 'x\u001b[31m', 'ü'])('refuses %j', (name) =>
    expect(recipeNameProblem(name)).toMatch(/^package name "/),
  );
  it('shows an untrusted name quoted, escaped and cut, never with a control character', () => {
    expect(shownName('\u001b]0;title\u0007\u009b"\\')).toBe('"\\u001b]0;title\\u0007\\u009b\\u0022\\u005c"');
    expect(shownName('a'.repeat(100))).toBe(`"${'a'.repeat(80)}"…`);
  });
});
