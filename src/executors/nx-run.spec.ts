import { availableParallelism } from 'node:os';
import { MAX_PARALLEL, nxRunOptions } from './nx-run';

// Issue 31, point 9: --parallel parsed as Nx parses it, never Infinity, capped at MAX_PARALLEL.
describe('nxRunOptions: a ceiling on --parallel', () => {
  const parallel = (argv: string[], env: NodeJS.ProcessEnv = {}, nxJson?: number | string) =>
    nxRunOptions(['node', 'nx', 'run-many', ...argv], env, nxJson).parallel;

  it.each<[string, string[], NodeJS.ProcessEnv, number | string | undefined]>([
    ['--parallel=99999999999', ['--parallel=99999999999'], {}, undefined],
    ['--parallel=100000%', ['--parallel=100000%'], {}, undefined],
    ['--parallel --maxParallel=1e400 (a yargs number: Infinity)', ['--parallel', '--maxParallel=1e400'], {}, undefined],
    ['--parallel --max-parallel=1e12', ['--parallel', '--max-parallel=1e12'], {}, undefined],
    ['nx.json parallel Infinity', [], {}, Infinity],
    ['nx.json parallel 1e12', [], {}, 1e12],
  ])('%s is capped at the ceiling', (_, argv, env, nxJson) => {
    expect(parallel(argv, env, nxJson)).toBe(MAX_PARALLEL);
  });

  it('parses as Nx does below the ceiling', () => {
    // NX_PARALLEL and --parallel are strings to Nx: parseInt, so 1e12 is 1.
    expect(parallel([], { NX_PARALLEL: '1e12' })).toBe(1);
    expect(parallel(['--parallel=1e400'])).toBe(1);
    expect(parallel([], {}, 'Infinity')).toBe(3);
    expect(parallel(['--parallel=50%'])).toBe(
      Math.min(MAX_PARALLEL, Math.max(1, Math.floor(availableParallelism() / 2))),
    );
    expect(parallel(['--parallel', '--maxParallel=7'])).toBe(7);
    expect(parallel(['--parallel=0'])).toBe(1);
    expect(parallel(['--parallel=-5'])).toBe(1);
    expect(parallel(['--parallel=abc'])).toBe(3);
    expect(parallel([], {}, 2.7)).toBe(2);
  });
});
