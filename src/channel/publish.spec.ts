import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destinationOf, FolderDestination, publishChannel } from './publish';

function channel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nx-conda-publish-'));
  const records: Record<string, object> = {};
  mkdirSync(join(dir, 'noarch'));
  mkdirSync(join(dir, 'linux-64'));
  for (const file of ['a-1-h0_0.conda', 'b-1-h0_0.conda']) {
    writeFileSync(join(dir, 'noarch', file), `content of ${file}`);
    records[file] = { name: file.split('-')[0], version: '1', build: 'h0_0', build_number: 0 };
  }
  writeFileSync(
    join(dir, 'noarch', 'repodata.json'),
    JSON.stringify({ info: { subdir: 'noarch' }, packages: {}, 'packages.conda': records }),
  );
  writeFileSync(
    join(dir, 'linux-64', 'repodata.json'),
    JSON.stringify({ info: { subdir: 'linux-64' }, packages: {}, 'packages.conda': {} }),
  );
  return dir;
}

const noS3 = () => {
  throw new Error('no s3 here');
};

describe('publishChannel to a folder', () => {
  it('writes packages, then indexes; a re-run writes nothing; an interrupted publish completes', async () => {
    const local = channel();
    const target = mkdtempSync(join(tmpdir(), 'nx-conda-published-'));
    // As an interrupted publish leaves it: one package there, no index yet.
    mkdirSync(join(target, 'noarch'));
    writeFileSync(join(target, 'noarch', 'a-1-h0_0.conda'), 'content of a-1-h0_0.conda');
    const lines: string[] = [];
    const plan = await publishChannel(local, new FolderDestination(target), { log: (l) => lines.push(l) });
    expect(plan.upload).toEqual(['noarch/b-1-h0_0.conda']);
    expect(plan.present).toEqual(['noarch/a-1-h0_0.conda']);
    expect(plan.indexes.sort()).toEqual(['linux-64/repodata.json', 'noarch/repodata.json']);
    expect(lines[0]).toBe('wrote noarch/b-1-h0_0.conda');
    expect(lines.slice(1).every((l) => l.endsWith('repodata.json'))).toBe(true);
    expect(
      Object.keys(JSON.parse(readFileSync(join(target, 'noarch', 'repodata.json'), 'utf8'))['packages.conda']).sort(),
    ).toEqual(['a-1-h0_0.conda', 'b-1-h0_0.conda']);
    const again = await publishChannel(local, destinationOf(`file://${target}`, '/', noS3), { log: () => undefined });
    expect(again).toEqual({ upload: [], present: ['noarch/a-1-h0_0.conda', 'noarch/b-1-h0_0.conda'], indexes: [] });
  });

  it('refuses a package that exists there with other content, and writes nothing', async () => {
    const local = channel();
    const target = mkdtempSync(join(tmpdir(), 'nx-conda-published-'));
    mkdirSync(join(target, 'noarch'));
    writeFileSync(join(target, 'noarch', 'b-1-h0_0.conda'), 'something else');
    await expect(publishChannel(local, new FolderDestination(target), { log: () => undefined })).rejects.toThrow(
      /already has noarch\/b-1-h0_0.conda with other content; a published package is never overwritten .*Nothing was published\.$/,
    );
    expect(existsSync(join(target, 'noarch', 'a-1-h0_0.conda'))).toBe(false);
    expect(existsSync(join(target, 'noarch', 'repodata.json'))).toBe(false);
  });

  it('keeps the records already published and lists changes on a dry run without writing', async () => {
    const local = channel();
    const target = mkdtempSync(join(tmpdir(), 'nx-conda-published-'));
    mkdirSync(join(target, 'noarch'));
    writeFileSync(join(target, 'noarch', 'old-0.1-h0_0.conda'), 'old');
    writeFileSync(
      join(target, 'noarch', 'repodata.json'),
      JSON.stringify({ 'packages.conda': { 'old-0.1-h0_0.conda': { name: 'old', version: '0.1' } } }),
    );
    const lines: string[] = [];
    const dry = await publishChannel(local, new FolderDestination(target), { dryRun: true, log: (l) => lines.push(l) });
    expect(dry.upload).toHaveLength(2);
    expect(lines).toContain('would write noarch/a-1-h0_0.conda');
    expect(existsSync(join(target, 'noarch', 'a-1-h0_0.conda'))).toBe(false);
    await publishChannel(local, new FolderDestination(target), { log: () => undefined });
    expect(
      Object.keys(JSON.parse(readFileSync(join(target, 'noarch', 'repodata.json'), 'utf8'))['packages.conda']).sort(),
    ).toEqual(['a-1-h0_0.conda', 'b-1-h0_0.conda', 'old-0.1-h0_0.conda']);
  });

  it('names a missing destination and an unsupported one', () => {
    expect(() => destinationOf('', '/', noS3)).toThrow(/publish needs a destination/);
    expect(() => destinationOf('https://x.org/ch', '/', noS3)).toThrow(
      /only folders, file:\/\/ URLs and s3:\/\/ buckets/,
    );
  });
});
