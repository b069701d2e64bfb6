import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentRun, ownerLabels } from './owner';
import { describeLeftovers, isRunFolder, removeEndedRecords, type Leftovers } from './leftovers';
import { markRunFolder, readRunRecords, recordRun, RUN_MARKER, RUN_RECORDS_FOLDER } from './run-records';

describe('isRunFolder', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'leftovers-'));
    mkdirSync(join(root, 'tmp/nx-conda/staging/slow-Ab12Cd'), { recursive: true });
    mkdirSync(join(root, 'tmp/nx-conda/staging/slow-script-Zz09Yy'), { recursive: true });
    mkdirSync(join(root, 'tmp/nx-conda/staging/unmarked-Ab12Cd'), { recursive: true });
    markRunFolder(root, join(root, 'tmp/nx-conda/staging/slow-Ab12Cd'));
    markRunFolder(root, join(root, 'tmp/nx-conda/staging/slow-script-Zz09Yy'));
    mkdirSync(join(root, 'recipes/slow'), { recursive: true });
    symlinkSync(join(root, 'recipes'), join(root, 'tmp/nx-conda/staging/link-Ab12Cd'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("takes a run's own (marked) folders directly inside stagingRoot", () => {
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/slow-Ab12Cd'))).toBe(true);
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/slow-script-Zz09Yy'))).toBe(true);
  });
  it('refuses the workspace, folders outside stagingRoot, unmarked folders, other names, links, missing and relative paths', () => {
    expect(isRunFolder(root, root)).toBe(false);
    expect(isRunFolder(root, join(root, 'recipes/slow'))).toBe(false);
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/unmarked-Ab12Cd'))).toBe(false);
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/link-Ab12Cd'))).toBe(false);
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/gone-Ab12Cd'))).toBe(false);
    expect(isRunFolder(root, join(root, '..', 'other-Ab12Cd'))).toBe(false);
    expect(isRunFolder(root, join(root, 'tmp/nx-conda/staging/slow-Ab12Cd'), join(root, 'recipes'))).toBe(false);
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

/** Issue 18, point 4: a forged record must never remove a workspace folder. */
describe('records of ended runs', () => {
  let root: string;
  const staging = () => join(root, 'tmp/nx-conda/staging');
  const empty = (): Leftovers => ({ containers: [], folders: [], failures: [] });
  /** A record as an ended run of this machine would leave it (its pid no longer runs), naming `folders`. */
  const forge = (name: string, folders: string[]) => {
    const dir = join(root, RUN_RECORDS_FOLDER);
    mkdirSync(dir, { recursive: true });
    const labels = ownerLabels(root, { ...currentRun(), pid: 999_999_999 }, folders);
    writeFileSync(join(dir, name), JSON.stringify(labels));
  };
  const gone = () => 'gone' as const;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'forged-records-'));
    mkdirSync(staging(), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('removes a marked folder of an ended run, and its record', () => {
    const folder = join(staging(), 'slow-Ab12Cd');
    mkdirSync(folder);
    markRunFolder(root, folder);
    forge('1-00000001.json', [folder]);
    const result = empty();
    removeEndedRecords(root, staging(), result, currentRun(), gone);
    expect(result.folders).toEqual([folder]);
    expect(existsSync(folder)).toBe(false);
    expect(readRunRecords(root)).toEqual([]);
  });

  it('never removes recipes/perl-module named by a forged record, nor through a linked path, nor with a copied marker', () => {
    const recipe = join(root, 'recipes/perl-module');
    mkdirSync(recipe, { recursive: true });
    writeFileSync(join(recipe, 'meta.yaml'), 'package: {name: perl-module}\n');
    // A real run folder's marker copied into the recipe (the build could read its own).
    const own = join(staging(), 'own-Ab12Cd');
    mkdirSync(own);
    markRunFolder(root, own);
    cpSync(join(own, RUN_MARKER), join(recipe, RUN_MARKER));
    // tmp/lnk -> tmp: tmp/lnk/nx-conda/staging is stagingRoot by another path; and stagingRoot/evil-Xy12Zq -> recipes/perl-module.
    symlinkSync(join(root, 'tmp'), join(root, 'tmp/lnk'));
    symlinkSync(recipe, join(staging(), 'evil-Xy12Zq'));
    mkdirSync(join(root, 'tmp/lnk/nx-conda/staging/plain-Qq11Ww'));
    forge('2-00000002.json', [
      recipe,
      join(root, 'tmp/lnk/nx-conda/staging/evil-Xy12Zq'),
      join(staging(), 'evil-Xy12Zq'),
      join(root, 'tmp/lnk/nx-conda/staging/../../../recipes/perl-module'),
      join(root, 'tmp/lnk/nx-conda/staging/plain-Qq11Ww'),
      join(staging(), 'own-Ab12Cd', '..', '..', '..', '..', 'recipes', 'perl-module'),
    ]);
    const result = empty();
    removeEndedRecords(root, staging(), result, currentRun(), gone);
    expect(result).toEqual(empty());
    expect(existsSync(join(recipe, 'meta.yaml'))).toBe(true);
    expect(existsSync(join(staging(), 'plain-Qq11Ww'))).toBe(true);
    expect(existsSync(own)).toBe(true);
  });

  it('removes a marked run folder named through a linked path at its real place only', () => {
    symlinkSync(join(root, 'tmp'), join(root, 'tmp/lnk'));
    const folder = join(staging(), 'slow-Ab12Cd');
    mkdirSync(folder);
    markRunFolder(root, folder);
    forge('3-00000003.json', [join(root, 'tmp/lnk/nx-conda/staging/slow-Ab12Cd')]);
    const result = empty();
    removeEndedRecords(root, staging(), result, currentRun(), gone);
    expect(result.folders).toEqual([folder]);
    expect(existsSync(folder)).toBe(false);
  });
});
