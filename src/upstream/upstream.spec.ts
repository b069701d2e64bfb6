// Issue 32, point 2 and 4: upstream clients against loopback servers, including hostile ones.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { bytes, json, loopback, redirect, type Handler, type Loopback } from './loopback.test';
import { newestRelease, recogniseUpstream, releasesOf, SourceDownloads, UpstreamHttp, type Upstream } from './index';

const servers: Loopback[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function server(routes: Record<string, Handler> = {}) {
  const s = await loopback(new Map(Object.entries(routes)));
  servers.push(s);
  return s;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('recogniseUpstream', () => {
  it('knows each upstream by the shape of its URL', () => {
    expect(
      recogniseUpstream('https://pypi.example.invalid/packages/source/s/snakemake/snakemake-8.4.6.tar.gz', '8.4.6'),
    ).toEqual({
      kind: 'pypi',
      index: 'https://pypi.example.invalid',
      name: 'snakemake',
    });
    expect(recogniseUpstream('https://github.com/torognes/vsearch/archive/v2.28.1.tar.gz', '2.28.1')).toEqual({
      kind: 'github',
      owner: 'torognes',
      repo: 'vsearch',
      tag: { prefix: 'v', suffix: '' },
      fromReleases: false,
    });
    expect(
      recogniseUpstream('https://github.com/Kalan-Lab/zol/archive/refs/tags/v1.3.17.tar.gz', '1.3.17'),
    ).toMatchObject({
      kind: 'github',
      tag: { prefix: 'v', suffix: '' },
    });
    expect(
      recogniseUpstream('https://github.com/pdimens/harpy/releases/download/1.8.1/harpy.1.8.1.tar.gz', '1.8.1'),
    ).toMatchObject({
      kind: 'github',
      owner: 'pdimens',
      repo: 'harpy',
      tag: { prefix: '', suffix: '' },
      fromReleases: true,
    });
    expect(
      recogniseUpstream(
        'https://gitlab.com/paulklemm_PHD/proteinortho/-/archive/v6.1.7/proteinortho-v6.1.7.tar.gz',
        '6.1.7',
      ),
    ).toEqual({
      kind: 'gitlab',
      origin: 'https://gitlab.com',
      project: 'paulklemm_PHD/proteinortho',
      tag: { prefix: 'v', suffix: '' },
    });
    expect(recogniseUpstream('https://cran.example.invalid/src/contrib/Archive/ape/ape_5.7-1.tar.gz', '5.7-1')).toEqual(
      {
        kind: 'cran',
        contrib: 'https://cran.example.invalid/src/contrib/',
        name: 'ape',
      },
    );
    expect(
      recogniseUpstream('https://bioc.example.invalid/packages/3.18/bioc/src/contrib/limma_3.58.1.tar.gz', '3.58.1'),
    ).toMatchObject({ kind: 'bioconductor', name: 'limma' });
    expect(
      recogniseUpstream('https://cpan.example.invalid/authors/id/O/OA/OALDERS/LWP-Protocol-https-6.07.tar.gz', '6.07'),
    ).toEqual({
      kind: 'listing',
      folder: 'https://cpan.example.invalid/authors/id/O/OA/OALDERS/',
      file: { prefix: 'LWP-Protocol-https-', suffix: '.tar.gz' },
    });
  });

  it('knows no upstream for other URLs', () => {
    expect(recogniseUpstream('https://example.org/releases/1.0/tool.tar.gz', '1.0')).toBeUndefined();
    expect(recogniseUpstream('file:///tmp/tool-1.0.tar.gz', '1.0')).toBeUndefined();
    expect(recogniseUpstream('not a url', '1.0')).toBeUndefined();
  });
});

describe('releases of each upstream', () => {
  it('PyPI: asks the JSON API on the URL’s own host; yanked files are not releases', async () => {
    const s = await server({
      '/pypi/snakemake/json': json({
        info: { version: '8.4.7' },
        releases: {
          '8.4.6': [{ filename: 'snakemake-8.4.6.tar.gz', size: 3, digests: { sha256: sha256('old') } }],
          '8.4.7': [{ filename: 'snakemake-8.4.7.tar.gz', size: 3, digests: { sha256: sha256('new') } }],
          '8.5.0a1': [{ filename: 'snakemake-8.5.0a1.tar.gz', size: 1 }],
          '9.0.0': [{ filename: 'snakemake-9.0.0.tar.gz', size: 1, yanked: true }],
        },
      }),
    });
    const http = new UpstreamHttp({ origins: new Map([['https://pypi.example.invalid', s.origin]]) });
    const up = recogniseUpstream(
      'https://pypi.example.invalid/packages/source/s/snakemake/snakemake-8.4.6.tar.gz',
      '8.4.6',
    )!;
    const releases = await releasesOf(http, up, '8.4.6');
    expect(newestRelease(releases, false)?.version).toBe('8.4.7');
    expect(newestRelease(releases, true)?.version).toBe('8.5.0a1');
    expect(newestRelease(releases, false)?.files.get('snakemake-8.4.7.tar.gz')).toEqual({
      size: 3,
      sha256: sha256('new'),
    });
    // Asked once, however often the run wants it.
    await releasesOf(http, up, '8.4.6');
    expect(s.seen.map((x) => x.path)).toEqual(['/pypi/snakemake/json']);
  });

  it('GitHub: releases (drafts skipped, pre-releases marked), with the token from the environment on the API only', async () => {
    const s = await server({
      '/repos/torognes/vsearch/releases?per_page=100': json([
        { tag_name: 'v2.30.0', draft: true, assets: [] },
        { tag_name: 'v2.29.1', prerelease: true, assets: [] },
        { tag_name: 'v2.29.0', assets: [{ name: 'vsearch.tar.gz', size: 10 }] },
        { tag_name: 'nightly', assets: [] },
      ]),
    });
    const http = new UpstreamHttp({
      env: { GITHUB_TOKEN: 'secret-token-1', GITHUB_API_URL: 'https://api.github.example.invalid' },
      origins: new Map([['https://api.github.example.invalid', s.origin]]),
    });
    const up = recogniseUpstream('https://github.com/torognes/vsearch/archive/v2.28.1.tar.gz', '2.28.1')!;
    const releases = await releasesOf(http, up, '2.28.1');
    expect(newestRelease(releases, false)?.version).toBe('2.29.0');
    expect(newestRelease(releases, true)?.version).toBe('2.29.1');
    expect(s.seen[0].headers.authorization).toBe('Bearer secret-token-1');
  });

  it('GitHub: tags when there is no release', async () => {
    const s = await server({
      '/repos/bioforensics/MicroHapDB/releases?per_page=100': json([]),
      '/repos/bioforensics/MicroHapDB/tags?per_page=100': json([
        { name: '0.11' },
        { name: '0.10.1' },
        { name: 'v0.12' },
      ]),
    });
    const http = new UpstreamHttp({ env: {}, origins: new Map([['https://api.github.com', s.origin]]) });
    const up = recogniseUpstream('https://github.com/bioforensics/MicroHapDB/archive/0.10.1.tar.gz', '0.10.1')!;
    // The URL has the bare version as the tag: `v0.12` is not a tag of that shape.
    expect(newestRelease(await releasesOf(http, up, '0.10.1'), false)?.version).toBe('0.11');
    expect(s.seen[0].headers.authorization).toBeUndefined();
  });

  it('GitLab: the tags API on the URL’s host', async () => {
    const s = await server({
      '/api/v4/projects/paulklemm_PHD%2Fproteinortho/repository/tags?per_page=100': json([
        { name: 'v6.2.0' },
        { name: 'v6.1.7' },
      ]),
    });
    const http = new UpstreamHttp({ origins: new Map([['https://gitlab.com', s.origin]]) });
    const up = recogniseUpstream(
      'https://gitlab.com/paulklemm_PHD/proteinortho/-/archive/v6.1.7/proteinortho-v6.1.7.tar.gz',
      '6.1.7',
    )!;
    expect(newestRelease(await releasesOf(http, up, '6.1.7'), false)?.version).toBe('6.2.0');
  });

  it('CRAN and Bioconductor: the PACKAGES index of the contrib folder', async () => {
    const packages =
      'Package: apex\nVersion: 9.9\n\nPackage: ape\nVersion: 5.8\nDepends: R (>= 3.2)\n\nPackage: apel\nVersion: 1.0\n';
    const s = await server({ '/src/contrib/PACKAGES': bytes(packages, { 'content-type': 'text/plain' }) });
    const http = new UpstreamHttp({ origins: new Map([['https://cran.example.invalid', s.origin]]) });
    const up = recogniseUpstream('https://cran.example.invalid/src/contrib/Archive/ape/ape_5.7-1.tar.gz', '5.7-1')!;
    expect(newestRelease(await releasesOf(http, up, '5.7-1'), false)?.version).toBe('5.8');
  });

  it('a plain listing: the archives named like the recipe’s', async () => {
    const html = `<html><a href="LWP-Protocol-https-6.07.tar.gz">x</a> <a href='./LWP-Protocol-https-6.10.tar.gz'>
      <a href="LWP-Protocol-https-6.10.meta"> <a href="LWP-Protocol-https-7.0-TRIAL.tar.gz"> <a href="Other-9.0.tar.gz">`;
    const s = await server({ '/authors/id/O/OA/OALDERS/': bytes(html, { 'content-type': 'text/html' }) });
    const http = new UpstreamHttp({ origins: new Map([['https://cpan.example.invalid', s.origin]]) });
    const up = recogniseUpstream(
      'https://cpan.example.invalid/authors/id/O/OA/OALDERS/LWP-Protocol-https-6.07.tar.gz',
      '6.07',
    )!;
    const releases = await releasesOf(http, up, '6.07');
    expect(releases.map((r) => r.version)).toEqual(['6.07', '6.10', '7.0-TRIAL']);
    // A CPAN TRIAL is a pre-release.
    expect(newestRelease(releases, false)?.version).toBe('6.10');
  });
});

describe('hostile upstreams', () => {
  const pypi = (s: Loopback) =>
    [
      new UpstreamHttp({
        origins: new Map([['https://pypi.example.invalid', s.origin]]),
        idleMs: 500,
        maxApiBytes: 64 * 1024,
      }),
      recogniseUpstream('https://pypi.example.invalid/packages/source/t/tool/tool-1.0.tar.gz', '1.0') as Upstream,
    ] as const;

  it('refuses an API that redirects to another host', async () => {
    const other = await server({ '/pypi/tool/json': json({ releases: {} }) });
    const s = await server({ '/pypi/tool/json': redirect(`${other.origin}/pypi/tool/json`) });
    const [http, up] = pypi(s);
    await expect(releasesOf(http, up, '1.0')).rejects.toThrow(
      /PyPI project tool: https:\/\/pypi\.example\.invalid\/pypi\/tool\/json redirected to another host/,
    );
  });

  it('never sends the GitHub token to another host a redirect names, nor prints it', async () => {
    const other = await server({ '/elsewhere': json([]) });
    const s = await server({ '/repos/o/r/releases?per_page=100': redirect(`${other.origin}/elsewhere`) });
    const http = new UpstreamHttp({
      env: { GH_TOKEN: 'secret-token-2' },
      origins: new Map([['https://api.github.com', s.origin]]),
    });
    const up = recogniseUpstream('https://github.com/o/r/archive/v1.0.tar.gz', '1.0')!;
    const error = await releasesOf(http, up, '1.0').catch((e: Error) => e);
    expect(String(error)).toMatch(/redirected to another host/);
    expect(String(error)).not.toMatch(/secret-token-2/);
    expect(s.seen[0].headers.authorization).toBe('Bearer secret-token-2');
    expect(other.seen[0].headers.authorization).toBeUndefined();
  });

  it('refuses malformed JSON and JSON of the wrong shape', async () => {
    const s = await server({ '/pypi/tool/json': bytes('{"releases": [1, 2', { 'content-type': 'application/json' }) });
    const [http, up] = pypi(s);
    await expect(releasesOf(http, up, '1.0')).rejects.toThrow(/answered with something that is not JSON/);
    s.routes.set('/pypi/other/json', json({ releases: 'none' }));
    const other = recogniseUpstream('https://pypi.example.invalid/packages/source/o/other/other-1.0.tar.gz', '1.0')!;
    await expect(releasesOf(http, other, '1.0')).rejects.toThrow(/not a PyPI project/);
  });

  it('stops a huge answer at the limit, and a gzip bomb once decoded', async () => {
    const s = await server({
      '/pypi/tool/json': bytes(Buffer.alloc(1024 * 1024, 0x20)),
      '/pypi/bomb/json': bytes(gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' }),
    });
    const [http, up] = pypi(s);
    await expect(releasesOf(http, up, '1.0')).rejects.toThrow(
      /tool\/json sent more than 65536 bytes \(the limit\); refused/,
    );
    const bomb = recogniseUpstream('https://pypi.example.invalid/packages/source/b/bomb/bomb-1.0.tar.gz', '1.0')!;
    await expect(releasesOf(http, bomb, '1.0')).rejects.toThrow(/once decoded \(the limit\)/);
  });

  it('gives up on a server that stops sending (idle timeout)', async () => {
    const s = await server({
      '/pypi/tool/json': (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"releases": {');
      },
    });
    const [http, up] = pypi(s);
    await expect(releasesOf(http, up, '1.0')).rejects.toThrow(/sent nothing for 0.5 s \(idle timeout\)/);
  });

  it('refuses a download whose size or sha256 is not what the upstream announced', async () => {
    const body = Buffer.from('the real archive');
    const s = await server({ '/tool-1.1.tar.gz': bytes(body) });
    const downloads = new SourceDownloads(
      new UpstreamHttp({ origins: new Map([['https://files.example.invalid', s.origin]]) }),
    );
    const url = 'https://files.example.invalid/tool-1.1.tar.gz';
    await expect(downloads.hashFirst([url], () => ({ size: body.length + 1 }))).rejects.toThrow(
      /downloaded 16 bytes, but the upstream announces 17; not taken/,
    );
    await expect(downloads.hashFirst([url], () => ({ sha256: sha256('other') }))).rejects.toThrow(
      /sha256 is .* but the upstream announces/,
    );
    expect(await downloads.hashFirst([url], () => ({ size: body.length, sha256: sha256(body) }))).toMatchObject({
      url,
      size: 16,
      sha256: sha256(body),
    });
    // Downloaded once for the three checks.
    expect(s.seen).toHaveLength(1);
  });

  it('takes the next mirror when one fails, and names every failure when all do', async () => {
    const s = await server({ '/b/tool-1.1.tar.gz': bytes('b') });
    const downloads = new SourceDownloads(
      new UpstreamHttp({ origins: new Map([['https://files.example.invalid', s.origin]]) }),
    );
    const a = 'https://files.example.invalid/a/tool-1.1.tar.gz';
    const b = 'https://files.example.invalid/b/tool-1.1.tar.gz';
    expect((await downloads.hashFirst([a, b], () => undefined)).url).toBe(b);
    await expect(downloads.hashFirst([a, `${a}.x`], () => undefined)).rejects.toThrow(
      /no mirror of the source could be downloaded:\n {2}downloading .*a\/tool-1.1.tar.gz: the server answered 404/,
    );
  });
});
