// Issue 18, point 10: data from a build is bounded and checked against its file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataLimits } from './package-check';
import { emptyRepodata, writeRepodata, type PackageRecord } from './repodata';
import { collectNewPackages, snapshotChannel } from './staging';
import { gatherChannel } from './gather';
import { FolderDestination, publishChannel } from './publish';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const MiB = 1024 * 1024;

/** A staging channel in which a build has just left `file` (content or a sparse size) with `record`. */
function built(
  file: string,
  content: string | { sparse: number },
  record: Partial<PackageRecord> | ((r: PackageRecord) => PackageRecord),
) {
  const staging = mkdtempSync(join(tmpdir(), 'nx-conda-bounds-'));
  mkdirSync(join(staging, 'linux-64'));
  mkdirSync(join(staging, 'noarch'));
  const before = snapshotChannel(staging);
  const path = join(staging, 'linux-64', file);
  if (typeof content === 'string') writeFileSync(path, content);
  else {
    writeFileSync(path, '');
    truncateSync(path, content.sparse);
  }
  const [name, version, build] = file.replace(/\.conda$/, '').split('-');
  const base: PackageRecord = {
    name,
    version,
    build,
    build_number: 0,
    depends: [],
    size: typeof content === 'string' ? Buffer.byteLength(content) : content.sparse,
    sha256: typeof content === 'string' ? sha(content) : undefined,
  };
  const index = emptyRepodata('linux-64');
  index['packages.conda'][file] = typeof record === 'function' ? record(base) : { ...base, ...record };
  writeRepodata(join(staging, 'linux-64'), index);
  const out = join(mkdtempSync(join(tmpdir(), 'nx-conda-bounds-out-')), 'dist');
  return {
    collect: (limits = dataLimits({})) => collectNewPackages(staging, before, out, ['noarch', 'linux-64'], limits),
    out,
  };
}

describe('what a build leaves is bounded and checked before it is taken', () => {
  it('refuses a sparse file named like a package instead of copying it dense', () => {
    const { collect, out } = built('big-1-0.conda', { sparse: 64 * MiB }, {});
    expect(() => collect()).toThrow(/big-1-0\.conda is a sparse file \(67108864 bytes long, \d+ on disk\)/);
    expect(existsSync(join(out, 'linux-64', 'big-1-0.conda'))).toBe(false);
  });

  it('refuses a package larger than maxPackageMegabytes', () => {
    const { collect } = built('big-1-0.conda', 'x'.repeat(2 * MiB), {});
    expect(() => collect(dataLimits({ maxPackageMegabytes: 1 }))).toThrow(
      /big-1-0\.conda is 2097152 bytes, more than the limit of 1048576 \(maxPackageMegabytes\)/,
    );
  });

  it('refuses an index larger than maxIndexMegabytes', () => {
    const { collect } = built('a-1-0.conda', 'A', { license: 'x'.repeat(2 * MiB) });
    expect(() => collect(dataLimits({ maxIndexMegabytes: 1 }))).toThrow(
      /repodata\.json holds \d+ bytes, more than the limit of 1048576/,
    );
  });

  it.each([
    [
      'a record that is megabytes long',
      { depends: Array.from({ length: 40_000 }, (_, i) => `dep-${i} >=1.0`) },
      /bytes long, more than/,
    ],
    ['a record for another package', { name: 'other' }, /names other-1-0, not the file a-1-0\.conda/],
    [
      'an fn that is not the file',
      { fn: '../../evil-1-0.conda' },
      /gives fn "..\/..\/evil-1-0.conda", not a-1-0\.conda/,
    ],
    ['a size that is not the file', { size: 999 }, /gives size 999, but the file is 1 bytes/],
    ['a sha256 that is not the file', { sha256: sha('something else') }, /gives a sha256 that is not the file/],
    [
      'depends that are not strings',
      { depends: [{ evil: true }] as unknown as string[] },
      /depends that is not a list of strings/,
    ],
  ])('refuses %s', (_what, record, why) => {
    const { collect } = built('a-1-0.conda', 'A', record);
    expect(() => collect()).toThrow(why);
  });

  it('writes the record rebuilt from the file, with only the fields conda reads', () => {
    const { collect, out } = built('a-1-0.conda', 'A', {
      injected: 'x'.repeat(1000),
      __proto__: { polluted: true },
    } as Partial<PackageRecord>);
    collect();
    const index = JSON.parse(readFileSync(join(out, 'linux-64', 'repodata.json'), 'utf8'));
    expect(Object.keys(index['packages.conda']['a-1-0.conda']).sort()).toEqual(
      ['build', 'build_number', 'depends', 'md5', 'name', 'sha256', 'size', 'subdir', 'version'].sort(),
    );
  });
});

/** A project's output folder (or a gathered channel) holding a-1-0.conda = 'A' with `record`, and an empty noarch. */
function channelWith(record: Partial<PackageRecord>, content = 'A'): string {
  const dir = mkdtempSync(join(tmpdir(), 'nx-conda-bounds-ch-'));
  for (const subdir of ['noarch', 'linux-64']) mkdirSync(join(dir, subdir));
  writeFileSync(join(dir, 'linux-64', 'a-1-0.conda'), content);
  const index = emptyRepodata('linux-64');
  index['packages.conda']['a-1-0.conda'] = {
    name: 'a',
    version: '1',
    build: '0',
    size: 1,
    sha256: sha(content),
    ...record,
  };
  writeRepodata(join(dir, 'linux-64'), index);
  writeRepodata(join(dir, 'noarch'), emptyRepodata('noarch'));
  return dir;
}

describe('gather and publish check each record against its file', () => {
  it('gather refuses a record that does not describe its file, and a sparse package', () => {
    const channel = mkdtempSync(join(tmpdir(), 'nx-conda-bounds-gathered-'));
    expect(() => gatherChannel(channel, [{ project: 'p', dir: channelWith({ size: 5 }) }], new Set(['p']))).toThrow(
      /linux-64\/a-1-0\.conda of p gives size 5, but the file is 1 bytes/,
    );
    expect(() =>
      gatherChannel(channel, [{ project: 'p', dir: channelWith({ sha256: sha('B') }) }], new Set(['p'])),
    ).toThrow(/sha256 that is not the file/);
    const sparse = channelWith({ size: 64 * MiB, sha256: undefined });
    truncateSync(join(sparse, 'linux-64', 'a-1-0.conda'), 64 * MiB);
    expect(() => gatherChannel(channel, [{ project: 'p', dir: sparse }], new Set(['p']))).toThrow(/is a sparse file/);
  });

  it('gather writes the checked record, not the one it was given', () => {
    const channel = mkdtempSync(join(tmpdir(), 'nx-conda-bounds-gathered-'));
    gatherChannel(channel, [{ project: 'p', dir: channelWith({ injected: 'x'.repeat(1000) }) }], new Set(['p']));
    const record = JSON.parse(readFileSync(join(channel, 'linux-64', 'repodata.json'), 'utf8'))['packages.conda'][
      'a-1-0.conda'
    ];
    expect(record.injected).toBeUndefined();
    expect(record).toMatchObject({ name: 'a', size: 1, sha256: sha('A'), subdir: 'linux-64' });
  });

  it('publish refuses a record that does not describe its file, and publishes checked records', async () => {
    const share = mkdtempSync(join(tmpdir(), 'nx-conda-bounds-share-'));
    await expect(
      publishChannel(channelWith({ name: 'b', fn: 'b-1-0.conda' }), new FolderDestination(share), {
        log: () => undefined,
      }),
    ).rejects.toThrow(/names b-1-0, not the file a-1-0\.conda/);
    expect(existsSync(join(share, 'linux-64'))).toBe(false);
    await publishChannel(channelWith({ injected: 'x'.repeat(1000) }), new FolderDestination(share), {
      log: () => undefined,
    });
    const record = JSON.parse(readFileSync(join(share, 'linux-64', 'repodata.json'), 'utf8'))['packages.conda'][
      'a-1-0.conda'
    ];
    expect(record.injected).toBeUndefined();
    expect(record.sha256).toBe(sha('A'));
  });
});
