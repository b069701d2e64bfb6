import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLeftovers, isRunFolder } from './leftovers';
import { readRunRecords, recordRun, RUN_RECORDS_FOLDER } from './run-records';

describe('isRunFolder', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'leftovers-'));
    mkdirSync(join(root, 'tmp/nx-conda/staging/slow-Ab12Cd'), { recursive: true });
    mkdirSync(join(root, 'tmp/nx-conda/staging/slow-script-Zz09Yy'), { recursive: true });
    mkdirSync(join(root, 'recipes/slow'), { recursive: true });
    symlinkSync(join(root, 'recipes'), join(root, 'tmp/nx-conda/staging/link-Ab12Cd'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("takes a run's own folders inside the workspace", () => {
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/slow-Ab12Cd'))).toBe(true);
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/slow-script-Zz09Yy'))).toBe(true);
  });
  it('refuses the workspace, folders outside it, other names, links, missing and relative paths', () => {
    expect(isRunFolder(root, root)).toBe(false);
    expect(isRunFolder(root, join(root, 'recipes/slow'))).toBe(false);
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/link-Ab12Cd'))).toBe(false);
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/gone-Ab12Cd'))).toBe(false);
    expect(isRunFolder(root, join(root, '..', 'other-Ab12Cd'))).toBe(false);
    expect(isRunFolder(join(root, 'recipes'), join(root, 'tmp/nx-conda/staging/slow-Ab12Cd'))).toBe(false);
    expect(isRunFolder(root, 'tmp/nx-conda/staging/slow-Ab12Cd')).toBe(false);
  });
  it('describes what was removed in one line', () => {
    const line = describeLeftovers(root, {
      containers: [
        {
          id: 'a',
          name: 'nx-conda-slow-1',
          state: 'running',
          labels: { 'nx-conda.pid': '42', 'nx-conda.host': 'box' },
          run: 'gone',
        },
      ],
      folders: [join(root, 'tmp/nx-conda/staging/slow-Ab12Cd')],
      failures: [],
    });
    expect(line).toBe(
      '1 container(s): nx-conda-slow-1 (pid 42 on box, ended); folder(s): tmp/nx-conda/staging/slow-Ab12Cd',
    );
    expect(line).not.toContain('\n');
  });
});

describe('run records', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'run-records-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('records a run, reads it back, and forgets it', () => {
    const folder = join(root, 'tmp/nx-conda/staging/slow-Ab12Cd');
    mkdirSync(folder, { recursive: true });
    const forget = recordRun(root, [folder]);
    const [record] = readRunRecords(root);
    expect(record.labels['nx-conda.pid']).toBe(String(process.pid));
    expect(JSON.parse(record.labels['nx-conda.scratch'])).toEqual([folder]);
    forget();
    expect(readRunRecords(root)).toEqual([]);
  });

  it('skips what is not a record: other names, links, folders, bad JSON, non-objects', () => {
    const dir = join(root, RUN_RECORDS_FOLDER);
    mkdirSync(join(dir, '12-0000000a.json'), { recursive: true });
    writeFileSync(join(dir, '13-0000000b.json'), '{not json');
    writeFileSync(join(dir, '14-0000000c.json'), '["a"]');
    writeFileSync(join(root, 'target.json'), '{"nx-conda.pid":"1"}');
    symlinkSync(join(root, 'target.json'), join(dir, '15-0000000d.json'));
    writeFileSync(join(dir, 'other.json'), '{"nx-conda.pid":"1"}');
    writeFileSync(join(dir, '16-0000000e.json'), '{"nx-conda.pid":"16","n":1}');
    expect(readRunRecords(root)).toEqual([{ file: join(dir, '16-0000000e.json'), labels: { 'nx-conda.pid': '16' } }]);
  });
});
