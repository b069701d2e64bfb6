// Issue 30, point 5: a publish killed at every step. The destination is a real folder; the kill is a write that
// never happens (a SIGKILL between two writes), or one that left its temporary file behind (a SIGKILL inside it).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderDestination, publishChannel, type Destination } from './publish';
import { TEMP_PREFIX } from '../core/atomic-write';

class Killed extends Error {}

/** A destination whose process dies before its `killAt`-th write (counting from 0). */
function killedAt(inner: Destination, killAt: number, insideWrite: boolean, dir: string): Destination {
  let writes = 0;
  return {
    describe: inner.describe,
    read: (path) => inner.read(path),
    matches: (path, content) => inner.matches(path, content),
    async write(path, content, type) {
      if (writes++ === killAt) {
        // Killed inside an atomic write: a part of the content under a temporary name, never the file itself.
        if (insideWrite) {
          mkdirSync(join(dir, path, '..'), { recursive: true });
          writeFileSync(join(dir, path, '..', `${TEMP_PREFIX}killed`), content.subarray(0, content.length >> 1));
        }
        throw new Killed(`killed before writing ${path}`);
      }
      return inner.write(path, content, type);
    },
  };
}

const record = (file: string) => ({ name: file.split('-')[0], version: '1', build: 'h0_0', build_number: 0 });

function makeChannel(dir: string, packages: Record<string, string[]>): void {
  for (const [subdir, files] of Object.entries(packages)) {
    mkdirSync(join(dir, subdir), { recursive: true });
    for (const file of files) writeFileSync(join(dir, subdir, file), `content of ${file}`);
    const records = Object.fromEntries(files.map((f) => [f, record(f)]));
    writeFileSync(
      join(dir, subdir, 'repodata.json'),
      JSON.stringify({ info: { subdir }, packages: {}, 'packages.conda': records }),
    );
  }
}

/** Every record of every index names a file that is there, with the content that was published. */
function expectHonestIndexes(dir: string): Map<string, string> {
  const held = new Map<string, string>();
  for (const subdir of readdirSync(dir)) {
    const files = readdirSync(join(dir, subdir));
    if (!files.includes('repodata.json')) continue;
    const index = JSON.parse(readFileSync(join(dir, subdir, 'repodata.json'), 'utf8'));
    for (const file of Object.keys(index['packages.conda'])) {
      expect({ subdir, file, there: files.includes(file) }).toEqual({ subdir, file, there: true });
      expect(readFileSync(join(dir, subdir, file), 'utf8')).toBe(`content of ${file}`);
      held.set(`${subdir}/${file}`, 'listed');
    }
  }
  return held;
}

const OLD = { noarch: ['o1-1-h0_0.conda', 'o2-1-h0_0.conda'], 'linux-64': ['o3-1-h0_0.conda'] };
const LOCAL = {
  noarch: ['o1-1-h0_0.conda', 'n1-1-h0_0.conda', 'n2-1-h0_0.conda', 'n3-1-h0_0.conda'],
  'linux-64': ['n4-1-h0_0.conda'],
};
const everything = [
  ...new Set([
    ...[...OLD.noarch, ...LOCAL.noarch].map((f) => `noarch/${f}`),
    ...[...OLD['linux-64'], ...LOCAL['linux-64']].map((f) => `linux-64/${f}`),
  ]),
];

describe('a publish killed at every step (issue 30, point 5)', () => {
  const local = mkdtempSync(join(tmpdir(), 'nx-conda-kill-local-'));
  makeChannel(local, LOCAL);
  // Four new packages, then two indexes: six writes; a kill before each, and none (k = 6).
  const WRITES = 6;

  for (let killAt = 0; killAt <= WRITES; killAt++) {
    for (const insideWrite of [false, true]) {
      it(`killed before write ${killAt}${insideWrite ? ', inside it' : ''}: no index names a missing package, nothing lost, the next publish completes`, async () => {
        const target = mkdtempSync(join(tmpdir(), 'nx-conda-kill-dest-'));
        makeChannel(target, OLD);
        const outcome = await publishChannel(
          local,
          killedAt(new FolderDestination(target), killAt, insideWrite, target),
          {
            log: () => undefined,
          },
        ).catch((e: unknown) => e);
        expect(outcome instanceof Killed).toBe(killAt < WRITES);

        // What a reader sees right after the kill.
        const listed = expectHonestIndexes(target);
        for (const [subdir, files] of Object.entries(OLD))
          for (const file of files) expect(listed.has(`${subdir}/${file}`)).toBe(true);

        // The next publish, not killed, completes it.
        const next = await publishChannel(local, new FolderDestination(target), { log: () => undefined });
        expect(next.upload.length + next.present.length).toBe(5);
        expect([...expectHonestIndexes(target).keys()].sort()).toEqual(everything.sort());
        // And the one after has nothing left to do.
        expect(await publishChannel(local, new FolderDestination(target), { log: () => undefined })).toEqual({
          upload: [],
          present: expect.any(Array),
          indexes: [],
        });
      });
    }
  }
});
