// Issue 30, point 4: an upstream channel that fails in the middle of a run. Real servers on loopback play it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upstreamIndex } from './repodata-cache';
import { lookupExisting } from './skip-existing';

const BODY = Buffer.from(
  JSON.stringify({
    info: { subdir: 'noarch' },
    packages: {},
    'packages.conda': {
      'a-1.0-0.conda': { name: 'a', version: '1.0', build_number: 0 },
      'b-2.0-0.conda': { name: 'b', version: '2.0', build_number: 0 },
    },
  }),
);

type Fault = 'reset' | 'stop' | '503' | '500' | '429' | '404';

/** Answers the first `faults.length` requests with those faults, then the repodata; counts requests. */
async function channel(faults: Fault[], cut = Math.floor(BODY.length / 2)) {
  let requests = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const fault = faults[requests++];
    if (fault === undefined) {
      res.writeHead(200, { 'content-length': BODY.length });
      return void res.end(BODY);
    }
    if (/^\d+$/.test(fault)) {
      res.writeHead(Number(fault));
      return void res.end('fault');
    }
    res.writeHead(200, { 'content-length': BODY.length });
    res.write(BODY.subarray(0, cut), () =>
      setTimeout(() => (fault === 'reset' ? req.socket.resetAndDestroy() : req.socket.end()), 20),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/ch`, requests: () => requests };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const options = (retries: string[] = []) => ({
  cacheRoot: mkdtempSync(join(tmpdir(), 'nx-conda-faults-')),
  runId: `run-${Math.random()}`,
  retryDelayMs: 10,
  onRetry: (why: string) => void retries.push(why),
});

describe('an upstream channel that fails mid-run (issue 30, point 4)', () => {
  it.each(['reset', 'stop', '503', '500', '429'] as Fault[])(
    'one %s: tried once more after a short wait, and the index read in full',
    async (fault) => {
      const ch = await channel([fault]);
      const retries: string[] = [];
      const got = await upstreamIndex(ch.url, 'noarch', options(retries));
      expect(Object.keys(got.index).sort()).toEqual(['a', 'b']);
      expect(ch.requests()).toBe(2);
      expect(retries).toEqual([expect.stringContaining(`channel ${ch.url}/noarch/repodata.json`)]);
      expect(retries[0]).toMatch(/trying once more in 0\.01 s$/);
    },
  );

  it.each([
    ['reset', /^channel http:\/\/127\.0\.0\.1:\d+\/ch\/noarch\/repodata\.json: the answer broke off after \d+ bytes/],
    ['stop', /^channel http:\/\/127\.0\.0\.1:\d+\/ch\/noarch\/repodata\.json: the answer broke off after \d+ bytes/],
    ['503', /^channel http:\/\/127\.0\.0\.1:\d+\/ch\/noarch\/repodata\.json answered 503 Service Unavailable/],
  ] as [Fault, RegExp][])('%s twice: at most one retry, then one error naming the channel', async (fault, message) => {
    const ch = await channel([fault, fault, fault]);
    const error = await upstreamIndex(ch.url, 'noarch', options()).catch((e: Error) => e);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('(tried twice, 0.01 s apart)');
    expect(ch.requests()).toBe(2);
  });

  it('a 404 or a refused answer is not asked twice', async () => {
    const absent = await channel(['404']);
    expect((await upstreamIndex(absent.url, 'noarch', options())).how).toBe('absent');
    expect(absent.requests()).toBe(1);
  });

  it('a channel that failed is not asked again by the next tasks of the run: they fail at once', async () => {
    const ch = await channel(['503', '503', '503', '503']);
    const opts = options();
    await expect(upstreamIndex(ch.url, 'noarch', opts)).rejects.toThrow(/answered 503/);
    await expect(upstreamIndex(ch.url, 'noarch', opts)).rejects.toThrow(/failed earlier in this run/);
    expect(ch.requests()).toBe(2);
  });

  it('skipExisting never skips on an index read in part: at every cut of the body, twice, the lookup fails', async () => {
    // The packages are all in the full index: a lookup that resolved on a partial read could only say "skip" or "build".
    const packages = [
      { name: 'a', version: '1.0', buildNumber: 0 },
      { name: 'b', version: '2.0', buildNumber: 0 },
    ];
    for (let cut = 0; cut < BODY.length; cut += Math.ceil(BODY.length / 12)) {
      for (const fault of ['reset', 'stop'] as Fault[]) {
        const ch = await channel([fault, fault], cut);
        await expect(lookupExisting(packages, [ch.url], 'noarch', options())).rejects.toThrow(
          /the answer broke off .*\(tried twice/,
        );
      }
    }
    // And the same channel whole: all there.
    const whole = await channel([]);
    expect((await lookupExisting(packages, [whole.url], 'noarch', options())).all).toBe(true);
  });
});
