import { mkdirSync, mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDirectoryLock } from './lock';

describe('withDirectoryLock', () => {
  it('serializes work on one folder and releases the lock afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nx-conda-lock-'));
    const events: string[] = [];
    const job = (name: string) => async () => {
      events.push(`${name} start`);
      await new Promise((r) => setTimeout(r, 50));
      events.push(`${name} end`);
    };
    let waited = false;
    await Promise.all([withDirectoryLock(dir, job('a')), withDirectoryLock(dir, job('b'), () => (waited = true))]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(waited).toBe(true);
    expect(existsSync(join(dir, '.nx-conda.lock'))).toBe(false);
  });

  it('takes over a lock left by a dead process, and releases it on failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nx-conda-lock-'));
    mkdirSync(join(dir, '.nx-conda.lock'));
    writeFileSync(join(dir, '.nx-conda.lock', 'pid'), '999999999');
    await expect(withDirectoryLock(dir, async () => Promise.reject(new Error('build failed')))).rejects.toThrow('build failed');
    expect(existsSync(join(dir, '.nx-conda.lock'))).toBe(false);
  });
});
