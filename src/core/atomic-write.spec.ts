import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsafeFileError, writeFileAtomic } from './atomic-write';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nx-conda-atomic-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file and leaves no temporary name, making the folder when missing', () => {
    const file = join(dir, 'a', 'b', 'x.json');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two', { sync: false });
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['x.json']);
  });

  it('refuses a folder that is a link, unless the folder is trusted', () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(() => writeFileAtomic(join(dir, 'link', 'x'), 'data')).toThrow(UnsafeFileError);
    expect(readdirSync(join(dir, 'real'))).toEqual([]);
    writeFileAtomic(join(dir, 'link', 'x'), 'data', { trustedFolder: true });
    expect(readFileSync(join(dir, 'real', 'x'), 'utf8')).toBe('data');
  });
});
