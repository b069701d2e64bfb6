import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { E2E_ROOT, STATE_FILE, type E2EState } from './paths';

export interface NxResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages that may land on either. */
  output: string;
}

export interface Workspace {
  root: string;
  /** Whether Nx may run recipe-build as a batch (the default, as for users); false: one process per task. */
  batch: boolean;
  write(path: string, content: string, mode?: number): void;
  read(path: string): string;
  nx(args: string[], env?: Record<string, string>): NxResult;
  git(args: string[]): string;
}

export function state(): E2EState {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8'));
}

/**
 * A fresh Nx workspace in a temporary folder with the packed plugin installed:
 * node_modules is a hard-linked copy of the template install made by the
 * global setup, so no test reaches into the repository's own folders.
 */
export function createWorkspace(
  name: string,
  nxJson: object = {},
  options: { realCopy?: boolean; batch?: boolean } = {},
): Workspace {
  const { templateDir } = state();
  mkdirSync(join(E2E_ROOT, 'workspaces'), { recursive: true });
  const root = mkdtempSync(join(E2E_ROOT, 'workspaces', `${name}-`));
  // A test that runs npm in its workspace gets a real copy, so npm never writes through a shared hard link.
  execFileSync('cp', [options.realCopy ? '-a' : '-al', join(templateDir, 'node_modules'), join(root, 'node_modules')]);
  execFileSync('cp', [join(templateDir, 'package-lock.json'), join(root, 'package-lock.json')]);
  const pkg = JSON.parse(readFileSync(join(templateDir, 'package.json'), 'utf8'));
  const workspace: Workspace = {
    root,
    batch: options.batch ?? true,
    write(path, content, mode) {
      const file = join(root, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      if (mode !== undefined) chmodSync(file, mode);
    },
    read(path) {
      return readFileSync(join(root, path), 'utf8');
    },
    nx(args, env = {}) {
      // Multi-task commands hide successful tasks' output unless told otherwise.
      if (['run-many', 'affected'].includes(args[0]) && !args.some((a) => a.startsWith('--output-style')))
        args = [...args, '--output-style=static'];
      const result = spawnSync(process.execPath, [join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
        cwd: root,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          NX_DAEMON: 'false',
          NX_NO_CLOUD: 'true',
          NX_TUI: 'false',
          NX_SKIP_NX_CACHE: '',
          FORCE_COLOR: '0',
          CI: 'true',
          // The machine-wide package cache (on by default) of the suite's own, never the user's.
          XDG_CACHE_HOME: join(E2E_ROOT, 'xdg-cache'),
          ...batchEnv(options.batch),
          ...env,
        },
      });
      const out = {
        code: result.status ?? 1,
        stdout: result.stdout,
        stderr: result.stderr,
        output: `${result.stdout}\n${result.stderr}`,
      };
      if (process.env.NX_CONDA_E2E_VERBOSE) process.stdout.write(`$ nx ${args.join(' ')}\n${out.output}\n`);
      return out;
    },
    git(args) {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8' });
    },
  };
  workspace.write('package.json', JSON.stringify({ ...pkg, name }, null, 2));
  workspace.write(
    'nx.json',
    JSON.stringify({ $schema: './node_modules/nx/schemas/nx-schema.json', ...nxJson }, null, 2),
  );
  workspace.write('.gitignore', 'node_modules\n.nx\ndist\ntmp\n');
  return workspace;
}

/**
 * What users get: recipe-build's `preferBatch` alone makes Nx 24 run its
 * tasks as one batch (tasks-schedule.js batches unless --batch=false or
 * NX_BATCH_MODE=false), so a workspace runs batches unless made with
 * `batch: false` (the per-task path). An NX_BATCH_MODE of the caller's
 * shell never leaks in.
 */
export function batchEnv(batch = true): Record<string, string> {
  return { NX_BATCH_MODE: batch ? '' : 'false' };
}

/** Runs the engine for what a test asserts on (containers left, images present). */
export function docker(args: string[]): { code: number; stdout: string } {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  return { code: result.status ?? 1, stdout: result.stdout.trim() };
}

/**
 * The `nx-conda.workspace` label of the containers a workspace starts: 16 hex
 * of the SHA-256 of its root's real path (computed here, not by the plugin).
 * Filter on it: other workspaces' containers run on the same engine.
 */
export function workspaceLabel(ws: Workspace): string {
  return createHash('sha256').update(realpathSync(ws.root)).digest('hex').slice(0, 16);
}

/** The failure message a test prints: the command's whole output. */
export function explain(result: NxResult): string {
  return `exit ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** Fails the test with the command's whole output unless it exited 0. */
export function expectSuccess(result: NxResult): void {
  if (result.code !== 0) throw new Error(`nx failed: ${explain(result)}`);
}

/**
 * Names of the containers (any state) nx-conda started for this workspace, by
 * its `nx-conda.workspace` label: other suites' containers on the same engine
 * are not this test's business.
 */
export function workspaceContainers(ws: Workspace, engine: 'docker' | 'podman' = 'docker'): string {
  const r = spawnSync(
    engine,
    ['ps', '-a', '--filter', `label=nx-conda.workspace=${workspaceLabel(ws)}`, '--format', '{{.Names}}'],
    { encoding: 'utf8' },
  );
  return r.stdout.trim();
}

/** An `nx` run started in the background by {@link startNx}. */
export interface Background {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Settles with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/**
 * `nx ...` in the background, in its own process group (as a CI job runs it,
 * so a test can signal the whole group with `process.kill(-pid, ...)`), with
 * its output captured. `prefix`: a command that runs Nx (`setpriv ...`).
 */
export function startNx(
  ws: Workspace,
  args: string[],
  env: Record<string, string> = {},
  prefix: readonly string[] = [],
): Background {
  const [command, ...rest] = [...prefix, process.execPath, join(ws.root, 'node_modules/nx/dist/bin/nx.js'), ...args];
  const child = spawn(command, rest, {
    cwd: ws.root,
    env: {
      ...process.env,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      CI: 'true',
      FORCE_COLOR: '0',
      ...batchEnv(ws.batch),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Polls `ok` every 250 ms; throws after `seconds`, with `explainFailure()` in the message. */
export async function until(
  what: string,
  ok: () => boolean,
  seconds: number,
  explainFailure: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`waited ${seconds} s for ${what}\n${explainFailure()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
