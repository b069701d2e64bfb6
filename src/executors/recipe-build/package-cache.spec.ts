import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelKey, RATTLER_LOCK } from '../../channel/package-cache';
import { linkRattlerEntries } from './package-cache';

describe('linkRattlerEntries (the read-only cache offered to rattler-build, by the host)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'nx-conda-link-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const entry = (channel: string, name: string, lock?: string) => {
    const path = join(dir, 'cache', channelKey(channel), name);
    mkdirSync(path, { recursive: true });
    if (lock !== undefined) writeFileSync(join(path, RATTLER_LOCK), lock);
  };

  it('links each verified entry of the build channels, with its lock; the first channel wins; nothing else', () => {
    const [first, second, other] = ['https://a.example.org/c', 'https://b.example.org/c', 'https://o.example.org/c'];
    entry(first, 'dep-1.0-0', 'lock of a');
    entry(second, 'dep-1.0-0', 'lock of b');
    entry(second, 'lib-2.0-h1_0', 'lock of lib');
    entry(second, 'unverified-1.0-0'); // no lock: not an entry rattler may trust
    entry(second, '..bad name', 'x');
    entry(other, 'elsewhere-1.0-0', 'not a channel of this build');
    const own = join(dir, 'own');
    linkRattlerEntries({ root: join(dir, 'cache'), maxBytes: 1e9 }, [first, second], own);

    const pkgs = join(own, 'rattler', 'pkgs');
    expect(readdirSync(pkgs).sort()).toEqual(['dep-1.0-0', 'dep-1.0-0.lock', 'lib-2.0-h1_0', 'lib-2.0-h1_0.lock']);
    // Links to where the container sees the read-only cache, never into the host's folders.
    expect(lstatSync(join(pkgs, 'dep-1.0-0')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(pkgs, 'dep-1.0-0'))).toBe(`/opt/nx-conda-pkgs/${channelKey(first)}/dep-1.0-0`);
    expect(readFileSync(join(pkgs, 'dep-1.0-0.lock'), 'utf8')).toBe('lock of a');
    expect(readlinkSync(join(pkgs, 'lib-2.0-h1_0'))).toBe(`/opt/nx-conda-pkgs/${channelKey(second)}/lib-2.0-h1_0`);

    // Again after a fill before the build: the new entry joins, the others stay as they were.
    entry(second, 'new-1.0-0', 'lock of new');
    linkRattlerEntries({ root: join(dir, 'cache'), maxBytes: 1e9 }, [first, second], own);
    expect(readdirSync(pkgs)).toHaveLength(6);
    expect(readFileSync(join(pkgs, 'dep-1.0-0.lock'), 'utf8')).toBe('lock of a');
  });
});
