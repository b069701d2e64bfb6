/**
 * What the Nx command that started a batch was asked for: how many tasks at
 * once (`--parallel`) and whether to stop at the first failure
 * (`--nx-bail`). Nx does not hand these to a batch worker, so they are read
 * as Nx reads them: the command line of the Nx process that forked the
 * worker, NX_PARALLEL / NX_BAIL, nx.json's `parallel`, Nx's default of 3.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';

export interface NxRunOptions {
  parallel: number;
  bail: boolean;
}

const DEFAULT_PARALLEL = 3;

function concurrency(value: string | number): number {
  let parallel = typeof value === 'number' ? value : parseInt(value, 10);
  if (typeof value === 'string' && value.endsWith('%')) parallel = (availableParallelism() * parallel) / 100;
  return Number.isFinite(parallel) ? Math.max(1, Math.floor(parallel)) : DEFAULT_PARALLEL;
}

/** The value of `--name=v` / `--name v` / bare `--name` (''), for any of `names`; the last one given wins. */
function flag(argv: string[], names: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    for (const name of names) {
      if (argv[i].startsWith(`--${name}=`)) found = argv[i].slice(name.length + 3);
      else if (argv[i] === `--${name}`)
        found = argv[i + 1] !== undefined && !argv[i + 1].startsWith('-') ? argv[i + 1] : '';
    }
  }
  return found;
}

/** Parallelism and bail from the Nx command line `argv`, the environment and nx.json's `parallel`. */
export function nxRunOptions(argv: string[], env: NodeJS.ProcessEnv, nxJsonParallel?: number): NxRunOptions {
  const given = flag(argv, ['parallel']);
  const max = flag(argv, ['maxParallel', 'max-parallel']);
  let parallel: number;
  if (given === 'false') parallel = 1;
  else if (given === 'true' || given === '' || (given === undefined && env.NX_PARALLEL))
    parallel = concurrency(max || env.NX_PARALLEL || String(DEFAULT_PARALLEL));
  else if (given !== undefined) parallel = concurrency(given);
  else parallel = nxJsonParallel && nxJsonParallel > 0 ? Math.floor(nxJsonParallel) : DEFAULT_PARALLEL;
  const bailFlag = flag(argv, ['nx-bail', 'nxBail']);
  const bail = bailFlag === undefined ? env.NX_BAIL === 'true' : bailFlag !== 'false';
  return { parallel, bail };
}

/** The command line of the Nx process that forked this one (empty when it cannot be read: not Linux). */
export function parentArgv(pid = process.ppid): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
