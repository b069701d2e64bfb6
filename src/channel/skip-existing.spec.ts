import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readRecipePackages } from '../recipes';
import { compactIndex, upstreamIndex } from './repodata-cache';
import { lookupExisting } from './skip-existing';

const repodata = (records: Record<string, { name: string; version: string; build_number: number }>) =>
  JSON.stringify({ info: { subdir: 'noarch' }, packages: {}, 'packages.conda': records, repodata_version: 1 });

describe('readRecipePackages', () => {
  it('gives every output of a meta.yaml with its version and build number after Jinja and selectors', () => {
    const meta = [
      '{% set version = "1.2" %}',
      'package:',
      '  name: top',
      '  version: {{ version }}',
      'build:',
      '  number: 3  # [linux]',
      '  number: 9  # [osx]',
      'outputs:',
      '  - name: lib-a',
      '  - name: lib-b',
      '    version: 2.0',
      '    build:',
      '      number: 1',
    ].join('\n');
    expect(readRecipePackages('r/meta.yaml', meta, 'linux-64')).toEqual([
      { name: 'lib-a', version: '1.2', buildNumber: 3 },
      { name: 'lib-b', version: '2.0', buildNumber: 1 },
    ]);
    expect(readRecipePackages('r/meta.yaml', 'package:\n  name: Solo\n  version: "0.1"\n', 'linux-64')).toEqual([
      { name: 'solo', version: '0.1', buildNumber: 0 },
    ]);
  });

  it('gives the packages of a recipe.yaml with context expressions', () => {
    const v1 = 'context:\n  v: "3.1"\n  n: 4\npackage:\n  name: pkg\n  version: ${{ v }}\nbuild:\n  number: ${{ n }}\n';
    expect(readRecipePackages('r/recipe.yaml', v1, 'linux-64')).toEqual([
      { name: 'pkg', version: '3.1', buildNumber: 4 },
    ]);
    const multi =
      'context:\n  v: "1"\nrecipe:\n  name: multi\n  version: ${{ v }}\nbuild:\n  number: 2\noutputs:\n  - package:\n      name: m-one\n  - package:\n      name: m-two\n      version: "5"\n    build:\n      number: 0\n';
    expect(readRecipePackages('r/recipe.yaml', multi, 'linux-64')).toEqual([
      { name: 'm-one', version: '1', buildNumber: 2 },
      { name: 'm-two', version: '5', buildNumber: 0 },
    ]);
  });
});

describe('compactIndex', () => {
  it('keeps name, version and build number of both maps', () => {
    const text = JSON.stringify({
      packages: { 'a-1-0.tar.bz2': { name: 'a', version: '1', build_number: 0 } },
      'packages.conda': {
        'a-1-h_1.conda': { name: 'a', version: '1', build_number: 1 },
        'b-2-0.conda': { name: 'b', version: '2' },
      },
    });
    expect(compactIndex(text, 'x')).toEqual({ a: ['1#0', '1#1'], b: ['2#0'] });
  });
  it('names a repodata that is not JSON', () => {
    expect(() => compactIndex('<html>', 'http://h/ch/noarch/repodata.json')).toThrow(
      /^http:\/\/h\/ch\/noarch\/repodata.json is not JSON/,
    );
  });
});

describe('upstreamIndex over HTTP', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];
  let body = repodata({ 'a-1-0.conda': { name: 'a', version: '1', build_number: 0 } });
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.url} ${req.headers['if-none-match'] ?? ''}`);
      if (req.url === '/ch/linux-64/repodata.json') return res.writeHead(404).end();
      if (req.url === '/bad/noarch/repodata.json') return res.writeHead(200).end('<html>nope</html>');
      if (req.url === '/private/noarch/repodata.json') return res.writeHead(403).end();
      const etag = `"${body.length}"`;
      if (req.headers['if-none-match'] === etag) return res.writeHead(304).end();
      res.writeHead(200, { ETag: etag }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => server.close());

  it('fetches once per run, then asks with the ETag, and sees a change', async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), 'nx-conda-repodata-'));
    hits.length = 0;
    const first = await upstreamIndex(`${base}/ch`, 'noarch', { cacheRoot, runId: 'run1' });
    const again = await upstreamIndex(`${base}/ch`, 'noarch', { cacheRoot, runId: 'run1' });
    expect([first.how, again.how]).toEqual(['downloaded', 'this-run']);
    expect(hits).toHaveLength(1);
    const next = await upstreamIndex(`${base}/ch`, 'noarch', { cacheRoot, runId: 'run2' });
    expect(next.how).toBe('not-modified');
    expect(hits[1]).toMatch(/"\d+"$/);
    body = repodata({
      'a-1-0.conda': { name: 'a', version: '1', build_number: 0 },
      'a-2-0.conda': { name: 'a', version: '2', build_number: 0 },
    });
    const changed = await upstreamIndex(`${base}/ch`, 'noarch', { cacheRoot, runId: 'run3' });
    expect(changed.how).toBe('downloaded');
    expect(changed.index.a).toEqual(['1#0', '2#0']);
  });

  it('looks packages up in the platform subdir and noarch; a missing subdir is empty', async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), 'nx-conda-repodata-'));
    const found = await lookupExisting(
      [
        { name: 'a', version: '2', buildNumber: 0 },
        { name: 'a', version: '2', buildNumber: 1 },
      ],
      [`${base}/ch`],
      'linux-64',
      { cacheRoot, runId: 'r' },
    );
    expect(found.all).toBe(false);
    expect(found.found.map((f) => f.subdir)).toEqual(['noarch', undefined]);
    expect(found.indexes.map((i) => i.how)).toEqual(['absent', 'downloaded']);
  });

  it('gives one-line errors for a bad channel', async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), 'nx-conda-repodata-'));
    await expect(upstreamIndex(`${base}/bad`, 'noarch', { cacheRoot })).rejects.toThrow(
      /\/bad\/noarch\/repodata.json is not JSON/,
    );
    await expect(
      upstreamIndex(`http://user:secret@127.0.0.1:${(server.address() as { port: number }).port}/private`, 'noarch', {
        cacheRoot,
      }),
    ).rejects.toThrow(
      /^channel http:\/\/\*\*\*@127.0.0.1:\d+\/private\/noarch\/repodata.json answered 403 Forbidden \(check the credentials/,
    );
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    await expect(
      upstreamIndex(`http://127.0.0.1:${port}/nothing`, 'noarch', { cacheRoot, retryDelayMs: 10 }),
    ).rejects.toThrow(
      /^cannot reach channel http:\/\/127.0.0.1:\d+\/nothing\/noarch\/repodata.json: ECONNREFUSED \(tried twice, 0.01 s apart\)\.$/,
    );
  });

  it('reads a file:// channel from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nx-conda-channel-'));
    mkdirSync(join(dir, 'noarch'));
    writeFileSync(
      join(dir, 'noarch', 'repodata.json'),
      repodata({ 'z-1-0.conda': { name: 'z', version: '1', build_number: 0 } }),
    );
    const got = await upstreamIndex(pathToFileURL(dir).href, 'noarch', {
      cacheRoot: mkdtempSync(join(tmpdir(), 'nx-conda-repodata-')),
    });
    expect(got.index).toEqual({ z: ['1#0'] });
  });
});
