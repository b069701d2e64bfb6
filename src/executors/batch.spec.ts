import type { TaskGraph } from '@nx/devkit';
import {
  batchCheckpointSeconds,
  batchDependencies,
  scheduleTasks,
  startOrder,
  type BatchTaskResult,
  type RunTask,
} from './batch';
import { nxRunOptions } from './nx-run';

async function collect(gen: AsyncGenerator<BatchTaskResult>): Promise<BatchTaskResult[]> {
  const out: BatchTaskResult[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

/** A run function that records starts and the most tasks running at once; `fail` tasks fail. */
function recorder(fail: string[] = [], ms = 5) {
  const started: string[] = [];
  let running = 0;
  let most = 0;
  const run: RunTask = async (id) => {
    started.push(id);
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, ms));
    running--;
    return { success: !fail.includes(id), terminalOutput: `${id}\n` };
  };
  return { run, started, most: () => most };
}

// a <- b <- c (c depends on b, b on a), d independent
const chain = new Map([
  ['a', []],
  ['b', ['a']],
  ['c', ['b']],
  ['d', []],
]);

describe('scheduleTasks', () => {
  it('runs dependencies first and yields every task once', async () => {
    const r = recorder();
    const results = await collect(scheduleTasks(chain, r.run, { parallel: 4, bail: false }));
    expect(results.map((x) => x.task).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(r.started.indexOf('a')).toBeLessThan(r.started.indexOf('b'));
    expect(r.started.indexOf('b')).toBeLessThan(r.started.indexOf('c'));
    expect(results.every((x) => x.result.success)).toBe(true);
  });

  it('never runs more than parallel tasks at once', async () => {
    const many = new Map(Array.from({ length: 10 }, (_, i) => [`t${i}`, [] as string[]]));
    const r = recorder();
    await collect(scheduleTasks(many, r.run, { parallel: 2, bail: false }));
    expect(r.most()).toBe(2);
    expect(r.started).toHaveLength(10);
  });

  it('a failed task skips only its dependents, transitively', async () => {
    const r = recorder(['a']);
    const results = await collect(scheduleTasks(chain, r.run, { parallel: 1, bail: false }));
    const by = new Map(results.map((x) => [x.task, x.result]));
    expect(r.started.sort()).toEqual(['a', 'd']);
    expect(by.get('a')).toMatchObject({ success: false });
    expect(by.get('a')!.status).toBeUndefined();
    expect(by.get('b')).toMatchObject({ success: false, status: 'skipped' });
    expect(by.get('c')).toMatchObject({ success: false, status: 'skipped' });
    expect(by.get('d')).toMatchObject({ success: true });
  });

  it('with bail, starts nothing after a failure', async () => {
    const r = recorder(['a']);
    const results = await collect(scheduleTasks(chain, r.run, { parallel: 1, bail: true }));
    expect(r.started).toEqual(['a']);
    expect(
      results
        .filter((x) => x.result.status === 'skipped')
        .map((x) => x.task)
        .sort(),
    ).toEqual(['b', 'c', 'd']);
  });

  it('after a stop, starts nothing new and reports the rest skipped', async () => {
    let stop = false;
    const r = recorder();
    const gen = scheduleTasks(
      chain,
      async (id) => ((stop = true), r.run(id)),
      { parallel: 1, bail: false },
      () => stop,
    );
    const results = await collect(gen);
    expect(r.started).toHaveLength(1);
    expect(results.filter((x) => x.result.status === 'skipped')).toHaveLength(3);
  });
});

describe('batchDependencies and startOrder', () => {
  it('reads edges as objects or ids and drops tasks outside the batch', () => {
    const graph = {
      roots: ['x'],
      tasks: { x: {}, y: {} },
      dependencies: { x: [], y: [{ id: 'x' }, { id: 'image:docker-image' }] },
      continuousDependencies: {},
    } as unknown as TaskGraph;
    expect(batchDependencies(graph)).toEqual(
      new Map([
        ['x', []],
        ['y', ['x']],
      ]),
    );
  });

  it('starts the task with the most dependents first', () => {
    expect(
      startOrder(
        new Map([
          ['z', []],
          ['b', ['a']],
          ['c', ['a']],
          ['a', []],
        ]),
      )[0],
    ).toBe('a');
  });
});

describe('nxRunOptions', () => {
  it('reads --parallel as Nx does', () => {
    expect(nxRunOptions(['node', 'nx', 'run-many', '--parallel=2'], {}).parallel).toBe(2);
    expect(nxRunOptions(['nx', '--parallel', '5', '-t', 'x'], {}).parallel).toBe(5);
    expect(nxRunOptions(['nx', '--parallel=false'], {}).parallel).toBe(1);
    expect(nxRunOptions(['nx', '--parallel', '--maxParallel=7'], {}).parallel).toBe(7);
    expect(nxRunOptions(['nx'], { NX_PARALLEL: '4' }).parallel).toBe(4);
    expect(nxRunOptions(['nx'], {}, 6).parallel).toBe(6);
    expect(nxRunOptions(['nx'], {}).parallel).toBe(3);
  });

  it('reads --nx-bail and NX_BAIL', () => {
    expect(nxRunOptions(['nx', '--nx-bail'], {}).bail).toBe(true);
    expect(nxRunOptions(['nx', '--nxBail=false'], { NX_BAIL: 'true' }).bail).toBe(false);
    expect(nxRunOptions(['nx'], { NX_BAIL: 'true' }).bail).toBe(true);
    expect(nxRunOptions(['nx', '-t', 'x'], {}).bail).toBe(false);
  });
});

describe('batch checkpoints (NX_CONDA_BATCH_CHECKPOINT_SECONDS)', () => {
  const many = () => new Map(Array.from({ length: 6 }, (_, i) => [`t${i}`, [] as string[]]));

  it('at a checkpoint nothing new starts, running tasks end and are reported, the rest is left for the next batch', async () => {
    const r = recorder([], 20);
    let asked = false;
    const results = await collect(
      scheduleTasks(many(), r.run, { parallel: 2, bail: false }, undefined, 'built', () => {
        asked = true;
        return true;
      }),
    );
    expect(asked).toBe(true);
    // The two started before the first one ended both end and are reported; the other four are not started nor reported.
    expect(r.started).toHaveLength(2);
    expect(results.map((x) => x.task).sort()).toEqual([...r.started].sort());
    expect(results.every((x) => x.result.success)).toBe(true);
  });

  it('each batch moves on: a checkpoint is honoured only after a task has ended', async () => {
    const r = recorder([], 1);
    const results = await collect(
      scheduleTasks(many(), r.run, { parallel: 1, bail: false }, undefined, 'built', () => true),
    );
    expect(results.map((x) => x.task)).toEqual(['t0']);
  });

  it('run again on what is left, waves end with every task run once', async () => {
    const r = recorder([], 1);
    let left = chain;
    const done: string[] = [];
    for (let wave = 0; wave < 10 && left.size > 0; wave++) {
      const results = await collect(
        scheduleTasks(left, r.run, { parallel: 1, bail: false }, undefined, 'built', () => true),
      );
      done.push(...results.map((x) => x.task));
      const finished = new Set(done);
      left = new Map(
        [...left].filter(([id]) => !finished.has(id)).map(([id, deps]) => [id, deps.filter((d) => !finished.has(d))]),
      );
    }
    expect(done.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(r.started.sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('dependents of a failed task are still reported skipped at a checkpoint', async () => {
    const r = recorder(['a'], 1);
    const results = await collect(
      scheduleTasks(chain, r.run, { parallel: 1, bail: false }, undefined, 'built', () => true),
    );
    expect(results.map((x) => [x.task, x.result.status ?? (x.result.success ? 'success' : 'failure')])).toEqual([
      ['a', 'failure'],
      ['b', 'skipped'],
      ['c', 'skipped'],
    ]);
  });

  it('reads the seconds from the environment; unset, empty, negative or not a number: no checkpoint', () => {
    expect(batchCheckpointSeconds({ NX_CONDA_BATCH_CHECKPOINT_SECONDS: '300' })).toBe(300);
    expect(batchCheckpointSeconds({ NX_CONDA_BATCH_CHECKPOINT_SECONDS: '0' })).toBe(0);
    for (const value of [undefined, '', ' ', '-1', 'soon'])
      expect(batchCheckpointSeconds({ NX_CONDA_BATCH_CHECKPOINT_SECONDS: value })).toBeUndefined();
  });
});
