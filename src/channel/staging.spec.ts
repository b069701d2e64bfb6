import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assembleStagingChannel,
  collectNewPackages,
  controlDirOf,
  recordOwnedPackages,
  removeOwnedPackages,
  snapshotChannel,
} from './staging';
import { recoverOutput } from './output';
import { emptyRepodata, writeRepodata } from './repodata';

function channel(files: Record<string, string>, records: Record<string, Record<string, object>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nx-conda-channel-'));
  for (const [path, content] of Object.entries(files)) {
    const [subdir] = path.split('/');
    mkdirSync(join(dir, subdir), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  for (const [subdir, byFile] of Object.entries(records)) {
    const repodata = emptyRepodata(subdir);
    for (const [file, record] of Object.entries(byFile)) {
      repodata[file.endsWith('.conda') ? 'packages.conda' : 'packages'][file] = {
        name: file.split('-')[0],
        version: '1',
        build: '0',
        ...record,
      };
    }
    writeRepodata(join(dir, subdir), repodata);
  }
  return dir;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const repodata = (dir: string, subdir: string) => JSON.parse(readFileSync(join(dir, subdir, 'repodata.json'), 'utf8'));

describe('assembleStagingChannel', () => {
  it('copies every dependency package and merges their records per subdir', () => {
    const a = channel({ 'linux-64/a-1-0.tar.bz2': 'A' }, { 'linux-64': { 'a-1-0.tar.bz2': { sha256: 'aa' } } });
    const b = channel(
      { 'noarch/b-1-0.conda': 'B', 'linux-64/c-1-0.tar.bz2': 'C' },
      { noarch: { 'b-1-0.conda': {} }, 'linux-64': { 'c-1-0.tar.bz2': {} } },
    );
    const staging = mkdtempSync(join(tmpdir(), 'nx-conda-staging-'));

    const result = assembleStagingChannel(staging, [a, b], 'linux-64');

    expect(result).toEqual({ packages: 3, unindexed: [] });
    expect(readdirSync(join(staging, 'linux-64')).sort()).toEqual(['a-1-0.tar.bz2', 'c-1-0.tar.bz2', 'repodata.json']);
    expect(Object.keys(repodata(staging, 'linux-64').packages).sort()).toEqual(['a-1-0.tar.bz2', 'c-1-0.tar.bz2']);
    expect(repodata(staging, 'linux-64').packages['a-1-0.tar.bz2'].sha256).toBe('aa');
    expect(Object.keys(repodata(staging, 'noarch')['packages.conda'])).toEqual(['b-1-0.conda']);
  });

  it("takes only the build's platform and noarch: an aarch64 build never sees linux-64 packages", () => {
    const a = channel(
      { 'linux-64/a-1-0.tar.bz2': 'A', 'linux-aarch64/a-1-0.tar.bz2': 'A2', 'noarch/n-1-0.conda': 'N' },
      {
        'linux-64': { 'a-1-0.tar.bz2': { sha256: 'x86' } },
        'linux-aarch64': { 'a-1-0.tar.bz2': { sha256: 'arm' } },
        noarch: { 'n-1-0.conda': {} },
      },
    );
    const staging = mkdtempSync(join(tmpdir(), 'nx-conda-staging-'));

    expect(assembleStagingChannel(staging, [a], 'linux-aarch64')).toEqual({ packages: 2, unindexed: [] });
    expect(readdirSync(staging).sort()).toEqual(['linux-aarch64', 'noarch']);
    expect(repodata(staging, 'linux-aarch64').packages['a-1-0.tar.bz2'].sha256).toBe('arm');
    expect(Object.keys(repodata(staging, 'noarch')['packages.conda'])).toEqual(['n-1-0.conda']);
  });

  it("takes only the build platform's and noarch packages of a dependency built for several platforms", () => {
    const dep = channel(
      { 'linux-64/a-1-0.conda': 'A64', 'linux-aarch64/a-1-0.conda': 'Aarm', 'noarch/n-1-0.conda': 'N' },
      { 'linux-64': { 'a-1-0.conda': {} }, 'linux-aarch64': { 'a-1-0.conda': {} }, noarch: { 'n-1-0.conda': {} } },
    );
    const staging = mkdtempSync(join(tmpdir(), 'nx-conda-staging-'));

    expect(assembleStagingChannel(staging, [dep], 'linux-aarch64')).toEqual({ packages: 2, unindexed: [] });
    expect(readFileSync(join(staging, 'linux-aarch64', 'a-1-0.conda'), 'utf8')).toBe('Aarm');
    expect(Object.keys(repodata(staging, 'noarch')['packages.conda'])).toEqual(['n-1-0.conda']);
    expect(readdirSync(staging).sort()).toEqual(['linux-aarch64', 'noarch']);
  });

  it('makes an empty but valid channel when there are no dependencies', () => {
    const staging = mkdtempSync(join(tmpdir(), 'nx-conda-staging-'));
    assembleStagingChannel(staging, [], 'linux-aarch64');
    expect(repodata(staging, 'noarch').packages).toEqual({});
    expect(repodata(staging, 'linux-aarch64').info.subdir).toBe('linux-aarch64');
  });

  it('syncs nothing to disk: the staging channel is scratch (issue 17: fsyncs were a trivial build’s own time)', () => {
    const a = channel({ 'linux-64/a-1-0.tar.bz2': 'A' }, { 'linux-64': { 'a-1-0.tar.bz2': {} } });
    const staging = mkdtempSync(join(tmpdir(), 'nx-conda-staging-'));
    // The module object itself (what the writer calls through), not an import namespace.
    const fsync = jest.spyOn(jest.requireActual<typeof import('node:fs')>('node:fs'), 'fsyncSync');
    try {
      assembleStagingChannel(staging, [a], 'linux-64');
      expect(fsync).not.toHaveBeenCalled();
      expect(Object.keys(repodata(staging, 'linux-64').packages)).toEqual(['a-1-0.tar.bz2']);
      expect(repodata(staging, 'noarch').info.subdir).toBe('noarch');
      // Any other channel index (an output folder, a published channel) is still synced.
      writeRepodata(join(staging, 'noarch'), emptyRepodata('noarch'));
      expect(fsync).toHaveBeenCalledTimes(1);
    } finally {
      fsync.mockRestore();
    }
  });

  it('reports a package that its folder does not index', () => {
    const a = channel({ 'linux-64/a-1-0.tar.bz2': 'A' });
    const staging = mkdtempSync(join(tmpdir(), 'nx-conda-staging-'));
    expect(assembleStagingChannel(staging, [a], 'linux-64').unindexed).toEqual([join(a, 'linux-64', 'a-1-0.tar.bz2')]);
  });
});

describe('collectNewPackages', () => {
  it('moves only new packages, by subdir, never from src_cache, with their records', () => {
    const staging = channel({ 'linux-64/dep-1-0.tar.bz2': 'D' }, { 'linux-64': { 'dep-1-0.tar.bz2': {} } });
    const before = snapshotChannel(staging);
    mkdirSync(join(staging, 'src_cache'));
    writeFileSync(join(staging, 'src_cache', 'source-1.tar.bz2'), 'S');
    mkdirSync(join(staging, 'conda-bld'));
    writeFileSync(join(staging, 'conda-bld', 'other-1-0.tar.bz2'), 'O');
    mkdirSync(join(staging, 'noarch'), { recursive: true });
    writeFileSync(join(staging, 'linux-64', 'new-1-0.conda'), 'N');
    writeFileSync(join(staging, 'noarch', 'py-1-0.tar.bz2'), 'P');
    const index = emptyRepodata('linux-64');
    index.packages['dep-1-0.tar.bz2'] = { name: 'dep', version: '1', build: '0' };
    index['packages.conda']['new-1-0.conda'] = { name: 'new', version: '1', build: '0', sha256: sha('N') };
    writeRepodata(join(staging, 'linux-64'), index);
    const noarch = emptyRepodata('noarch');
    noarch.packages['py-1-0.tar.bz2'] = { name: 'py', version: '1', build: '0', noarch: 'python' };
    writeRepodata(join(staging, 'noarch'), noarch);
    const out = join(mkdtempSync(join(tmpdir(), 'nx-conda-out-')), 'dist');
    mkdirSync(join(out, 'linux-64'), { recursive: true });
    writeFileSync(join(out, 'linux-64', 'old-0.9-0.conda'), 'from an earlier build');
    // The output folder of a recipe nested in this one's folder: not this build's to touch.
    mkdirSync(join(out, '1.2', 'noarch'), { recursive: true });
    writeFileSync(join(out, '1.2', 'noarch', 'nested-1.2-0.tar.bz2'), 'nested');

    const collected = collectNewPackages(staging, before, out, ['noarch', 'linux-64']);

    expect(collected.packages.map((p) => `${p.subdir}/${p.file}`).sort()).toEqual([
      'linux-64/new-1-0.conda',
      'noarch/py-1-0.tar.bz2',
    ]);
    expect(readdirSync(out).sort()).toEqual(['1.2', 'linux-64', 'noarch']);
    expect(readdirSync(join(out, 'linux-64')).sort()).toEqual(['new-1-0.conda', 'repodata.json']);
    expect(readFileSync(join(out, '1.2', 'noarch', 'nested-1.2-0.tar.bz2'), 'utf8')).toBe('nested');
    expect(readFileSync(join(out, 'linux-64', 'new-1-0.conda'), 'utf8')).toBe('N');
    // The record as checked against its file: size, sha256 and md5 are the file's.
    expect(repodata(out, 'linux-64')['packages.conda']).toEqual({
      'new-1-0.conda': {
        name: 'new',
        version: '1',
        build: '0',
        subdir: 'linux-64',
        size: 1,
        sha256: sha('N'),
        md5: md5('N'),
      },
    });
    expect(repodata(out, 'linux-64').packages).toEqual({});
    expect(Object.keys(repodata(out, 'noarch').packages)).toEqual(['py-1-0.tar.bz2']);
  });

  it('takes a package rebuilt under the same file name, with the fresh record', () => {
    const staging = channel(
      { 'linux-64/same-1-0.tar.bz2': 'old' },
      { 'linux-64': { 'same-1-0.tar.bz2': { sha256: 'old', size: 3 } } },
    );
    const before = snapshotChannel(staging);
    writeFileSync(join(staging, 'linux-64', 'same-1-0.tar.bz2'), 'newer');
    utimesSync(join(staging, 'linux-64', 'same-1-0.tar.bz2'), new Date(), new Date(Date.now() + 5000));
    const index = emptyRepodata('linux-64');
    index.packages['same-1-0.tar.bz2'] = { name: 'same', version: '1', build: '0', sha256: sha('newer'), size: 5 };
    writeRepodata(join(staging, 'linux-64'), index);
    const out = mkdtempSync(join(tmpdir(), 'nx-conda-out-'));

    collectNewPackages(staging, before, out, ['noarch', 'linux-64']);

    expect(repodata(out, 'linux-64').packages['same-1-0.tar.bz2']).toMatchObject({ sha256: sha('newer'), size: 5 });
  });

  it('a platform build (owning its subdir only) drops its new noarch packages and never touches noarch/ (issue 27)', () => {
    const staging = channel({ 'noarch/dep-1-0.tar.bz2': 'D' }, { noarch: { 'dep-1-0.tar.bz2': {} } });
    const before = snapshotChannel(staging);
    mkdirSync(join(staging, 'linux-aarch64'));
    writeFileSync(join(staging, 'linux-aarch64', 'lib-1-0.conda'), 'L');
    writeFileSync(join(staging, 'noarch', 'data-1-0.conda'), 'not indexed: never read');
    const index = emptyRepodata('linux-aarch64');
    index['packages.conda']['lib-1-0.conda'] = { name: 'lib', version: '1', build: '0' };
    writeRepodata(join(staging, 'linux-aarch64'), index);
    // The primary build's noarch/ in the same output folder.
    const out = channel({ 'noarch/data-1-0.conda': 'primary' }, { noarch: { 'data-1-0.conda': {} } });
    const primaryIndex = readFileSync(join(out, 'noarch', 'repodata.json'), 'utf8');

    const collected = collectNewPackages(staging, before, out, ['linux-aarch64']);

    expect(collected.packages.map((p) => `${p.subdir}/${p.file}`)).toEqual(['linux-aarch64/lib-1-0.conda']);
    expect(collected.dropped).toEqual([{ subdir: 'noarch', file: 'data-1-0.conda' }]);
    expect(readdirSync(join(out, 'noarch')).sort()).toEqual(['data-1-0.conda', 'repodata.json']);
    expect(readFileSync(join(out, 'noarch', 'data-1-0.conda'), 'utf8')).toBe('primary');
    expect(readFileSync(join(out, 'noarch', 'repodata.json'), 'utf8')).toBe(primaryIndex);
    expect(Object.keys(repodata(out, 'linux-aarch64')['packages.conda'])).toEqual(['lib-1-0.conda']);

    // Only noarch packages made: an empty channel of its platform, noarch/ still the primary build's.
    const onlyNoarch = channel({});
    const empty = snapshotChannel(onlyNoarch);
    mkdirSync(join(onlyNoarch, 'noarch'));
    writeFileSync(join(onlyNoarch, 'noarch', 'data-1-0.conda'), 'again');
    expect(collectNewPackages(onlyNoarch, empty, out, ['linux-aarch64'])).toMatchObject({
      packages: [],
      dropped: [{ subdir: 'noarch', file: 'data-1-0.conda' }],
    });
    expect(readdirSync(join(out, 'linux-aarch64'))).toEqual(['repodata.json']);
    expect(readFileSync(join(out, 'noarch', 'data-1-0.conda'), 'utf8')).toBe('primary');
  });

  it('refuses a package for a subdir the build does not own', () => {
    const staging = channel({});
    const before = snapshotChannel(staging);
    mkdirSync(join(staging, 'osx-arm64'));
    writeFileSync(join(staging, 'osx-arm64', 'x-1-0.conda'), 'X');
    expect(() =>
      collectNewPackages(staging, before, mkdtempSync(join(tmpdir(), 'o-')), ['noarch', 'linux-64']),
    ).toThrow(/osx-arm64\/x-1-0.conda, for subdir osx-arm64, but this build is for noarch and linux-64/);
  });

  it('fails, naming the file, when the build did not index its package', () => {
    const staging = channel({});
    const before = snapshotChannel(staging);
    mkdirSync(join(staging, 'linux-64'));
    writeFileSync(join(staging, 'linux-64', 'x-1-0.tar.bz2'), 'X');
    expect(() =>
      collectNewPackages(staging, before, mkdtempSync(join(tmpdir(), 'o-')), ['noarch', 'linux-64']),
    ).toThrow(/linux-64\/x-1-0.tar.bz2.*no record/);
  });
});

describe('packages owned in a shared staging channel', () => {
  it("removes a project's earlier packages, files and records, and nobody else's", () => {
    const shared = channel(
      { 'linux-64/a-1-0.tar.bz2': 'A', 'linux-64/b-1-0.tar.bz2': 'B', 'noarch/a-data-1-0.conda': 'AD' },
      { 'linux-64': { 'a-1-0.tar.bz2': {}, 'b-1-0.tar.bz2': {} }, noarch: { 'a-data-1-0.conda': {} } },
    );
    recordOwnedPackages(shared, 'a', [
      { subdir: 'linux-64', file: 'a-1-0.tar.bz2' },
      { subdir: 'noarch', file: 'a-data-1-0.conda' },
    ]);
    recordOwnedPackages(shared, 'b', [{ subdir: 'linux-64', file: 'b-1-0.tar.bz2' }]);

    expect(removeOwnedPackages(shared, 'a').sort()).toEqual(['linux-64/a-1-0.tar.bz2', 'noarch/a-data-1-0.conda']);

    expect(readdirSync(join(shared, 'linux-64')).sort()).toEqual(['b-1-0.tar.bz2', 'repodata.json']);
    expect(Object.keys(repodata(shared, 'linux-64').packages)).toEqual(['b-1-0.tar.bz2']);
    expect(repodata(shared, 'noarch')['packages.conda']).toEqual({});
    expect(removeOwnedPackages(shared, 'a')).toEqual([]);
    expect(removeOwnedPackages(shared, 'b')).toEqual(['linux-64/b-1-0.tar.bz2']);
  });
});

describe('the staging channel is data, never a path to follow (issue 9)', () => {
  const hostFile = (content = 'host secret') => {
    const file = join(mkdtempSync(join(tmpdir(), 'nx-conda-host-')), 'credentials');
    writeFileSync(file, content);
    return file;
  };
  const indexed = (staging: string, subdir: string, file: string) => {
    const index = emptyRepodata(subdir);
    index[file.endsWith('.conda') ? 'packages.conda' : 'packages'][file] = { name: 'x', version: '1', build: '0' };
    writeRepodata(join(staging, subdir), index);
  };
  const previousOutput = () => {
    const out = mkdtempSync(join(tmpdir(), 'nx-conda-out-'));
    mkdirSync(join(out, 'noarch'));
    writeFileSync(join(out, 'noarch', 'prev-1-0.tar.bz2'), 'previous');
    return out;
  };

  it('refuses a symlink named like a package, removes it, and leaves the host file and the previous output alone', () => {
    const secret = hostFile();
    const staging = channel({});
    const before = snapshotChannel(staging);
    mkdirSync(join(staging, 'noarch'), { recursive: true });
    symlinkSync(secret, join(staging, 'noarch', 'foo-1.0-0.tar.bz2'));
    indexed(staging, 'noarch', 'foo-1.0-0.tar.bz2');
    const out = previousOutput();

    expect(() => collectNewPackages(staging, before, out, ['noarch', 'linux-64'])).toThrow(
      /noarch\/foo-1.0-0.tar.bz2": a symbolic link, not a regular file/,
    );
    expect(readdirSync(join(staging, 'noarch'))).toEqual(['repodata.json']);
    expect(readFileSync(secret, 'utf8')).toBe('host secret');
    expect(readdirSync(join(out, 'noarch'))).toEqual(['prev-1-0.tar.bz2']);
  });

  it('refuses a FIFO named like a package without opening it (no hang)', () => {
    const staging = channel({});
    const before = snapshotChannel(staging);
    mkdirSync(join(staging, 'linux-64'), { recursive: true });
    execFileSync('mkfifo', [join(staging, 'linux-64', 'pipe-1-0.conda')]);
    expect(() => collectNewPackages(staging, before, previousOutput(), ['noarch', 'linux-64'])).toThrow(
      /pipe-1-0.conda": a FIFO/,
    );
  });

  it('refuses a folder and an odd name posing as packages; ignores package names outside the known subdirs', () => {
    const staging = channel({});
    const before = snapshotChannel(staging);
    mkdirSync(join(staging, 'noarch', 'dir-1-0.conda'), { recursive: true });
    writeFileSync(join(staging, 'noarch', 'bad name\n-1-0.conda'), 'X');
    expect(() => collectNewPackages(staging, before, previousOutput(), ['noarch'])).toThrow(
      /bad name\\n-1-0.conda": not a conda package file name[\s\S]*dir-1-0.conda": a folder/,
    );

    writeFileSync(join(staging, 'stray-1-0.conda'), 'S');
    mkdirSync(join(staging, 'evil'));
    writeFileSync(join(staging, 'evil', 'e-1-0.conda'), 'E');
    expect(collectNewPackages(staging, before, previousOutput(), ['noarch'])).toEqual({
      packages: [],
      ignored: [join(staging, 'evil', 'e-1-0.conda'), join(staging, 'stray-1-0.conda')],
      dropped: [],
    });
  });

  it('never writes through a symlinked repodata.json, package or subdir of a shared staging channel', () => {
    const secret = hostFile('{"host": "json"}');
    const secretDir = mkdtempSync(join(tmpdir(), 'nx-conda-host-dir-'));
    const dep = channel({ 'linux-64/a-1-0.tar.bz2': 'A' }, { 'linux-64': { 'a-1-0.tar.bz2': {} } });
    const shared = mkdtempSync(join(tmpdir(), 'nx-conda-shared-'));
    mkdirSync(join(shared, 'linux-64'));
    symlinkSync(secret, join(shared, 'linux-64', 'a-1-0.tar.bz2'));
    writeRepodata(join(shared, 'linux-64'), emptyRepodata('linux-64'));
    assembleStagingChannel(shared, [dep], 'linux-64');
    expect(readFileSync(secret, 'utf8')).toBe('{"host": "json"}');
    expect(lstatSync(join(shared, 'linux-64', 'a-1-0.tar.bz2')).isFile()).toBe(true);

    const shared2 = mkdtempSync(join(tmpdir(), 'nx-conda-shared-'));
    symlinkSync(secretDir, join(shared2, 'noarch'));
    expect(() => assembleStagingChannel(shared2, [], 'linux-64')).toThrow(/noarch is a symbolic link, not a folder/);
    expect(readdirSync(secretDir)).toEqual([]);
  });

  it('refuses and removes a planted repodata.json link and a subdir link, so the next build is not blocked', () => {
    const staging = channel({});
    const before = snapshotChannel(staging);
    const secret = hostFile('{}');
    mkdirSync(join(staging, 'noarch'), { recursive: true });
    symlinkSync(secret, join(staging, 'noarch', 'repodata.json'));
    symlinkSync(mkdtempSync(join(tmpdir(), 'nx-conda-host-dir-')), join(staging, 'linux-64'));
    expect(() => collectNewPackages(staging, before, previousOutput(), ['noarch', 'linux-64'])).toThrow(
      /linux-64": a symbolic link named like a channel subdir[\s\S]*noarch\/repodata.json": a symbolic link/,
    );
    expect(readdirSync(staging).sort()).toEqual(['noarch']);
    expect(readdirSync(join(staging, 'noarch'))).toEqual([]);
    expect(readFileSync(secret, 'utf8')).toBe('{}');
  });

  it('refuses to read a repodata.json that is a link', () => {
    const shared = mkdtempSync(join(tmpdir(), 'nx-conda-shared-'));
    mkdirSync(join(shared, 'noarch'));
    symlinkSync(hostFile('{}'), join(shared, 'noarch', 'repodata.json'));
    expect(() => assembleStagingChannel(shared, [], 'noarch')).toThrow(
      /repodata.json is a symbolic link, not a regular file: refused/,
    );
  });

  it('keeps the owners file outside the staging folder, and ignores one planted inside', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nx-conda-shared-'));
    const shared = join(parent, 'staging');
    mkdirSync(join(shared, 'noarch'), { recursive: true });
    writeFileSync(join(parent, 'important.txt'), 'keep me');
    writeFileSync(
      join(shared, '.nx-conda-owners.json'),
      JSON.stringify({ '../important.txt': 'a', 'noarch/../../important.txt': 'a' }),
    );
    expect(removeOwnedPackages(shared, 'a')).toEqual([]);
    expect(readFileSync(join(parent, 'important.txt'), 'utf8')).toBe('keep me');
    recordOwnedPackages(shared, 'a', [{ subdir: 'noarch', file: 'a-1-0.conda' }]);
    expect(readdirSync(shared)).toEqual(['noarch']);
    expect(Object.keys(JSON.parse(readFileSync(join(controlDirOf(shared), 'owners.json'), 'utf8')))).toEqual([
      'noarch/a-1-0.conda',
    ]);
  });
});

describe('atomic replacement of a project output (issue 9)', () => {
  it('puts back a subdir left aside by an interrupted replacement, and drops an unfinished new one', () => {
    const out = mkdtempSync(join(tmpdir(), 'nx-conda-out-'));
    mkdirSync(join(out, '.nx-conda-previous-noarch'));
    writeFileSync(join(out, '.nx-conda-previous-noarch', 'prev-1-0.conda'), 'P');
    mkdirSync(join(out, '.nx-conda-next-abc', 'noarch'), { recursive: true });
    recoverOutput(out);
    expect(readdirSync(out)).toEqual(['noarch']);
    expect(readdirSync(join(out, 'noarch'))).toEqual(['prev-1-0.conda']);
  });

  it('writes the new subdir completely before the old one goes, and leaves no temporary folder', () => {
    const staging = channel({});
    const before = snapshotChannel(staging);
    mkdirSync(join(staging, 'noarch'), { recursive: true });
    writeFileSync(join(staging, 'noarch', 'new-2-0.conda'), 'N');
    const index = emptyRepodata('noarch');
    index['packages.conda']['new-2-0.conda'] = { name: 'new', version: '2', build: '0' };
    writeRepodata(join(staging, 'noarch'), index);
    const out = mkdtempSync(join(tmpdir(), 'nx-conda-out-'));
    mkdirSync(join(out, 'noarch'));
    writeFileSync(join(out, 'noarch', 'old-1-0.conda'), 'O');
    collectNewPackages(staging, before, out, ['noarch']);
    expect(readdirSync(out)).toEqual(['noarch']);
    expect(readdirSync(join(out, 'noarch'))).toEqual(['new-2-0.conda', 'repodata.json']);
  });
});
