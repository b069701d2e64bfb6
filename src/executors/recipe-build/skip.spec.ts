import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecipe } from '../../recipes';
import type { ResolvedOptions } from './options';
import { skipForPlatform } from './skip';

// The real reader, watched: a recipe that never says skip must not reach it.
jest.mock('../../recipes', () => {
  const actual = jest.requireActual('../../recipes');
  return { ...actual, readRecipe: jest.fn(actual.readRecipe) };
});

describe('skipForPlatform', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nx-conda-skip-'));
    jest.mocked(readRecipe).mockClear();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const resolvedFor = (recipe: string, platform = 'linux-64') => {
    writeFileSync(join(root, 'meta.yaml'), recipe);
    return { recipeDir: root, recipeFile: 'meta.yaml', platform, projectName: 'a' } as ResolvedOptions;
  };

  it('records a skip the selectors keep for the platform, and none for another platform', () => {
    const recipe = 'package:\n  name: a\n  version: "1"\nbuild:\n  skip: true  # [linux]\n';
    expect(skipForPlatform(resolvedFor(recipe), root)).toEqual({
      project: 'a',
      recipe: 'meta.yaml',
      platform: 'linux-64',
    });
    expect(skipForPlatform(resolvedFor(recipe, 'osx-64'), root)).toBeUndefined();
  });

  it('reads no further a recipe that never says skip, and reads one that mentions it only in a comment', () => {
    expect(skipForPlatform(resolvedFor('package:\n  name: a\n  version: "1"\n'), root)).toBeUndefined();
    expect(readRecipe).not.toHaveBeenCalled();
    expect(skipForPlatform(resolvedFor('package:\n  name: a\n  version: "1"\n# no skip here\n'), root)).toBeUndefined();
    expect(readRecipe).toHaveBeenCalledTimes(1);
  });

  it('leaves a recipe it cannot read to the builder, which says better what is wrong', () => {
    expect(skipForPlatform(resolvedFor('package: [skip\n'), root)).toBeUndefined();
  });
});
