/**
 * The mulled test: the package's own tests, read from inside the package
 * file, turned into one shell script that runs in the package's image.
 *
 * - conda-build packages carry `info/test/`: `run_test.sh` (the recipe's
 *   test commands and its own run_test.sh), `run_test.py` (its imports and
 *   run_test.py), `run_test.pl`, and the test files; with none of those
 *   scripts, the `test:` section of `info/recipe/meta.yaml` is used.
 * - rattler-build packages carry `info/tests/tests.yaml` (a list of tests:
 *   `script`, `python.imports`) and each test's files in `info/tests/<n>/`.
 *
 * Everything read from a package is untrusted data: the reader in the
 * container takes only regular files, bounded in number and size, and sends
 * them as JSON on stdout; here every path is checked before it becomes a
 * file of the test folder, and nothing is followed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadYaml11, loadYaml12 } from '../../recipes/yaml';
import { shellQuote } from '../../text/shell';
import { UserError } from '../../core/errors';

export const MAX_TEST_FILE_BYTES = 4 * 1024 * 1024;
export const MAX_TEST_TOTAL_BYTES = 16 * 1024 * 1024;
export const MAX_TEST_FILES = 2000;
/** base64 and JSON around MAX_TEST_TOTAL_BYTES. */
export const MAX_READER_OUTPUT_BYTES = Math.ceil(MAX_TEST_TOTAL_BYTES * 1.4) + 1024 * 1024;

/** Where the test folder is mounted (read-only) in the package's image, and where the test copies it to run. */
export const CONTAINER_TESTS = '/opt/nx-conda/tests';
export const TEST_WORKDIR = '/tmp/nx-conda-test';

/** The line the test script prints before a failing step, which the error message quotes. */
export const FAILED_MARK = 'nx-conda-test: failed:';

/**
 * Runs in the installer image (python3 with conda_package_streaming, as
 * conda itself uses it): argv[1] is the package file, read-only. Prints
 * `{"files": [{"path", "data"}], "skipped": [...]}`.
 */
export const READER_SCRIPT = `
import base64, json, sys
from conda_package_streaming.package_streaming import stream_conda_info
MAX_FILE, MAX_TOTAL, MAX_FILES = ${MAX_TEST_FILE_BYTES}, ${MAX_TEST_TOTAL_BYTES}, ${MAX_TEST_FILES}
def wanted(n):
    return n.startswith(("info/test/", "info/tests/")) or n == "info/recipe/meta.yaml"
files, skipped, total = [], [], 0
with open(sys.argv[1], "rb") as f:
    for tar, member in stream_conda_info(sys.argv[1], f):
        name = member.name
        if not wanted(name) or member.isdir():
            continue
        if not member.isreg() or member.size > MAX_FILE or total + member.size > MAX_TOTAL or len(files) >= MAX_FILES:
            if len(skipped) < 100: skipped.append(name)
            continue
        data = tar.extractfile(member).read(MAX_FILE + 1)[:MAX_FILE]
        total += len(data)
        files.append({"path": name, "data": base64.b64encode(data).decode("ascii")})
json.dump({"files": files, "skipped": skipped}, sys.stdout)
`.trim();

export interface PackageFile {
  /** Path inside the package, checked: `info/...`, no `.`/`..`, no empty part. */
  path: string;
  data: Buffer;
}

export class PackageTestError extends UserError {}

const PART = /^[^/\0]{1,255}$/;

/** Is `path` (from the package) a plain relative path under info/ we may write into our own test folder? */
export function isSafeInfoPath(path: unknown): path is string {
  if (typeof path !== 'string' || path.length > 1024 || !path.startsWith('info/')) return false;
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\0-\x1f\x7f\\]/.test(path)) return false;
  return path.split('/').every((p) => PART.test(p) && p !== '.' && p !== '..');
}

/** The reader's JSON, checked: files with safe paths and their bytes; what was left out and why. */
export function parseReaderOutput(stdout: Buffer | string): { files: PackageFile[]; refused: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.toString());
  } catch {
    throw new PackageTestError('the package reader did not print JSON');
  }
  const raw = (parsed as { files?: unknown; skipped?: unknown } | null) ?? {};
  if (!Array.isArray(raw.files)) throw new PackageTestError('the package reader printed no file list');
  const files: PackageFile[] = [];
  const refused: string[] = Array.isArray(raw.skipped)
    ? raw.skipped.filter((s): s is string => typeof s === 'string').map((s) => JSON.stringify(s.slice(0, 200)))
    : [];
  const seen = new Set<string>();
  let total = 0;
  for (const entry of raw.files.slice(0, MAX_TEST_FILES)) {
    const { path, data } = (entry ?? {}) as { path?: unknown; data?: unknown };
    if (!isSafeInfoPath(path) || typeof data !== 'string' || seen.has(path)) {
      refused.push(JSON.stringify(String(path).slice(0, 200)));
      continue;
    }
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length > MAX_TEST_FILE_BYTES || total + bytes.length > MAX_TEST_TOTAL_BYTES) {
      refused.push(JSON.stringify(path));
      continue;
    }
    total += bytes.length;
    seen.add(path);
    files.push({ path, data: bytes });
  }
  return { files, refused };
}

/**
 * Writes the files into `dir` (a fresh folder of ours): folders are made
 * here, files created exclusively, so nothing can be written through a link.
 * A file that clashes with a folder of another path is left out.
 */
export function writePackageFiles(dir: string, files: PackageFile[]): string[] {
  const clashes: string[] = [];
  for (const { path, data } of files) {
    const target = join(dir, ...path.split('/'));
    try {
      mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
      writeFileSync(target, data, { flag: 'wx', mode: 0o644 });
    } catch {
      clashes.push(path);
    }
  }
  return clashes;
}

/** One test step: what the error names, and the shell text that runs it (in the test folder). */
export interface TestStep {
  name: string;
  /** The folder (under the test root) it runs in. */
  cwd: string;
  script: string;
}

function asStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function importStep(cwd: string, modules: string[]): TestStep[] {
  return modules
    .filter((m) => /^[A-Za-z_][A-Za-z0-9_.]*$/.test(m))
    .map((m) => ({ name: `import ${m}`, cwd, script: `python -c ${shellQuote(`import ${m}`)}` }));
}

/** The test steps of a package, from its files (see the module comment); none when it has no test. */
export function testSteps(files: PackageFile[]): { steps: TestStep[]; notRun: string[] } {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const steps: TestStep[] = [];
  const notRun: string[] = [];
  const condaBuild = 'info/test';
  if (byPath.has(`${condaBuild}/run_test.sh`))
    steps.push({ name: 'info/test/run_test.sh', cwd: condaBuild, script: '. ./run_test.sh' });
  if (byPath.has(`${condaBuild}/run_test.py`))
    steps.push({ name: 'info/test/run_test.py', cwd: condaBuild, script: 'python run_test.py' });
  if (byPath.has(`${condaBuild}/run_test.pl`))
    steps.push({ name: 'info/test/run_test.pl', cwd: condaBuild, script: 'perl run_test.pl' });
  const meta = byPath.get('info/recipe/meta.yaml');
  if (steps.length === 0 && meta) {
    // An old conda-build that wrote no run_test script: the rendered recipe's test section.
    let test: Record<string, unknown> = {};
    try {
      const recipe = loadYaml11(meta.data.toString('utf8')) as Record<string, unknown> | null;
      const section = recipe?.test;
      if (section && typeof section === 'object' && !Array.isArray(section)) test = section as Record<string, unknown>;
    } catch {
      notRun.push('info/recipe/meta.yaml (not readable YAML)');
    }
    for (const command of asStrings(test.commands))
      steps.push({ name: command, cwd: condaBuild, script: `set -e\n${command}` });
    steps.push(...importStep(condaBuild, asStrings(test.imports)));
  }
  const testsYaml = byPath.get('info/tests/tests.yaml');
  if (testsYaml) {
    let tests: unknown;
    try {
      tests = loadYaml12(testsYaml.data.toString('utf8'));
    } catch {
      notRun.push('info/tests/tests.yaml (not readable YAML)');
    }
    (Array.isArray(tests) ? tests : []).forEach((test: unknown, index: number) => {
      const t = (test ?? {}) as Record<string, unknown>;
      const cwd = `info/tests/${index}`;
      if ('script' in t) {
        const script = t.script as unknown;
        const content =
          script && typeof script === 'object' && !Array.isArray(script)
            ? (script as Record<string, unknown>).content
            : script;
        const lines = asStrings(content);
        const interpreter = (script as Record<string, unknown> | null)?.interpreter;
        if (interpreter !== undefined && interpreter !== 'bash' && interpreter !== 'sh')
          notRun.push(`tests.yaml test ${index}: interpreter ${JSON.stringify(String(interpreter)).slice(0, 40)}`);
        else if (lines.length) steps.push({ name: lines.join('; '), cwd, script: `set -e\n${lines.join('\n')}` });
      } else if ('python' in t) {
        const python = (t.python ?? {}) as Record<string, unknown>;
        steps.push(...importStep(cwd, asStrings(python.imports)));
      } else {
        notRun.push(`tests.yaml test ${index}: ${Object.keys(t).slice(0, 3).join(', ') || 'empty'}`);
      }
    });
  }
  return { steps, notRun };
}

/**
 * The script the image runs (bash, as in BioContainers' base): copies the
 * test folder to a writable place, then runs each step in a subshell of its
 * own; the first failing step prints FAILED_MARK with its name and ends the
 * script with its status. `$PREFIX` is /usr/local, as in a conda test.
 */
export function renderTestScript(steps: TestStep[], prefix: string): string {
  const lines = [
    '#!/bin/bash',
    `export PREFIX=${shellQuote(prefix)}`,
    'export PATH="$PREFIX/bin:$PATH"',
    `rm -rf ${TEST_WORKDIR} && cp -R ${CONTAINER_TESTS}/files ${TEST_WORKDIR} || exit 1`,
  ];
  steps.forEach((step, i) => {
    const quotedName = shellQuote(step.name.length > 300 ? `${step.name.slice(0, 300)}...` : step.name);
    lines.push(
      `echo ${shellQuote(`nx-conda-test: [${i + 1}/${steps.length}]`)} ${quotedName}`,
      `(cd ${shellQuote(`${TEST_WORKDIR}/${step.cwd}`)} 2>/dev/null || cd ${TEST_WORKDIR}`,
      // The step's own failing command, by bash's ERR trap, before set -e ends the subshell.
      ` set -E; trap 'echo "nx-conda-test: command: $BASH_COMMAND" >&2' ERR`,
      ...step.script.split('\n').map((l) => ` ${l}`),
      ')',
      `status=$?; if [ "$status" -ne 0 ]; then echo ${shellQuote(FAILED_MARK)} ${quotedName} "(exit $status)" >&2; exit "$status"; fi`,
    );
  });
  lines.push(`echo ${shellQuote(`nx-conda-test: ${steps.length} test step(s) passed`)}`, '');
  return lines.join('\n');
}
