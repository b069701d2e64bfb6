import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLeftovers, isRunFolder } from './leftovers';

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
      containers: [{ id: 'a', name: 'nx-conda-slow-1', state: 'running', labels: { 'nx-conda.pid': '42', 'nx-conda.host': 'box' }, run: 'gone' }],
      folders: [join(root, 'tmp/nx-conda/staging/slow-Ab12Cd')],
      failures: [],
    });
    expect(line).toBe('1 container(s): nx-conda-slow-1 (pid 42 on box, ended); folder(s): tmp/nx-conda/staging/slow-Ab12Cd');
    expect(line).not.toContain('\n');
  });
});
