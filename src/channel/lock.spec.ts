import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { addressOf, LockTimeoutError, UNKNOWN_HOLDER, withDirectoryLock, withLock, type LockOptions } from './lock';
import { upstreamIndex } from './repodata-cache';
import { keyedHash, secretIn } from './secret';
import { channelUrl } from './upstream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const secret = randomBytes(32);
const quiet = () => undefined;
const opts = (extra: Partial<LockOptions> = {}): LockOptions => ({
  what: 'test',
  holder: 'contender',
  onWait: quiet,
  secret,
  ...extra,
});

/** A holder line as an nx-conda build of this workspace sends it. */
const genuine = (description: string) =>
  `${JSON.stringify({ holder: description, mac: keyedHash(secret, `holder\0${description}`) })}\n`;

/** Another process listening on `address` until killed, answering `answer` (or nothing, never closing, when undefined). */
async function holderProcess(address: string, answer?: string): Promise<ReturnType<typeof spawn>> {
  const script = `
    const net = require('net');
    const answer = process.env.ANSWER;
    const address = Buffer.from(process.env.ADDRESS, 'hex').toString('utf8');
    net.createServer((s) => { if (answer !== undefined) s.end(answer); }).listen(address, () => console.log('ready'));`;
  const env: NodeJS.ProcessEnv = { ...process.env, ADDRESS: Buffer.from(address).toString('hex') };
  if (answer !== undefined) env.ANSWER = answer;
  const child = spawn(process.execPath, ['-e', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
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
          opts(),
        );
      }
    };
    await Promise.all(Array.from({ length: 12 }, contender));
    expect(overlaps).toBe(0);
    expect(entered).toBe(36);
  });

  it('names the holder while waiting, and gets in as soon as the holder dies (SIGKILL), pid reuse or not', async () => {
    const key = `test:${Math.random()}`;
    const child = await holderProcess(addressOf(key, secret), genuine('project other (pid 7)'));
    const waits: string[] = [];
    let got = false;
    const locked = withLock(key, async () => void (got = true), opts({ holder: 'me', onWait: (h) => waits.push(h) }));
    await sleep(600);
    expect(got).toBe(false);
    expect(waits).toEqual(['project other (pid 7)']);
    child.kill('SIGKILL');
    await locked;
    expect(got).toBe(true);
  });

  it('gives up after the timeout with a message naming the holder, and never runs the work', async () => {
    const key = `test:${Math.random()}`;
    const child = await holderProcess(addressOf(key, secret), genuine('project other (pid 7)'));
    let ran = false;
    try {
      await expect(
        withLock(key, async () => void (ran = true), opts({ what: 'the thing', holder: 'me', timeoutSeconds: 1 })),
      ).rejects.toThrow(LockTimeoutError);
      await expect(
        withLock(key, async () => void (ran = true), opts({ what: 'the thing', holder: 'me', timeoutSeconds: 1 })),
      ).rejects.toThrow(/gave up after waiting 1 s for the thing, held by project other \(pid 7/);
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
    const lock = { holder: 'a build', onWait: quiet };
    await Promise.all([
      withDirectoryLock(dir, job('a'), lock),
      withDirectoryLock(dir, job('b'), { ...lock, onWait: () => (waited = true) }),
    ]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(waited).toBe(true);
    await expect(withDirectoryLock(dir, async () => Promise.reject(new Error('build failed')), lock)).rejects.toThrow(
      'build failed',
    );
    await withDirectoryLock(join(dir, '.'), async () => undefined, lock);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/** Issue 18, point 6: a squatter on a lock's name (a build container with network: host) is bounded and never believed. */
describe('a squatted lock', () => {
  it('names are keyed with the secret: another secret, or none, gives another name', () => {
    const other = randomBytes(32);
    expect(addressOf('output:/w/dist/a', secret)).not.toBe(addressOf('output:/w/dist/a', other));
    const unkeyed = createHash('sha256').update('output:/w/dist/a').digest('hex').slice(0, 40);
    expect(addressOf('output:/w/dist/a', secret)).not.toContain(unkeyed);
  });

  it.each([
    ['its own text', 'project trusted \u001b]0;pwned\u0007 (pid 1)\n'],
    ['a forged holder line', `${JSON.stringify({ holder: 'project x', mac: '0'.repeat(64) })}\n`],
    ['nothing, never closing', undefined],
  ])('answering %s: the wait is announced without its text, and the timeout is honoured', async (_what, answer) => {
    const key = `test:${Math.random()}`;
    const child = await holderProcess(addressOf(key, secret), answer);
    const waits: string[] = [];
    const started = Date.now();
    try {
      const error = await withLock(
        key,
        async () => 'ran',
        opts({ timeoutSeconds: 1, onWait: (h) => waits.push(h) }),
      ).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect(error!.message).toContain(UNKNOWN_HOLDER);
      expect(error!.message).not.toMatch(/pwned|trusted|project x/);
      expect(waits).toEqual([UNKNOWN_HOLDER]);
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('the skipExisting repodata lock honours lockTimeoutSeconds with a wait message', async () => {
    const channel = mkdtempSync(join(tmpdir(), 'nx-conda-squat-channel-'));
    const cacheRoot = mkdtempSync(join(tmpdir(), 'nx-conda-squat-cache-'));
    const url = pathToFileURL(channel).href;
    const base = channelUrl(url);
    const dir = join(cacheRoot, createHash('sha256').update(base).digest('hex').slice(0, 16), 'noarch');
    const child = await holderProcess(addressOf(`repodata:${dir}`, secretIn(cacheRoot)));
    const waits: string[] = [];
    try {
      await expect(
        upstreamIndex(url, 'noarch', { cacheRoot, runId: 'r', lockTimeoutSeconds: 1, onWait: (h) => waits.push(h) }),
      ).rejects.toThrow(
        /gave up after waiting 1 s for the repodata cache of .* held by a process that is not an nx-conda build/,
      );
      expect(waits).toEqual([UNKNOWN_HOLDER]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
