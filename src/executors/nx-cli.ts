/**
 * The workspace's own Nx and git, for the executors that drive a whole run
 * (plan, shard): the commit of the checkout, the task graph Nx would run,
 * and an Nx run of many tasks. Nothing here spawns a container engine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors';

/** Nx or git did not answer as expected: the message names the command and what it said. */
export class NxCliError extends UserError {}

/** The largest task graph file read (the whole project graph of 10,000 recipes is well under it). */
const MAX_GRAPH_BYTES = 512 * 1024 * 1024;
const GIT_TIMEOUT_MS = 60_000;
/** Nx's task graph of 10,000 recipes takes well under a minute; a hung Nx must not hold the plan job. */
const GRAPH_TIMEOUT_MS = 30 * 60_000;

/** The commit checked out in `root` (`git rev-parse HEAD`). */
export function checkoutCommit(root: string): string {
  const r = spawnSync('git', ['rev-parse', '--verify', 'HEAD^{commit}'], {
    cwd: root,
    encoding: 'utf8',
    timeout: GIT_TIMEOUT_MS,
  });
  const commit = (r.stdout ?? '').trim();
  if (r.status !== 0 || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit))
    throw new NxCliError(
      `cannot tell the commit checked out in ${root} (git rev-parse HEAD: ${(r.stderr || r.error?.message || 'no answer').trim().split('\n')[0]}); ` +
        'the plan and the shards run in a git checkout of the same commit.',
    );
  return commit;
}

/** The `nx` CLI of the workspace at `root`. */
function nxBin(root: string): string {
  try {
    return require.resolve('nx/bin/nx.js', { paths: [root] });
  } catch {
    throw new NxCliError(`cannot find the nx package from ${root}; run npm ci (or your package manager's install).`);
  }
}

export interface NxTask {
  id: string;
  project: string;
  target: string;
}

export interface NxTaskGraph {
  tasks: NxTask[];
  /** Each task's direct dependencies, by task id. */
  dependencies: Map<string, string[]>;
}

/** Reads the `tasks` part of what `nx … --graph=file.json` writes, checked before use. */
export function parseTaskGraph(text: string, source: string): NxTaskGraph {
  const bad = (why: string) => new NxCliError(`${source}: Nx's task graph is not as expected: ${why}.`);
  let data: { tasks?: { tasks?: unknown; dependencies?: unknown } };
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const tasks = data?.tasks?.tasks;
  const deps = data?.tasks?.dependencies;
  if (!tasks || typeof tasks !== 'object' || !deps || typeof deps !== 'object') throw bad('no tasks');
  const found: NxTask[] = [];
  const dependencies = new Map<string, string[]>();
  for (const [id, task] of Object.entries(tasks as Record<string, unknown>)) {
    const t = task as { target?: { project?: unknown; target?: unknown } };
    if (typeof t?.target?.project !== 'string' || typeof t.target.target !== 'string') throw bad(`task ${id}`);
    found.push({ id, project: t.target.project, target: t.target.target });
    const edges = (deps as Record<string, unknown>)[id];
    const list = Array.isArray(edges) ? edges : [];
    dependencies.set(
      id,
      list
        .map((e) => (typeof e === 'string' ? e : (e as { id?: unknown })?.id))
        .filter((e): e is string => typeof e === 'string'),
    );
  }
  return { tasks: found, dependencies };
}

/**
 * The task graph Nx makes for `nx <args>` (e.g. `affected -t build-recipe`),
 * without running anything (`--graph=<file>`).
 */
export function nxTaskGraph(root: string, args: string[], env: NodeJS.ProcessEnv = process.env): NxTaskGraph {
  const dir = mkdtempSync(join(tmpdir(), 'nx-conda-plan-'));
  const file = join(dir, 'graph.json');
  try {
    const r = spawnSync(process.execPath, [nxBin(root), ...args, `--graph=${file}`], {
      cwd: root,
      encoding: 'utf8',
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: GRAPH_TIMEOUT_MS,
    });
    const shown = `nx ${args.join(' ')}`;
    if (r.status !== 0) {
      const said = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
      const how =
        r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
          ? 'timed out'
          : `exit ${r.status ?? r.signal}`;
      throw new NxCliError(`${shown} failed (${how}):\n${said}`);
    }
    if (statSync(file).size > MAX_GRAPH_BYTES) throw new NxCliError(`${shown}: the task graph is too large to read.`);
    return parseTaskGraph(readFileSync(file, 'utf8'), shown);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs `nx <args>` in `root` with its output on ours, and resolves with its
 * exit code. A SIGINT/SIGTERM/SIGHUP to this process goes on to the run.
 */
export function runNx(root: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, [nxBin(root), ...args], { cwd: root, env, stdio: 'inherit' });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolveRun) => {
    const done = (code: number) => {
      for (const signal of signals) process.off(signal, forward);
      resolveRun(code);
    };
    child.on('error', () => done(1));
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}
