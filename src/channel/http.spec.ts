// Issue 18, point 5: upstream servers are untrusted. Real servers on loopback play the hostile ones.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { upstreamIndex } from './repodata-cache';
import { S3Client } from './s3';
import { isInternalAddress } from './http';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** A loopback server that answers with `handle` and records what it was sent. */
async function serve(
  handle: (res: ServerResponse, url: string) => void,
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handle(res, req.url ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen, server };
}

const servers: Server[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});
async function hostile(handle: (res: ServerResponse, url: string) => void) {
  const got = await serve(handle);
  servers.push(got.server);
  return got;
}

const cacheRoot = () => mkdtempSync(join(tmpdir(), 'nx-conda-http-'));
const small = { maxBytes: 1024 * 1024, maxDecodedBytes: 1024 * 1024, idleMs: 2_000, runTimeoutMs: 20_000 };

describe('upstream repodata from a hostile server', () => {
  it('stops an endless body at the limit, naming the URL and the limit', async () => {
    const { url } = await hostile((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"packages": {');
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      // Endless, at the socket's pace; stops by itself after 64 MiB so that a failing client cannot take the machine.
      let sent = 0;
      const more = () => {
        while (sent < 64 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
      };
      more();
    });
    await expect(
      upstreamIndex(`${url}/endless`, 'noarch', { cacheRoot: cacheRoot(), runId: 'endless', limits: small }),
    ).rejects.toThrow(/^channel http:\/\/127\.0\.0\.1:\d+\/endless\/noarch\/repodata\.json sent more than 1 MiB/);
  });

  it('stops a gzip bomb once its decoded size passes the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(small.maxBytes);
    const { url, seen } = await hostile((res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': bomb.length });
      res.end(bomb);
    });
    await expect(
      upstreamIndex(`${url}/bomb`, 'noarch', { cacheRoot: cacheRoot(), runId: 'bomb', limits: small }),
    ).rejects.toThrow(/bomb\/noarch\/repodata\.json sent more than 1 MiB once decoded \(the limit\), from .* gzip/);
    expect(seen[0].headers['accept-encoding']).not.toMatch(/bzip2/);
  });

  it('gives up on a slow-drip body (idle timeout), and does not ask that channel again in this run', async () => {
    const { url, seen } = await hostile((res) => {
      res.writeHead(200);
      res.write('{');
    });
    const options = { cacheRoot: cacheRoot(), runId: 'drip', limits: { ...small, idleMs: 300 } };
    await expect(upstreamIndex(`${url}/drip`, 'noarch', options)).rejects.toThrow(
      /sent nothing for 0.3 s \(idle timeout\)/,
    );
    const again = Date.now();
    await expect(upstreamIndex(`${url}/drip`, 'noarch', options)).rejects.toThrow(/failed earlier in this run/);
    expect(Date.now() - again).toBeLessThan(300);
    expect(seen).toHaveLength(1);
    // Another run asks again.
    await expect(upstreamIndex(`${url}/drip`, 'noarch', { ...options, runId: 'drip-2' })).rejects.toThrow(/idle/);
    expect(seen).toHaveLength(2);
  });

  it('gives up at the run deadline on a body that drips just fast enough to never be idle', async () => {
    const { url } = await hostile((res) => {
      res.writeHead(200);
      timers.push(setInterval(() => res.write(' '), 50));
    });
    const started = Date.now();
    await expect(
      upstreamIndex(`${url}/slow`, 'noarch', {
        cacheRoot: cacheRoot(),
        runId: 'slow',
        limits: { ...small, idleMs: 1_000, runTimeoutMs: 800 },
      }),
    ).rejects.toThrow(/did not answer in full within the deadline/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('sends no credential to another origin it is redirected to', async () => {
    const other = await hostile((res) => res.writeHead(404).end());
    const { url, seen } = await hostile((res, path) => {
      if (path.startsWith('/same/')) return res.writeHead(302, { location: `/moved${path}` }).end();
      if (path.startsWith('/moved/')) return res.writeHead(302, { location: `${other.url}${path}` }).end();
      if (path.startsWith('/eve/'))
        return res.writeHead(302, { location: `${other.url.replace('//', '//eve:pw@')}${path}` }).end();
      res.writeHead(404).end();
    });
    const withCredentials = url.replace('http://', 'http://user:secret@');
    const got = await upstreamIndex(`${withCredentials}/same`, 'noarch', {
      cacheRoot: cacheRoot(),
      runId: 'redirect',
      limits: small,
    });
    expect(got.how).toBe('absent');
    // Same origin: the credentials went along; the other origin got none (and not the URL's userinfo either).
    expect(seen.map((s) => s.headers.authorization)).toEqual([
      `Basic ${Buffer.from('user:secret').toString('base64')}`,
      `Basic ${Buffer.from('user:secret').toString('base64')}`,
    ]);
    expect(other.seen).toHaveLength(1);
    expect(other.seen[0].headers.authorization).toBeUndefined();
    // A Location with userinfo does not turn into credentials either.
    await upstreamIndex(`${withCredentials}/eve`, 'noarch', { cacheRoot: cacheRoot(), runId: 'eve', limits: small });
    expect(other.seen).toHaveLength(2);
    expect(other.seen[1].headers.authorization).toBeUndefined();
  });
});

describe('S3 requests to a hostile endpoint', () => {
  it('never carries the signature, session token or x-amz headers to another origin', async () => {
    const other = await hostile((res) => res.writeHead(200).end('stolen'));
    const { url } = await hostile((res, path) => res.writeHead(307, { location: `${other.url}${path}` }).end());
    const client = new S3Client(
      {
        region: 'us-east-1',
        endpoint: url,
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'secret',
        sessionToken: 'session-token-value',
      },
      { bucket: 'bucket', prefix: 'ch' },
    );
    const response = await client.request('GET', 'noarch/repodata.json').catch((e: Error) => e);
    for (const seen of other.seen) {
      expect(Object.keys(seen.headers).filter((h) => h.startsWith('x-amz-') || h === 'authorization')).toEqual([]);
    }
    expect(response).not.toBeInstanceOf(Error);
    expect(() => client.fail('GET', 'noarch/repodata.json', response as never)).toThrow(
      new RegExp(`answered 307: a redirect to ${other.url.replace(/\./g, '\\.')}, which nx-conda does not follow`),
    );
  });

  it('takes the size a HEAD announces for what it is, not a body', async () => {
    const { url } = await hostile((res) => res.writeHead(200, { 'content-length': String(2 * 1024 ** 3) }).end());
    const client = new S3Client(
      { region: 'us-east-1', endpoint: url, accessKeyId: 'a', secretAccessKey: 's' },
      { bucket: 'bucket', prefix: '' },
    );
    const head = await client.request('HEAD', 'linux-64/big-1-0.conda');
    expect(head.headers.get('content-length')).toBe(String(2 * 1024 ** 3));
  });

  it('bounds what an endpoint sends back', async () => {
    const { url } = await hostile((res) => {
      res.writeHead(200);
      timers.push(setInterval(() => res.write(Buffer.alloc(1024 * 1024)), 5));
    });
    const client = new S3Client(
      { region: 'us-east-1', endpoint: url, accessKeyId: 'a', secretAccessKey: 's' },
      { bucket: 'bucket', prefix: '' },
      { maxBytes: 4 * 1024 * 1024, maxDecodedBytes: 4 * 1024 * 1024, idleMs: 2_000, timeoutMs: 10_000 },
    );
    await expect(client.request('GET', 'noarch/repodata.json')).rejects.toThrow(/sent more than 4 MiB \(the limit\)/);
  });
});

describe('one deadline per run', () => {
  it('is shared by the tasks of a run that run in processes of their own, and renewed for the next run', () => {
    const root = cacheRoot();
    const fresh = () => {
      let mod: typeof import('./repodata-cache') | undefined;
      jest.isolateModules(() => {
        mod = jest.requireActual<typeof import('./repodata-cache')>('./repodata-cache');
      });
      return mod!;
    };
    const first = fresh().runDeadline('run-a', 600_000, root);
    expect(fresh().runDeadline('run-a', 1, root)).toBe(first);
    expect(fresh().runDeadline('run-b', 1, root)).toBeLessThan(first);
  });
});

// Issue 31, point 8: redirects to internal addresses are refused unless the configured URL is one; errors quote no body.
describe('redirects to internal addresses', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['169.254.169.254', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['192.168.1.1', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['[::1]', true],
    ['::', true],
    ['fe80::1', true],
    ['fd00::2', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:169.254.169.254', true],
    ['172.32.0.1', false],
    ['192.0.2.2', false],
    ['8.8.8.8', false],
    ['2001:db8::1', false],
    ['not-an-ip', false],
  ])('%s is internal: %s', (address, internal) => {
    expect(isInternalAddress(address)).toBe(internal);
  });

  /** An address of this machine that is not internal, for a server that plays an outside upstream (none: skipped). */
  const outside = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal && !isInternalAddress(a.address))?.address;
  const withOutside = outside ? it : it.skip;
  if (!outside)
    console.warn('no address of this machine is outside the internal ranges: redirect refusal test skipped');

  withOutside(
    'an outside upstream that redirects to loopback (by address or by name) is refused; loopback never asked',
    async () => {
      const inside = await hostile((res) => res.writeHead(200).end('{"aws_secret": "x", "packages": {}}'));
      const upstream = createServer((req, res) => {
        const port = new URL(inside.url).port;
        if (req.url?.startsWith('/name/')) return res.writeHead(302, { location: `http://localhost:${port}/x` }).end();
        if (req.url?.startsWith('/meta/'))
          return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        res.writeHead(302, { location: `${inside.url}${req.url}` }).end();
      });
      servers.push(upstream);
      await new Promise<void>((r) => upstream.listen(0, outside, r));
      const base = `http://${outside}:${(upstream.address() as { port: number }).port}`;
      for (const [path, to] of [
        ['/ip', `127.0.0.1:${new URL(inside.url).port}`],
        ['/name', `localhost:${new URL(inside.url).port}`],
        ['/meta', '169.254.169.254'],
      ])
        await expect(
          upstreamIndex(`${base}${path}`, 'noarch', {
            cacheRoot: cacheRoot(),
            runId: `internal${path}`,
            limits: small,
          }),
        ).rejects.toThrow(`redirected to ${to}`);
      expect(inside.seen).toEqual([]);
    },
  );

  it('a loopback upstream (as the tests and a local mirror are) may redirect to loopback', async () => {
    const target = await hostile((res) => res.writeHead(404).end());
    const { url } = await hostile((res, path) => res.writeHead(302, { location: `${target.url}${path}` }).end());
    const got = await upstreamIndex(`${url}/lo`, 'noarch', { cacheRoot: cacheRoot(), runId: 'lo', limits: small });
    expect(got.how).toBe('absent');
    expect(target.seen).toHaveLength(1);
  });

  it('an answer that is not JSON is refused without quoting it', async () => {
    const { url } = await hostile((res) =>
      res.writeHead(200).end('"aws_secret_access_key=AKIAEXAMPLE" \u001b]0;x\u0007'),
    );
    const error = await upstreamIndex(`${url}/bad`, 'noarch', {
      cacheRoot: cacheRoot(),
      runId: 'bad',
      limits: small,
    }).catch((e: Error) => e);
    expect(String(error)).toMatch(/is not JSON; is this a conda channel\?/);
    // eslint-disable-next-line no-control-regex
    expect(String(error)).not.toMatch(/aws_secret|AKIA|\u001b/);
  });
});
