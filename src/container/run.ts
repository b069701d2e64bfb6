/** Long-running engine commands whose output streams live: run and build. */
import { join } from 'node:path';
import { logger, writeOutput } from '../core/logger';
import { buildArgv, containerName, formatCommand, runArgv } from './argv';
import { lineMasker } from './secrets';
import { assertSpawned, imageBuildFailure } from './errors';
import { stream, type StreamingProcess } from './exec';
import { removeContainer } from './images';
import { LineWriter, TailBuffer, bannerFilter, linePrefix } from './lines';
import type { BuildImageOptions, RunOptions, RunResult } from './types';

const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
const TIMEOUT_EXIT = 124;

/**
 * Live writers for a process's stdout and stderr, sharing one tail. URL
 * credentials (`scheme://user:pass@`) are masked in every line: engine
 * output echoes Dockerfile ENV lines and tools print channel URLs.
 */
function writers(
  logPrefix: string | undefined,
  quietBanners = false,
  secrets: string[] = [],
): { out: LineWriter; err: LineWriter; tail: TailBuffer } {
  const prefix = linePrefix(logPrefix);
  const tail = new TailBuffer(20);
  // One masker per stream: it remembers a secret begun at the end of the line before.
  const filterFor = () => {
    const mask = lineMasker(secrets);
    const banner = quietBanners ? bannerFilter() : (line: string) => line;
    return (line: string) => {
      const kept = banner(line);
      return kept === undefined ? undefined : mask(kept);
    };
  };
  return {
    out: new LineWriter((s) => writeOutput('stdout', s), prefix, tail, filterFor()),
    err: new LineWriter((s) => writeOutput('stderr', s), prefix, tail, filterFor()),
    tail,
  };
}

/**
 * Once a run is being stopped, later signals must not kill this process
 * before its clean-up (hand-back of the staging channel, removal of the
 * scratch folders) is done: Nx and a CI runner send SIGTERM again, and the
 * handlers below are gone once the container has ended. These stay for
 * the rest of the process, which is ending anyway; SIGKILL still ends it
 * (the next build then removes what it left, see leftovers.ts).
 */
function keepStopping(): void {
  if (signalsKept) return;
  signalsKept = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => undefined);
}
let signalsKept = false;

/**
 * Runs a command in a fresh container (`--rm --init`, unique name, nx-conda
 * label, never a TTY), streaming its output. On timeout, SIGINT or SIGTERM
 * the run is stopped (see stopRun) and the result says why; so it is on
 * SIGHUP, and when Nx, whose child process this is, is gone (the IPC channel
 * closed). When this process dies without a chance to stop it, the container stops by itself
 * (see follow.ts).
 */
export async function runContainer(o: RunOptions): Promise<RunResult> {
  const name = containerName(o.namePrefix);
  const args = runArgv(o, name);
  if (o.verbose) logger.info(formatCommand(o.engine, args));

  const { out, err, tail } = writers(o.logPrefix, false, o.secrets);
  const captured: Buffer[] = [];
  // Set once the run can be stopped (below); stdout may overflow before that.
  const control: { stop?: () => void } = {};
  let capturedBytes = 0;
  let overflow = false;
  const onStdout = (c: Buffer) => {
    if (o.captureStdoutBytes === undefined) return out.push(c);
    if (overflow) return;
    capturedBytes += c.length;
    if (capturedBytes > o.captureStdoutBytes) {
      overflow = true;
      logger.warn(`container ${name} wrote more than ${o.captureStdoutBytes} bytes: stopping it`);
      control.stop?.();
      return;
    }
    captured.push(c);
  };
  const proc = await stream(o.engine, args, {
    env: o.env,
    // The container ends when this pipe does, i.e. when we do (see follow.ts).
    stdin: 'pipe',
    onStdout,
    onStderr: (c) => err.push(c),
  });

  const remove = () =>
    removeContainer(o.engine, name).catch((e: unknown) => {
      logger.warn(`could not remove container ${name}: ${e instanceof Error ? e.message : String(e)}`);
    });
  let signal: string | undefined;
  let timedOut = false;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopRun(proc, remove);
  };
  control.stop = stop;
  if (overflow) stop();
  const onSignal = (sig: NodeJS.Signals, why = `${sig} received`) => {
    if (signal) return;
    signal = sig;
    keepStopping();
    logger.warn(`${why}: stopping ${o.engine} and removing container ${name}`);
    stop();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  const onHup = () => onSignal('SIGHUP');
  // Nx runs a task in a child process with an IPC channel. When Nx itself is
  // killed, that channel closes and this process would build on as an orphan:
  // the run ends as on a hang-up.
  const onDisconnect = () => onSignal('SIGHUP', 'the Nx process that ran this task is gone');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  process.on('disconnect', onDisconnect);
  const timer =
    o.timeoutSeconds && o.timeoutSeconds > 0
      ? setTimeout(() => {
          timedOut = true;
          logger.warn(`container ${name} ran longer than ${o.timeoutSeconds} s: stopping ${o.engine} and removing it`);
          stop();
        }, o.timeoutSeconds * 1000)
      : undefined;

  try {
    const r = await proc.done;
    out.flush();
    err.flush();
    assertSpawned(o.engine, r);
    if (stopping) await stopping;
    const exitCode = signal ? (SIGNAL_EXIT[signal] ?? 1) : timedOut ? TIMEOUT_EXIT : (r.exitCode ?? 1);
    const result: RunResult = { exitCode, containerName: name, tail: tail.lines() };
    if (signal) result.signal = signal;
    else if (r.signal) result.signal = r.signal;
    if (timedOut) result.timedOut = true;
    if (o.captureStdoutBytes !== undefined) result.stdout = Buffer.concat(captured);
    if (overflow) {
      result.stdoutOverflow = true;
      if (result.exitCode === 0) result.exitCode = 1;
    }
    return result;
  } finally {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGINT', onInt);
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGHUP', onHup);
    process.removeListener('disconnect', onDisconnect);
  }
}

/**
 * Stops a `run` client and its container. The container may not exist yet
 * (the engine may still be pulling the image), so removing it alone would
 * let the client create and start it afterwards: the client is killed too
 * (SIGTERM; execa follows with SIGKILL after 5 s). Once the client has
 * exited, nothing can create the container any more, and it is removed
 * again in case it was created between the first removal and the kill.
 */
export async function stopRun(
  proc: Pick<StreamingProcess, 'done' | 'kill'>,
  remove: () => Promise<void>,
): Promise<void> {
  const first = remove();
  proc.kill('SIGTERM');
  await first;
  await proc.done;
  await remove();
}

/**
 * Builds an image from a context folder, streaming output live. Throws an
 * ImageBuildError naming the image and quoting the last lines of output on failure.
 */
export async function buildImage(o: BuildImageOptions): Promise<void> {
  const dockerfile = o.dockerfile ?? join(o.contextDir, 'Dockerfile');
  const args = buildArgv(o, dockerfile);
  if (o.verbose) logger.info(formatCommand(o.engine, args));

  const { out, err, tail } = writers(o.logPrefix, !o.verbose, [
    ...Object.values(o.buildArgs ?? {}),
    ...(o.secrets ?? []),
  ]);
  const proc = await stream(o.engine, args, {
    env: o.buildArgs,
    onStdout: (c) => out.push(c),
    onStderr: (c) => err.push(c),
  });
  const r = await proc.done;
  out.flush();
  err.flush();
  assertSpawned(o.engine, r);
  if (r.exitCode !== 0) throw imageBuildFailure(o.engine, o.tags[0], r, tail.lines());
}
