import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherChannel } from './gather';

function project(root: string, name: string, packages: { subdir: string; file: string; content?: string }[]): string {
  const dir = join(root, 'dist', name);
  rmSync(dir, { recursive: true, force: true });
  for (const subdir of new Set(['noarch', 'linux-64', ...packages.map((p) => p.subdir)])) {
    mkdirSync(join(dir, subdir), { recursive: true });
    const records: Record<string, object> = {};
    for (const p of packages.filter((p) => p.subdir === subdir)) {
      writeFileSync(join(dir, subdir, p.file), p.content ?? p.file);
      const [, pkg, version] = /^(.*)-([^-]+)-[^-]+\.conda$/.exec(p.file)!;
      records[p.file] = {
        name: pkg,
        version,
        build: 'h0_0',
        build_number: 0,
        depends: [],
        size: (p.content ?? p.file).length,
      };
    }
    writeFileSync(
      join(dir, subdir, 'repodata.json'),
      JSON.stringify({ info: { subdir }, packages: {}, 'packages.conda': records, repodata_version: 1 }),
    );
  }
  return dir;
}

const repodata = (channel: string, subdir: string) =>
  JSON.parse(readFileSync(join(channel, subdir, 'repodata.json'), 'utf8'));

describe('gatherChannel', () => {
  it('gathers, skips unchanged copies, removes what is no longer made, keeps what is not here', () => {
    const root = mkdtempSync(join(tmpdir(), 'nx-conda-gather-'));
    const channel = join(root, 'dist', 'channel');
    const a = project(root, 'a', [{ subdir: 'noarch', file: 'a-1-h0_0.conda' }]);
    const b = project(root, 'b', [{ subdir: 'linux-64', file: 'b-2-h0_0.conda' }]);
    const known = new Set(['a', 'b']);
    const first = gatherChannel(
      channel,
      [
        { project: 'a', dir: a },
        { project: 'b', dir: b },
      ],
      known,
    );
    expect(first.added.sort()).toEqual(['linux-64/b-2-h0_0.conda', 'noarch/a-1-h0_0.conda']);
    expect(Object.keys(repodata(channel, 'noarch')['packages.conda'])).toEqual(['a-1-h0_0.conda']);
    expect(repodata(channel, 'linux-64')).toMatchObject({
      info: { subdir: 'linux-64' },
      repodata_version: 1,
      'packages.conda': { 'b-2-h0_0.conda': { name: 'b', subdir: 'linux-64' } },
    });

    const second = gatherChannel(
      channel,
      [
        { project: 'a', dir: a },
        { project: 'b', dir: b },
      ],
      known,
    );
    expect(second).toMatchObject({ added: [], updated: [], unchanged: 2, removed: [] });

    // a makes a new version; b's output is absent here (not restored): b's package stays.
    project(root, 'a', [{ subdir: 'noarch', file: 'a-1.1-h0_0.conda' }]);
    rmSync(b, { recursive: true });
    const third = gatherChannel(
      channel,
      [
        { project: 'a', dir: a },
        { project: 'b', dir: b },
      ],
      known,
    );
    expect(third).toMatchObject({ added: ['noarch/a-1.1-h0_0.conda'], removed: ['noarch/a-1-h0_0.conda'], kept: 1 });
    expect(existsSync(join(channel, 'noarch', 'a-1-h0_0.conda'))).toBe(false);
    expect(Object.keys(repodata(channel, 'linux-64')['packages.conda'])).toEqual(['b-2-h0_0.conda']);

    // b is gone from the workspace: its package goes too.
    const fourth = gatherChannel(channel, [{ project: 'a', dir: a }], new Set(['a']));
    expect(fourth.removed).toEqual(['linux-64/b-2-h0_0.conda']);
    expect(repodata(channel, 'linux-64')['packages.conda']).toEqual({});
  });

  it('refuses two projects making the same file', () => {
    const root = mkdtempSync(join(tmpdir(), 'nx-conda-gather-'));
    const a = project(root, 'a', [{ subdir: 'noarch', file: 'x-1-h0_0.conda' }]);
    const b = project(root, 'b', [{ subdir: 'noarch', file: 'x-1-h0_0.conda' }]);
    expect(() =>
      gatherChannel(
        join(root, 'ch'),
        [
          { project: 'a', dir: a },
          { project: 'b', dir: b },
        ],
        new Set(['a', 'b']),
      ),
    ).toThrow('noarch/x-1-h0_0.conda is made by both a and b');
  });

  it("never takes a key of the state file for a path outside the channel: a gone project's entry named ../x is dropped, the file beside the channel kept", () => {
    const root = mkdtempSync(join(tmpdir(), 'nx-conda-gather-'));
    const channel = join(root, 'dist', 'channel');
    const a = project(root, 'a', [{ subdir: 'noarch', file: 'a-1-h0_0.conda' }]);
    gatherChannel(channel, [{ project: 'a', dir: a }], new Set(['a']));
    const victim = join(root, 'dist', 'victim-1-h0_0.conda');
    writeFileSync(victim, "not the channel's");
    const stateFile = join(channel, '.nx-conda-channel.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    state.files['../victim-1-h0_0.conda'] = { project: 'gone', size: 1, mtimeMs: 1 };
    state.files['noarch/../../victim-1-h0_0.conda'] = { project: 'gone', size: 1, mtimeMs: 1 };
    writeFileSync(stateFile, JSON.stringify(state));
    const result = gatherChannel(channel, [{ project: 'a', dir: a }], new Set(['a']));
    expect(result.removed).toEqual([]);
    expect(existsSync(victim)).toBe(true);
    expect(existsSync(join(root, 'dist', 'repodata.json'))).toBe(false);
    rmSync(root, { recursive: true, force: true });
  });
});
