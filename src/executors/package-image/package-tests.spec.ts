import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FAILED_MARK,
  isSafeInfoPath,
  parseReaderOutput,
  renderTestScript,
  testSteps,
  writePackageFiles,
  type PackageFile,
} from './package-tests';

const file = (path: string, text: string): PackageFile => ({ path, data: Buffer.from(text) });
const reader = (files: { path: unknown; data: unknown }[], skipped: string[] = []) =>
  JSON.stringify({ files, skipped });

describe('reading test files from a package (untrusted)', () => {
  it('accepts plain paths under info/ only', () => {
    expect(isSafeInfoPath('info/test/run_test.sh')).toBe(true);
    for (const bad of ['info/../x', '/etc/passwd', 'info/test/../../x', 'bin/x', 'info//x', 'info/./x', 'info/a\nb', 7])
      expect([bad, isSafeInfoPath(bad)]).toEqual([bad, false]);
  });

  it('keeps checked files and names the refused ones', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const { files, refused } = parseReaderOutput(
      reader(
        [
          { path: 'info/test/run_test.sh', data: b64('echo ok') },
          { path: 'info/../../etc/x', data: b64('x') },
          { path: 'info/test/run_test.sh', data: b64('again') },
          { path: 'info/test/y', data: 12 },
        ],
        ['info/test/link'],
      ),
    );
    expect(files.map((f) => [f.path, f.data.toString()])).toEqual([['info/test/run_test.sh', 'echo ok']]);
    expect(refused).toEqual(['"info/test/link"', '"info/../../etc/x"', '"info/test/run_test.sh"', '"info/test/y"']);
    expect(() => parseReaderOutput('not json')).toThrow(/did not print JSON/);
    expect(() => parseReaderOutput('{}')).toThrow(/no file list/);
  });

  it('writes files into its own folder only, never over one another', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nx-conda-test-'));
    try {
      const clashes = writePackageFiles(dir, [
        file('info/test/a', 'A'),
        file('info/test/a/b', 'clash: a is a file'),
        file('info/test/sub/c', 'C'),
      ]);
      expect(clashes).toEqual(['info/test/a/b']);
      expect(readFileSync(join(dir, 'info/test/sub/c'), 'utf8')).toBe('C');
      expect(existsSync(join(dir, 'info/test/a/b'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('test steps', () => {
  it("conda-build: info/test's scripts", () => {
    const { steps } = testSteps([
      file('info/test/run_test.sh', 'set -ex\nfoo --help\nexit 0\n'),
      file('info/test/run_test.py', 'import foo\n'),
      file('info/recipe/meta.yaml', 'test:\n  commands:\n    - never used\n'),
    ]);
    expect(steps.map((s) => [s.name, s.cwd, s.script])).toEqual([
      ['info/test/run_test.sh', 'info/test', '. ./run_test.sh'],
      ['info/test/run_test.py', 'info/test', 'python run_test.py'],
    ]);
  });

  it("conda-build without run_test scripts: the rendered recipe's test section", () => {
    const { steps } = testSteps([
      file(
        'info/recipe/meta.yaml',
        'test:\n  commands:\n    - foo --version\n  imports:\n    - foo.bar\n    - "bad; rm -rf /"\n',
      ),
    ]);
    expect(steps.map((s) => s.name)).toEqual(['foo --version', 'import foo.bar']);
    expect(steps[1].script).toBe("python -c 'import foo.bar'");
  });

  it('rattler-build: info/tests/tests.yaml', () => {
    const { steps, notRun } = testSteps([
      file(
        'info/tests/tests.yaml',
        '- script:\n    content: rtool | grep hello\n- script:\n    - a\n    - b\n- python:\n    imports: [rmod]\n- package_contents:\n    files: [x]\n- script:\n    interpreter: python\n    content: print(1)\n',
      ),
    ]);
    expect(steps.map((s) => [s.name, s.cwd])).toEqual([
      ['rtool | grep hello', 'info/tests/0'],
      ['a; b', 'info/tests/1'],
      ['import rmod', 'info/tests/2'],
    ]);
    expect(notRun).toEqual(['tests.yaml test 3: package_contents', 'tests.yaml test 4: interpreter "python"']);
  });

  it('renders one script that names the failing step', () => {
    const script = renderTestScript([{ name: "it's x", cwd: 'info/test', script: 'set -e\nx' }], '/usr/local');
    expect(script).toContain('export PREFIX=/usr/local');
    expect(script).toContain(`echo '${FAILED_MARK}' 'it'\\''s x' "(exit $status)" >&2`);
    expect(script).toContain('(cd /tmp/nx-conda-test/info/test 2>/dev/null');
  });
});
