/**
 * What the Nx command that started a batch was asked for: how many tasks at
 * once (`--parallel`), whether to stop at the first failure (`--nx-bail`),
 * and whether Nx prints a task's output itself when it succeeds (the output
 * style). Nx does not hand these to a batch worker, so they are read as Nx
 * reads them: the command line of the Nx process that forked the worker,
 * the environment Nx passes on (NX_PARALLEL, NX_BAIL, NX_TUI,
 * NX_VERBOSE_LOGGING, NX_DEFAULT_OUTPUT_STYLE), nx.json's `parallel`, Nx's
 * default of 3.
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

/** Output styles under which Nx shows a successful task of a run as one line, not its output (static-failures-only is Nx's default outside a terminal UI). */
const COLLAPSING_STYLES = new Set(['static-failures-only', 'dynamic-legacy']);
const OUTPUT_STYLES = new Set([
  'tui',
  'dynamic',
  'dynamic-legacy',
  'static',
  'static-failures-only',
  'summary',
  'stream',
  'stream-without-prefixes',
]);
const MANY_TASK_COMMANDS = new Set(['run-many', 'affected', 'exec', 'release']);

/**
 * The project whose task `nx run <project>:<target>`, `nx <project>:<target>`
 * or `nx <target> <project>` asked for: Nx prints its output in full even
 * when it succeeds. None for run-many, affected and the like.
 */
function initiatingProject(argv: string[]): string | undefined {
  const at = argv.findIndex((arg) => /(^|[\\/])nx(\.js)?$/.test(arg));
  if (at < 0) return undefined;
  const [command, next] = argv.slice(at + 1);
  const positional = (arg: string | undefined) => (arg !== undefined && !arg.startsWith('-') ? arg : undefined);
  if (positional(command) === undefined || MANY_TASK_COMMANDS.has(command)) return undefined;
  if (command === 'run') return positional(next)?.split(':')[0];
  if (command.includes(':')) return command.split(':')[0];
  return positional(next);
}

/**
 * Whether Nx prints a successful task's terminal output itself, by project:
 * under the terminal UI (in the task's pane), under `summary` (in a log
 * file), with `--verbose`, and under every style that does not collapse a
 * success to one line (static, stream, dynamic and tui where they fall back
 * to static); under the collapsing ones (the default) only for the project
 * a run-one command asked for. A failed task's output Nx always prints.
 * Where the style cannot be told, the answer is no: the worse mistake is a
 * line printed by nobody, not a line printed twice.
 */
export function nxPrintsTaskOutput(argv: string[], env: NodeJS.ProcessEnv): (project: string) => boolean {
  const named = flag(argv, ['output-style', 'outputStyle']) || undefined;
  const style =
    named ?? (OUTPUT_STYLES.has(env.NX_DEFAULT_OUTPUT_STYLE ?? '') ? env.NX_DEFAULT_OUTPUT_STYLE : undefined);
  if (env.NX_TUI === 'true' || style === 'summary' || env.NX_VERBOSE_LOGGING === 'true') return () => true;
  if (style !== undefined && !COLLAPSING_STYLES.has(style)) return () => true;
  const initiating = initiatingProject(argv);
  return (project) => project === initiating;
}

/** The command line of the Nx process that forked this one (empty when it cannot be read: not Linux). */
export function parentArgv(pid = process.ppid): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
