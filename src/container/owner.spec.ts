import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  currentRun,
  OWNER_LABELS,
  ownerLabels,
  processStart,
  runState,
  scratchPaths,
  workspaceId,
  type RunIdentity,
} from './owner';
import { parseInspect } from './owned';

const here: RunIdentity = { host: 'box', pidNamespace: 'boot-1/4026531836', pid: 100, pidStart: '5000' };
const labelsOf = (run: Partial<RunIdentity>) => ownerLabels('/w', { ...here, ...run }, ['/w/tmp/a-Xy12Zq']);

describe('owner labels', () => {
  it('name the workspace, host, pid namespace, pid and its start, and the run folders', () => {
    const labels = labelsOf({});
    expect(labels).toEqual({
      'nx-conda.workspace': workspaceId('/w'),
      'nx-conda.host': 'box',
      'nx-conda.pid-ns': 'boot-1/4026531836',
      'nx-conda.pid': '100',
      'nx-conda.pid-start': '5000',
      'nx-conda.scratch': '["/w/tmp/a-Xy12Zq"]',
    });
    expect(scratchPaths(labels)).toEqual(['/w/tmp/a-Xy12Zq']);
    expect(scratchPaths({ [OWNER_LABELS.scratch]: 'not json' })).toEqual([]);
    expect(scratchPaths({ [OWNER_LABELS.scratch]: '[1, "/x-abcdef"]' })).toEqual(['/x-abcdef']);
  });

  it('workspaceId is 16 hex of the real path: a link to the workspace is the same workspace, another folder is not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'owner-'));
    try {
      symlinkSync(dir, `${dir}-link`);
      expect(workspaceId(dir)).toMatch(/^[0-9a-f]{16}$/);
      expect(workspaceId(`${dir}-link`)).toBe(workspaceId(dir));
      expect(workspaceId(tmpdir())).not.toBe(workspaceId(dir));
    } finally {
      rmSync(`${dir}-link`, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runState', () => {
  const startOf = (pid: number) => (({ 100: '5000', 200: '9999' }) as Record<number, string>)[pid];
  it('is live for a running process with the same start, gone for no process or a reused pid', () => {
    expect(runState(labelsOf({}), here, startOf)).toBe('live');
    expect(runState(labelsOf({ pid: 300 }), here, startOf)).toBe('gone');
    expect(runState(labelsOf({ pid: 200, pidStart: '1234' }), here, startOf)).toBe('gone');
    expect(runState(labelsOf({ pid: 200, pidStart: '' }), here, startOf)).toBe('live');
  });
  it('is elsewhere for another host, boot or PID namespace, or labels it cannot read', () => {
    expect(runState(labelsOf({ host: 'other', pid: 300 }), here, startOf)).toBe('elsewhere');
    expect(runState(labelsOf({ pidNamespace: 'boot-2/4026531836', pid: 300 }), here, startOf)).toBe('elsewhere');
    expect(runState(labelsOf({ pidNamespace: 'boot-1/4026532000', pid: 300 }), here, startOf)).toBe('elsewhere');
    expect(runState({ ...labelsOf({}), [OWNER_LABELS.pid]: 'x' }, here, startOf)).toBe('elsewhere');
    expect(runState({}, here, startOf)).toBe('elsewhere');
  });
  it('reads real processes: this one is live, an ended one is gone', () => {
    const me = currentRun();
    expect(me.pid).toBe(process.pid);
    expect(me.pidStart).toMatch(/^\d+$/);
    expect(processStart(process.pid)).toBe(me.pidStart);
    expect(runState(ownerLabels('/w', me, []), me)).toBe('live');
    const ended = spawnSync('true').pid;
    expect(processStart(ended)).toBeUndefined();
    expect(runState(ownerLabels('/w', { ...me, pid: ended }, []), me)).toBe('gone');
  });
});

describe('parseInspect', () => {
  it('reads docker and podman inspect lines, without a leading slash in names', () => {
    const out =
      'aaa\t/nx-conda-x-1\trunning\t{"nx-conda":"run","nx-conda.pid":"12"}\n' +
      'bbb\tnx-conda-y-2\texited\tnull\n' +
      'ccc\tz\tcreated\t{bad json\n\n';
    expect(parseInspect(out)).toEqual([
      { id: 'aaa', name: 'nx-conda-x-1', state: 'running', labels: { 'nx-conda': 'run', 'nx-conda.pid': '12' } },
      { id: 'bbb', name: 'nx-conda-y-2', state: 'exited', labels: {} },
      { id: 'ccc', name: 'z', state: 'created', labels: {} },
    ]);
  });
});
