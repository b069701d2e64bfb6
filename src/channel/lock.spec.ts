import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockTimeoutError, withDirectoryLock, withLock } from './lock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Another process holding the lock `key` (it computes the same address as lock.ts), until killed. */
async function holderProcess(key: string): Promise<ReturnType<typeof spawn>> {
  const script = `
    const net = require('net'), crypto = require('crypto'), os = require('os'), path = require('path');
    const hash = crypto.createHash('sha256').update(process.env.KEY).digest('hex').slice(0, 40);
    const address = process.platform === 'linux' ? '\\0nx-conda-lock-' + hash : path.join(os.tmpdir(), 'nx-conda-lock-' + hash + '.sock');
    net.createServer((s) => s.end('project other (pid ' + process.pid + ')\\n')).listen(address, () => console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, KEY: key },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return child;
}

describe('withLock (issue 9)', () => {
  it('lets exactly one of many contenders in at a time, and every one of them in the end', async () => {
    const key = `test:${Math.random()}`;
    let inside = 0;
    let overlaps = 0;
    let entered = 0;
    const contender = async () => {
      for (let round = 0; round < 3; round++) {
        await withLock(
          key,
          async () => {
            inside++;
            if (inside > 1) overlaps++;
            entered++;
            await sleep(2);
            inside--;
          },
          { what: 'test', holder: 'contender' },
        );
      }
    };
    await Promise.all(Array.from({ length: 12 }, contender));
    expect(overlaps).toBe(0);
    expect(entered).toBe(36);
  });

  it('names the holder while waiting, and gets in as soon as the holder dies (SIGKILL), pid reuse or not', async () => {
    const key = `test:${Math.random()}`;
    const child = await holderProcess(key);
    const waits: string[] = [];
    let got = false;
    const locked = withLock(key, async () => void (got = true), {
      what: 'test',
      holder: 'me',
      onWait: (h) => waits.push(h),
    });
    await sleep(600);
    expect(got).toBe(false);
    expect(waits).toEqual([`project other (pid ${child.pid})`]);
    child.kill('SIGKILL');
    await locked;
    expect(got).toBe(true);
  });

  it('gives up after the timeout with a message naming the holder, and never runs the work', async () => {
    const key = `test:${Math.random()}`;
    const child = await holderProcess(key);
    let ran = false;
    try {
      await expect(
        withLock(key, async () => void (ran = true), { what: 'the thing', holder: 'me', timeoutSeconds: 1 }),
      ).rejects.toThrow(LockTimeoutError);
      await expect(
        withLock(key, async () => void (ran = true), { what: 'the thing', holder: 'me', timeoutSeconds: 1 }),
      ).rejects.toThrow(/gave up after waiting 1 s for the thing, held by project other \(pid \d+/);
      expect(ran).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('serializes work on one staging folder, releases the lock on failure, and leaves no file in the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nx-conda-lock-'));
    const events: string[] = [];
    const job = (name: string) => async () => {
      events.push(`${name} start`);
      await sleep(50);
      events.push(`${name} end`);
    };
    let waited = false;
    await Promise.all([withDirectoryLock(dir, job('a')), withDirectoryLock(dir, job('b'), () => (waited = true))]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(waited).toBe(true);
    await expect(withDirectoryLock(dir, async () => Promise.reject(new Error('build failed')))).rejects.toThrow(
      'build failed',
    );
    await withDirectoryLock(join(dir, '.'), async () => undefined);
    expect(readdirSync(dir)).toEqual([]);
  });
});
