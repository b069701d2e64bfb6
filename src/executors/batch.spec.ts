import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { goLive, logger } from '../core/logger';
import {
  batchCheckpointSeconds,
  batchDependencies,
  coveredTime,
  runBatch,
  runTaskFor,
  scheduleTasks,
  startOrder,
  summaryLine,
  type BatchTaskResult,
  type RunTask,
} from './batch';
import { UserError } from '../core/errors';
import { nxPrintsTaskOutput, nxRunOptions } from './nx-run';

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

describe('nxPrintsTaskOutput', () => {
  const nx = ['/usr/bin/node', '/ws/node_modules/nx/dist/bin/nx.js'];
  const prints = (args: string[], env: NodeJS.ProcessEnv = {}, project = 'c') =>
    nxPrintsTaskOutput([...nx, ...args], env)(project);

  it('under the default style Nx collapses a success to one line: it prints none of run-many or affected', () => {
    expect(prints(['run-many', '-t', 'build-recipe'])).toBe(false);
    expect(prints(['affected', '-t', 'build-recipe', '--output-style=static-failures-only'])).toBe(false);
    expect(prints(['affected', '-t', 'build-recipe'], { NX_DEFAULT_OUTPUT_STYLE: 'static-failures-only' })).toBe(false);
    expect(prints(['run-many', '-t', 'build-recipe', '--outputStyle', 'dynamic-legacy'])).toBe(false);
  });

  it('under the styles that show every task, with --verbose, in the terminal UI or under summary, Nx prints it', () => {
    expect(prints(['run-many', '-t', 'build-recipe', '--output-style=static'])).toBe(true);
    expect(prints(['run-many', '-t', 'build-recipe', '--output-style', 'stream'])).toBe(true);
    expect(prints(['affected', '-t', 'build-recipe', '--outputStyle=dynamic'])).toBe(true);
    expect(prints(['affected', '-t', 'build-recipe'], { NX_DEFAULT_OUTPUT_STYLE: 'static' })).toBe(true);
    expect(prints(['affected', '-t', 'build-recipe'], { NX_VERBOSE_LOGGING: 'true' })).toBe(true);
    expect(prints(['affected', '-t', 'build-recipe'], { NX_TUI: 'true' })).toBe(true);
    expect(prints(['affected', '-t', 'build-recipe', '--output-style=summary'])).toBe(true);
    expect(prints(['affected', '-t', 'build-recipe'], { NX_DEFAULT_OUTPUT_STYLE: 'no-such-style' })).toBe(false);
  });

  it('a run-one command shows the project it asked for in full, not its dependencies', () => {
    expect(prints(['run', 'c:build-recipe'])).toBe(true);
    expect(prints(['run', 'c:build-recipe'], {}, 'a')).toBe(false);
    expect(prints(['c:build-recipe', '--skip-nx-cache'])).toBe(true);
    expect(prints(['build-recipe', 'c'])).toBe(true);
    expect(prints(['build-recipe', 'c'], {}, 'b')).toBe(false);
  });

  it('a command line it cannot read counts as collapsing (a line printed twice is the lesser mistake)', () => {
    expect(nxPrintsTaskOutput([], {})('c')).toBe(false);
  });
});

describe('the closing line', () => {
  it('covers overlapping builds once', () => {
    expect(coveredTime([])).toBe(0);
    expect(
      coveredTime([
        [10, 20],
        [15, 30],
        [40, 50],
        [41, 45],
      ]),
    ).toBe(30);
  });

  it('names built and failed always, other outcomes sorted when they occur, not run when any', () => {
    const outcomes = new Map([
      ['skipped for linux-64', 2],
      ['built', 1],
      ['already published', 440],
    ]);
    expect(
      summaryLine('recipe-build', { outcomes, failed: 0, notRun: 0 }, ['built'], { label: 'builds', ms: 7500 }, 11_600),
    ).toBe(
      'nx-conda: 443 recipe-build tasks: 1 built, 440 already published, 2 skipped for linux-64, 0 failed (builds 7.5 s, outside 4.1 s)',
    );
    expect(
      summaryLine(
        'recipe-build',
        { outcomes: new Map(), failed: 1, notRun: 2 },
        ['built'],
        { label: 'builds', ms: 0 },
        900,
      ),
    ).toBe('nx-conda: 3 recipe-build tasks: 0 built, 1 failed, 2 not run (builds 0.0 s, outside 0.9 s)');
  });
});

describe('runBatch: what is printed, once', () => {
  let written: string[];
  let out: jest.SpyInstance;
  let err: jest.SpyInstance;
  let info: jest.SpyInstance;
  const env = { ...process.env };
  beforeEach(() => {
    written = [];
    const record = (chunk: string | Uint8Array) => (written.push(String(chunk)), true);
    out = jest.spyOn(process.stdout, 'write').mockImplementation(record);
    err = jest.spyOn(process.stderr, 'write').mockImplementation(record);
    info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
    for (const name of ['NX_TUI', 'NX_VERBOSE_LOGGING', 'NX_DEFAULT_OUTPUT_STYLE', 'NX_PARALLEL'])
      delete process.env[name];
  });
  afterEach(() => {
    out.mockRestore();
    err.mockRestore();
    info.mockRestore();
    process.env = { ...env };
  });

  // built <- after (after depends on built); skipped and broken independent
  const graph = {
    roots: ['built:b', 'skipped:b', 'broken:b'],
    tasks: Object.fromEntries(
      ['built', 'after', 'skipped', 'broken'].map((p) => [
        `${p}:b`,
        { id: `${p}:b`, target: { project: p, target: 'b' } },
      ]),
    ),
    dependencies: { 'built:b': [], 'after:b': [{ id: 'built:b' }], 'skipped:b': [], 'broken:b': [] },
    continuousDependencies: {},
  } as unknown as TaskGraph;
  const tasks = async (_options: object, context: ExecutorContext) =>
    runTaskFor(async () => {
      const project = context.projectName!;
      if (project === 'skipped') {
        logger.info('nx-conda: skipped skipped: already published');
        return 'already published';
      }
      if (project === 'broken') throw new UserError('broken cannot be read');
      logger.info(`nx-conda: building ${project}`);
      goLive();
      await new Promise((r) => setTimeout(r, 5));
      logger.info(`nx-conda: built ${project}`);
      return 'built';
    });
  const batch = (failAfter = false) =>
    collect(
      runBatch(graph, {}, {}, { root: '/ws', cwd: '/ws', isVerbose: false } as ExecutorContext, {
        executor: 'recipe-build',
        runTask: failAfter
          ? (o, c) => (c.projectName === 'built' ? runTaskFor(async () => Promise.reject(new Error('x'))) : tasks(o, c))
          : tasks,
        verb: 'built',
        outcomes: ['built'],
        liveWork: 'builds',
        stoppedMessage: 'stopped',
      }),
    );
  const count = (text: string) => written.join('').split(text).length - 1;

  it('a build streams live; a skip is printed by us once when Nx collapses it; a failure is left to Nx', async () => {
    const results = await batch();
    expect(count('[built] nx-conda: building built\n')).toBe(1);
    expect(count('[built] nx-conda: built built\n')).toBe(1);
    expect(count('[skipped] nx-conda: skipped skipped: already published\n')).toBe(1);
    expect(count('broken cannot be read')).toBe(0);
    const by = new Map(results.map((r) => [r.task, r.result]));
    expect(by.get('skipped:b')!.terminalOutput).toBe('nx-conda: skipped skipped: already published\n');
    expect(by.get('broken:b')!.terminalOutput).toContain('nx-conda: broken cannot be read');
    expect(by.get('built:b')!.terminalOutput).toBe('nx-conda: building built\nnx-conda: built built\n');
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0][0]).toMatch(
      /^nx-conda: 4 recipe-build tasks: 2 built, 1 already published, 1 failed \(builds \d+\.\d s, outside \d+\.\d s\)$/,
    );
  });

  it('when Nx prints every task (here --verbose), a skip is left to Nx: its line is in its terminal output only', async () => {
    process.env.NX_VERBOSE_LOGGING = 'true';
    const results = await batch();
    expect(count('already published')).toBe(0);
    expect(results.find((r) => r.task === 'skipped:b')!.result.terminalOutput).toContain('already published');
    expect(count('[built] nx-conda: built built\n')).toBe(1);
  });

  it('a dependency that fails leaves its dependent not run, and the closing line counts it', async () => {
    await batch(true);
    expect(info.mock.calls[0][0]).toMatch(
      /^nx-conda: 4 recipe-build tasks: 0 built, 1 already published, 2 failed, 1 not run \(/,
    );
  });
});
