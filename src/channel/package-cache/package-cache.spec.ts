import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  channelKey,
  defaultPackageCacheDir,
  evict,
  fillPackageCache,
  markUsedEntries,
  purgeCache,
  removeBroken,
  resolvePackageCacheDir,
  scanCache,
  type Extractor,
  type FillRequest,
} from './index';
import { recordsInText } from './records';
import { ENTRY_MARKER, RATTLER_LOCK } from './layout';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const ENTRY = 'dep-1.0-0';
const FN = `${ENTRY}.conda`;
const CONTENT = 'original\n';

/** A file:// channel with "packages" `dep`, ... (any bytes: the test's extractor decides what they hold). */
function channel(names = ['dep']): { base: string; bytes: Buffer; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nx-conda-pc-channel-'));
  const bytes = Buffer.from('the package file');
  mkdirSync(join(dir, 'noarch'));
  const records: Record<string, object> = {};
  for (const name of names) {
    writeFileSync(join(dir, 'noarch', `${name}-1.0-0.conda`), bytes);
    records[`${name}-1.0-0.conda`] = {
      name,
      version: '1.0',
      build: '0',
      build_number: 0,
      size: bytes.length,
      sha256: sha(bytes),
    };
  }
  writeFileSync(join(dir, 'noarch', 'repodata.json'), JSON.stringify({ packages: {}, 'packages.conda': records }));
  return { base: pathToFileURL(dir).toString(), bytes, dir };
}

/** An extractor writing a package with `content` and a paths.json of the original's digest. */
const extractor =
  (content = CONTENT, extra?: (out: string) => void): Extractor =>
  async (jobs) => {
    for (const { outDir } of jobs) extractOne(outDir, content, extra);
  };

function extractOne(out: string, content = CONTENT, extra?: (out: string) => void): void {
  mkdirSync(join(out, 'info'));
  mkdirSync(join(out, 'share'));
  writeFileSync(join(out, 'share', 'dep.txt'), content);
  writeFileSync(
    join(out, 'info', 'paths.json'),
    JSON.stringify({
      paths: [{ _path: 'share/dep.txt', path_type: 'hardlink', sha256: sha(CONTENT), size_in_bytes: CONTENT.length }],
    }),
  );
  extra?.(out);
}

function request(base: string, root: string, overrides: Partial<FillRequest> = {}): FillRequest {
  return {
    root,
    channels: [base],
    subdirs: ['linux-64', 'noarch'],
    wanted: [ENTRY],
    localFiles: new Map(),
    extract: extractor(),
    memo: new Map(),
    maxPackageBytes: 1 << 20,
    maxExtractedBytes: 1 << 20,
    ...overrides,
  };
}

const newRoot = () => join(mkdtempSync(join(tmpdir(), 'nx-conda-pc-')), 'pkgs');
const entryPath = (root: string, base: string) => join(root, channelKey(base), ENTRY);

describe('package cache: fill', () => {
  it('adds a verified package as a complete entry both builders read', async () => {
    const { base, bytes } = channel();
    const root = newRoot();
    const report = await fillPackageCache(request(base, root));
    expect(report.added).toEqual([ENTRY]);
    const entry = entryPath(root, base);
    expect(readFileSync(join(entry, 'share', 'dep.txt'), 'utf8')).toBe(CONTENT);
    const record = JSON.parse(readFileSync(join(entry, 'info', 'repodata_record.json'), 'utf8'));
    expect(record).toMatchObject({
      fn: FN,
      url: `${base}/noarch/${FN}`,
      channel: `${base}/noarch`,
      sha256: sha(bytes),
    });
    const lock = readFileSync(join(entry, RATTLER_LOCK));
    expect(lock.readBigUInt64BE(0)).toBe(1n);
    expect(lock.subarray(8).toString('hex')).toBe(sha(bytes));
    expect(existsSync(join(root, channelKey(base), 'urls.txt'))).toBe(true);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
    expect(scanCache(root).entries.map((e) => e.name)).toEqual([ENTRY]);
  });

  it('a second fill finds it there and leaves it as it is', async () => {
    const { base } = channel();
    const root = newRoot();
    await fillPackageCache(request(base, root));
    const again = await fillPackageCache(request(base, root, { extract: extractor('other\n') }));
    expect(again).toMatchObject({ added: [], alreadyThere: [ENTRY] });
    expect(readFileSync(join(entryPath(root, base), 'share', 'dep.txt'), 'utf8')).toBe(CONTENT);
  });

  it("takes the build's copy only when it matches the record, else the channel's file", async () => {
    const { base, bytes } = channel();
    const root = newRoot();
    const scratch = mkdtempSync(join(tmpdir(), 'nx-conda-pc-own-'));
    writeFileSync(join(scratch, FN), 'poisoned');
    const seen: Buffer[] = [];
    const report = await fillPackageCache(
      request(base, root, {
        localFiles: new Map([[FN, join(scratch, FN)]]),
        extract: async (jobs) => {
          seen.push(...jobs.map((job) => readFileSync(job.file)));
          await extractor()(jobs);
        },
      }),
    );
    expect(report.added).toEqual([ENTRY]);
    expect(seen).toEqual([bytes]);
  });

  it('never adds a package no upstream channel lists (a workspace package), nor through a link', async () => {
    const { base } = channel();
    const root = newRoot();
    const scratch = mkdtempSync(join(tmpdir(), 'nx-conda-pc-own-'));
    symlinkSync('/etc/passwd', join(scratch, 'mine-1-0.conda'));
    const report = await fillPackageCache(
      request(base, root, {
        wanted: ['mine-1-0', '../evil-1-0'],
        localFiles: new Map([['mine-1-0.conda', join(scratch, 'mine-1-0.conda')]]),
      }),
    );
    expect(report.added).toEqual([]);
    expect(report.skipped.map((s) => s.name)).toEqual(['mine-1-0']);
    expect(scanCache(root).entries).toEqual([]);
  });

  it('refuses an extraction whose files do not match info/paths.json, or that holds a FIFO; nothing is left', async () => {
    const { base } = channel();
    const root = newRoot();
    const bad = await fillPackageCache(request(base, root, { extract: extractor('changed\n') }));
    expect(bad.added).toEqual([]);
    expect(bad.skipped[0].why).toContain('does not match its sha256');
    const fifo = await fillPackageCache(
      request(base, root, {
        extract: extractor(CONTENT, (out) => execFileSync('mkfifo', [join(out, 'share', 'pipe')])),
      }),
    );
    expect(fifo.skipped[0].why).toContain('FIFO');
    expect(existsSync(entryPath(root, base))).toBe(false);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
  });

  it('two fillers at once leave one complete entry', async () => {
    const { base } = channel();
    const root = newRoot();
    const [a, b] = await Promise.all([fillPackageCache(request(base, root)), fillPackageCache(request(base, root))]);
    expect([...a.added, ...b.added]).toEqual([ENTRY]);
    expect([...a.alreadyThere, ...b.alreadyThere]).toEqual([ENTRY]);
    expect(scanCache(root)).toMatchObject({ broken: [] });
    expect(scanCache(root).entries).toHaveLength(1);
  });

  it('extracts all the packages of one fill with one extractor call; a package whose extraction failed is left out', async () => {
    const { base } = channel(['a', 'b', 'c']);
    const root = newRoot();
    const calls: number[] = [];
    const report = await fillPackageCache(
      request(base, root, {
        wanted: ['c-1.0-0', 'a-1.0-0', 'b-1.0-0'],
        extract: async (jobs) => {
          calls.push(jobs.length);
          // b's extraction fails: its folder stays empty.
          for (const job of jobs) if (!job.file.endsWith('b-1.0-0.conda')) extractOne(job.outDir);
        },
      }),
    );
    expect(calls).toEqual([3]);
    expect(report.added).toEqual(['a-1.0-0', 'c-1.0-0']);
    expect(report.skipped).toEqual([{ name: 'b-1.0-0', why: 'no info/paths.json to check the files against' }]);
    expect(scanCache(root).entries.map((e) => e.name)).toEqual(['a-1.0-0', 'c-1.0-0']);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
  });

  it('a full disk stops the fill with diskFull, never a throw', async () => {
    const { base } = channel();
    const root = newRoot();
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    const report = await fillPackageCache(request(base, root, { extract: async () => Promise.reject(full) }));
    expect(report.diskFull).toBe(true);
    expect(scanCache(root).entries).toEqual([]);
  });
});

describe('package cache: checks, eviction, purge', () => {
  it('an entry without its marker is broken and removed', async () => {
    const { base } = channel();
    const root = newRoot();
    await fillPackageCache(request(base, root));
    const entry = entryPath(root, base);
    writeFileSync(join(entry, ENTRY_MARKER), '{"fn": "other-1-0.conda"}');
    const scan = scanCache(root);
    expect(scan.broken).toEqual([entry]);
    expect(removeBroken(root, scan)).toBe(1);
    expect(existsSync(entry)).toBe(false);
  });

  it('evicts the least recently used entries past the limit, never one used just now', async () => {
    const { base } = channel();
    const root = newRoot();
    await fillPackageCache(request(base, root));
    const entry = entryPath(root, base);
    expect(evict(root, 0)).toEqual([]); // used just now
    const old = new Date(Date.now() - 3600_000);
    utimesSync(join(entry, ENTRY_MARKER), old, old);
    expect(evict(root, 1 << 20)).toEqual([]); // under the limit
    expect(evict(root, 0).map((e) => e.name)).toEqual([ENTRY]);
    expect(existsSync(entry)).toBe(false);
  });

  it("a build's use refreshes an entry: the one a build used is kept, the one filled later but unused goes first", async () => {
    const { base } = channel(['used', 'idle']);
    const root = newRoot();
    const report = await fillPackageCache(request(base, root, { wanted: ['used-1.0-0', 'idle-1.0-0'] }));
    expect(report.added.sort()).toEqual(['idle-1.0-0', 'used-1.0-0']);
    const at = (ms: number) => new Date(Date.now() - ms);
    const marker = (name: string) => join(root, channelKey(base), name, ENTRY_MARKER);
    // "used" was filled first (3 h ago), "idle" later (2 h ago): by their fills alone, "used" goes first.
    utimesSync(marker('used-1.0-0'), at(3 * 3600_000), at(3 * 3600_000));
    utimesSync(marker('idle-1.0-0'), at(2 * 3600_000), at(2 * 3600_000));
    // A build linked "used" from the read-only mount an hour ago: names from a container count only when they are entries.
    const marked = markUsedEntries(
      root,
      [channelKey(base), channelKey('file:///other')],
      ['used-1.0-0', 'used-1.0-0', 'gone-1.0-0', '../idle-1.0-0', 'idle-1.0-0/..'],
      at(3600_000),
    );
    expect(marked).toEqual(['used-1.0-0']);
    const entries = scanCache(root).entries;
    const one = entries[0].marker.bytes;
    expect(evict(root, one).map((e) => e.name)).toEqual(['idle-1.0-0']);
    expect(scanCache(root).entries.map((e) => e.name)).toEqual(['used-1.0-0']);
  });

  it('never marks through a link, nor an entry without its marker', async () => {
    const { base } = channel(['dep', 'other']);
    const root = newRoot();
    await fillPackageCache(request(base, root, { wanted: ['dep-1.0-0'] }));
    const key = channelKey(base);
    symlinkSync(join(root, key, 'dep-1.0-0'), join(root, key, 'other-1.0-0'));
    const old = new Date(Date.now() - 3600_000);
    utimesSync(join(root, key, 'dep-1.0-0', ENTRY_MARKER), old, old);
    expect(markUsedEntries(root, [key, '../x'], ['other-1.0-0'])).toEqual([]);
    expect(scanCache(root).entries.find((e) => e.name === 'dep-1.0-0')?.usedMs).toBeCloseTo(old.getTime(), -1);
  });

  it('purge empties it', async () => {
    const { base } = channel();
    const root = newRoot();
    await fillPackageCache(request(base, root));
    expect(purgeCache(root)).toBe(1);
    expect(readdirSync(root)).toEqual([]);
  });

  it('lives in the user cache folder unless set; false turns it off', () => {
    expect(defaultPackageCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/nx-conda/pkgs');
    expect(defaultPackageCacheDir({ HOME: '/home/me' })).toBe('/home/me/.cache/nx-conda/pkgs');
    expect(resolvePackageCacheDir(false, '/ws')).toBeUndefined();
    expect(resolvePackageCacheDir('false', '/ws')).toBeUndefined();
    expect(resolvePackageCacheDir('cache/pkgs', '/ws')).toBe('/ws/cache/pkgs');
    expect(() => resolvePackageCacheDir('a:b', '/ws')).toThrow('packageCache');
  });
});

describe('package cache: records', () => {
  const record = (name: string) => ({ name, version: '1.0', build: '0', size: 3, sha256: 'A'.repeat(64) });
  it('finds a record by file name in the text, only as a key, only when it is that package', () => {
    const text = JSON.stringify(
      {
        info: { subdir: 'noarch' },
        packages: { 'b-1.0-0.tar.bz2': { ...record('b'), fn: 'a-1.0-0.conda', note: 'a "}{" \\" brace' } },
        'packages.conda': { 'a-1.0-0.conda': record('a'), 'c-1.0-0.conda': record('other') },
        removed: ['a-1.0-0.conda'],
      },
      null,
      1,
    );
    const records = recordsInText(text);
    expect(records.get('a-1.0-0.conda')).toMatchObject({ size: 3, sha256: 'a'.repeat(64) });
    expect(records.get('b-1.0-0.tar.bz2')?.raw.note).toBe('a "}{" \\" brace');
    expect(records.get('c-1.0-0.conda')).toBeUndefined();
    expect(records.get('d-1.0-0.conda')).toBeUndefined();
  });
});
