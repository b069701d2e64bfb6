import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetSecrets, isKeyedHash, keyedHash, secretIn } from './secret';

describe('secretIn', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-conda-secret-'));
    forgetSecrets();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes one secret (mode 0600) that every later reader gets', () => {
    const first = secretIn(join(dir, 'a'));
    forgetSecrets();
    expect(secretIn(join(dir, 'a')).equals(first)).toBe(true);
    expect(first).toHaveLength(32);
    expect(statSync(join(dir, 'a', 'secret')).mode & 0o777).toBe(0o600);
    expect(isKeyedHash(first, 'x', keyedHash(first, 'x'))).toBe(true);
    expect(isKeyedHash(first, 'y', keyedHash(first, 'x'))).toBe(false);
  });

  it('refuses a secret file that is a link or not ours', () => {
    writeFileSync(join(dir, 'target'), 'a'.repeat(64), { mode: 0o600 });
    symlinkSync(join(dir, 'target'), join(dir, 'secret'));
    expect(() => secretIn(dir)).toThrow(/a symbolic link|link/);
    rmSync(join(dir, 'secret'));
    writeFileSync(join(dir, 'secret'), 'short', { mode: 0o600 });
    expect(() => secretIn(dir)).toThrow(/is not a secret nx-conda wrote/);
  });
});
