import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** Issue 18, point 7: the destination folder is not ours; nothing there is followed, and its content is never quoted. */
describe('publishChannel to a folder with links and FIFOs planted in it', () => {
  const publish = (local: string, target: string) =>
    publishChannel(local, new FolderDestination(target), { log: () => undefined });
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), 'nx-conda-home-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { registry: { auth: 'REGISTRYSECRET' } } }));
    writeFileSync(join(dir, 'credentials'), '[default]\naws_secret_access_key = AWSSECRET\n');
    return dir;
  };

  it.each([
    ['config.json', 'REGISTRYSECRET'],
    ['credentials', 'AWSSECRET'],
  ])('refuses noarch/repodata.json linked to %s, writes nothing, quotes nothing', async (file, secret) => {
    const local = channel();
    const secrets = home();
    const target = mkdtempSync(join(tmpdir(), 'nx-conda-published-'));
    mkdirSync(join(target, 'noarch'));
    symlinkSync(join(secrets, file), join(target, 'noarch', 'repodata.json'));
    const error = await publish(local, target).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/noarch\/repodata.json is a symbolic link, not a regular file: refused/);
    expect(error?.message).not.toContain(secret);
    expect(error?.message).not.toMatch(/default|auths/);
    expect(lstatSync(join(target, 'noarch', 'repodata.json')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(target, 'noarch', 'a-1-h0_0.conda'))).toBe(false);
    expect(readFileSync(join(secrets, file), 'utf8')).toContain(secret);
  });

  it('refuses a FIFO at noarch/repodata.json at once instead of blocking on it', async () => {
    const target = mkdtempSync(join(tmpdir(), 'nx-conda-published-'));
    mkdirSync(join(target, 'noarch'));
    execFileSync('mkfifo', [join(target, 'noarch', 'repodata.json')]);
    await expect(publish(channel(), target)).rejects.toThrow(/is a FIFO, not a regular file: refused/);
  });

  it('refuses a package name linked elsewhere, and a subdir that is a link, writing nothing through them', async () => {
    const secrets = home();
    const target = mkdtempSync(join(tmpdir(), 'nx-conda-published-'));
    mkdirSync(join(target, 'noarch'));
    symlinkSync(join(secrets, 'credentials'), join(target, 'noarch', 'a-1-h0_0.conda'));
    await expect(publish(channel(), target)).rejects.toThrow(/a-1-h0_0.conda is a symbolic link, not a regular file/);
    const other = mkdtempSync(join(tmpdir(), 'nx-conda-published-'));
    symlinkSync(secrets, join(other, 'noarch'));
    await expect(publish(channel(), other)).rejects.toThrow(/noarch is a symbolic link, not a folder/);
    expect(existsSync(join(secrets, 'a-1-h0_0.conda'))).toBe(false);
    expect(existsSync(join(secrets, 'repodata.json'))).toBe(false);
  });

  it('never quotes a destination index that is not JSON', async () => {
    const target = mkdtempSync(join(tmpdir(), 'nx-conda-published-'));
    mkdirSync(join(target, 'noarch'));
    writeFileSync(join(target, 'noarch', 'repodata.json'), 'TOPSECRET=1\n');
    const error = await publish(channel(), target).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/noarch\/repodata.json is not JSON/);
    expect(error?.message).not.toContain('TOPSECRET');
  });
});
