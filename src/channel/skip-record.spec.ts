import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSkipRecord, writeSkipRecord } from './skip-record';
import { readRepodata } from './repodata';

describe('skip records', () => {
  it('replaces the owned subdirs with empty indexed ones and can be read back', () => {
    const out = mkdtempSync(join(tmpdir(), 'skip-'));
    mkdirSync(join(out, 'linux-64'));
    writeFileSync(join(out, 'linux-64', 'old-1.0-0.conda'), 'x');
    writeSkipRecord(out, { project: 'old', recipe: 'recipes/old/meta.yaml', platform: 'linux-64' });
    expect(readdirSync(join(out, 'linux-64')).sort()).toEqual(['.nx-conda-skipped.json', 'repodata.json']);
    expect(readRepodata(join(out, 'noarch'), 'noarch').packages).toEqual({});
    expect(readSkipRecord(out, 'linux-64')).toEqual({
      project: 'old',
      recipe: 'recipes/old/meta.yaml',
      platform: 'linux-64',
    });
    expect(readSkipRecord(out, 'osx-arm64')).toBeUndefined();
  });

  it('reads nothing from a missing folder, a link or a malformed record', () => {
    const out = mkdtempSync(join(tmpdir(), 'skip-'));
    expect(readSkipRecord(join(out, 'absent'), 'linux-64')).toBeUndefined();
    mkdirSync(join(out, 'linux-64'));
    writeFileSync(join(out, 'real.json'), JSON.stringify({ project: 'p', recipe: 'r' }));
    symlinkSync(join(out, 'real.json'), join(out, 'linux-64', '.nx-conda-skipped.json'));
    expect(readSkipRecord(out, 'linux-64')).toBeUndefined();
    const other = mkdtempSync(join(tmpdir(), 'skip-'));
    mkdirSync(join(other, 'linux-64'));
    writeFileSync(join(other, 'linux-64', '.nx-conda-skipped.json'), '[1, 2]');
    expect(readSkipRecord(other, 'linux-64')).toBeUndefined();
    expect(existsSync(join(other, 'noarch'))).toBe(false);
  });
});
