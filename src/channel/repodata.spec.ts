import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors';
import { readRepodata, RepodataReadError } from './repodata';

describe('readRepodata: a corrupt index is a user error naming the file and what to do', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'nx-conda-repodata-')), 'noarch');
  mkdirSync(dir);
  const file = join(dir, 'repodata.json');
  const read = (content: string) => {
    writeFileSync(file, content);
    return () => readRepodata(dir, 'noarch');
  };

  it.each([
    ['not JSON', '\u001b]0;pwned\u0007{"packages":', /: not JSON\./],
    ['not an object', '[1, 2]', /: not a JSON object\./],
    ['packages that are not an object', '{"packages": "abc"}', /: its packages is not an object\./],
    ['packages.conda that are not an object', '{"packages.conda": [1]}', /: its packages.conda is not an object\./],
  ])('%s', (_what, content, problem) => {
    const error = (() => {
      try {
        read(content)();
      } catch (e) {
        return e as Error;
      }
      throw new Error('readRepodata took a corrupt index');
    })();
    expect(error).toBeInstanceOf(RepodataReadError);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain(`Cannot read the channel index ${file}`);
    expect(error.message).toContain('Delete the folder it is in and run the target that wrote it again');
    // never the file's bytes: a build wrote them
    expect(error.message).not.toContain('pwned');
  });

  it('reads a good index, and an absent one as empty', () => {
    expect(read('{"packages": {"a-1-0.tar.bz2": {"name": "a"}}}')().packages).toEqual({
      'a-1-0.tar.bz2': { name: 'a' },
    });
    expect(readRepodata(join(dir, 'absent'), 'noarch').packages).toEqual({});
  });
});
