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

/**
 * Most tasks a batch runs at once, whatever `--parallel` says: a value such
 * as `99999999999`, `100000%` or `1e400` would otherwise start every task of
 * a large batch at once (each a container). A batch never runs more at once
 * than it has tasks either.
 */
export const MAX_PARALLEL = 64;

/** Nx's `concurrency` (nx/src/command-line/yargs-utils/shared-options): a number as is, a string by parseInt, `N%` of the cores. */
function concurrency(value: string | number): number {
  let parallel = typeof value === 'number' ? value : parseInt(value, 10);
  if (typeof value === 'string' && value.endsWith('%')) parallel = (availableParallelism() * parallel) / 100;
  return Math.max(1, Math.floor(parallel));
}

/** What Nx would take, within [1, MAX_PARALLEL]; NaN (nothing Nx can use) is Nx's default. */
function capped(parallel: number): number {
  if (Number.isNaN(parallel)) return DEFAULT_PARALLEL;
  return Math.min(MAX_PARALLEL, Math.max(1, Math.floor(parallel)));
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

/**
 * Parallelism and bail from the Nx command line `argv`, the environment and
 * nx.json's `parallel`, parsed as Nx parses them (`--maxParallel` is a yargs
 * number, `--parallel` and NX_PARALLEL strings), then capped at MAX_PARALLEL.
 */
export function nxRunOptions(argv: string[], env: NodeJS.ProcessEnv, nxJsonParallel?: number | string): NxRunOptions {
  const given = flag(argv, ['parallel']);
  const maxFlag = flag(argv, ['maxParallel', 'max-parallel']);
  const max = maxFlag === undefined || maxFlag === '' ? undefined : Number(maxFlag);
  let parallel: number;
  if (given === 'false') parallel = 1;
  else if (given === 'true' || given === '' || (given === undefined && env.NX_PARALLEL))
    parallel = concurrency(max || env.NX_PARALLEL || String(DEFAULT_PARALLEL));
  else if (given !== undefined) parallel = concurrency(given);
  else if (typeof nxJsonParallel === 'number' && nxJsonParallel > 0) parallel = nxJsonParallel;
  else if (typeof nxJsonParallel === 'string' && nxJsonParallel !== '') parallel = concurrency(nxJsonParallel);
  else parallel = DEFAULT_PARALLEL;
  const bailFlag = flag(argv, ['nx-bail', 'nxBail']);
  const bail = bailFlag === undefined ? env.NX_BAIL === 'true' : bailFlag !== 'false';
  return { parallel: capped(parallel), bail };
}

/** The command line of the Nx process that forked this one (empty when it cannot be read: not Linux). */
export function parentArgv(pid = process.ppid): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
