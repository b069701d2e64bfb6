import type { EngineName } from '../core/defaults';
import { UserError } from '../core/errors';
import { neutraliseControls } from '../text/terminal';

/**
 * The container engine is missing, not answering, or refused a command.
 * The message is one line that names the engine and says what to do.
 */
export class EngineError extends UserError {}

/** Progress lines podman prints before its error (`Trying to pull ...`): never the reason. */
const PROGRESS =
  /^(Trying to pull |Getting image source signatures|Copying (blob|config) |Writing manifest|Storing signatures)/;

/** First non-empty line of an engine's stderr that is not progress, for one-line messages. */
export function firstLine(text: string | undefined): string {
  const lines = (text ?? '')
    .split(/\r?\n/)
    .map((l) => neutraliseControls(l).trim())
    .filter((l) => l.length > 0);
  return lines.find((l) => !PROGRESS.test(l)) ?? lines[0] ?? '';
}

export function engineFailure(engine: EngineName, what: string, stderr: string | undefined): EngineError {
  const detail = firstLine(stderr);
  return new EngineError(`${engine} ${what} failed${detail ? `: ${detail}` : ''}${socketNotOurs(engine, detail)}`);
}

/**
 * What to do when the engine's socket refused us (another user's engine, a
 * rootful socket without the group, a rootless one of another user); empty
 * for any other failure.
 */
export function socketNotOurs(engine: EngineName, detail: string): string {
  if (!/permission denied/i.test(detail) || !/socket|\.sock|connect/i.test(detail)) return '';
  const own =
    engine === 'docker'
      ? 'add your user to the docker group (and log in again), or point DOCKER_HOST at an engine of your own (rootless: unix://$XDG_RUNTIME_DIR/docker.sock)'
      : 'point CONTAINER_HOST at a socket of your own (rootless: `systemctl --user start podman.socket`, unix://$XDG_RUNTIME_DIR/podman/podman.sock)';
  return `. The engine's socket belongs to another user or group: ${own}; or choose the other engine with the 'engine' option.`;
}

/** Throws EngineError when the engine's binary is missing or could not be started (an exit code is the caller's to judge). */
export function assertSpawned(engine: EngineName, r: { notFound: boolean; spawnError?: string }): void {
  if (r.notFound) throw notFoundError(engine);
  if (r.spawnError) throw new EngineError(`${engine} could not be started: ${r.spawnError}`);
}

/** The engine's binary is not on PATH. */
export function notFoundError(engine: EngineName): EngineError {
  return new EngineError(
    `${engine}: command not found on PATH; install ${engine} or choose the other engine with the 'engine' option`,
  );
}

/** An image build that failed: names the engine and the image, says why and what to do. */
export class ImageBuildError extends UserError {}

/**
 * The error of a failed `build` of `tag`: the exit code (or the signal that
 * ended the engine), the last lines of the build's output, and what to do.
 */
export function imageBuildFailure(
  engine: EngineName,
  tag: string,
  ended: { exitCode?: number; signal?: string },
  lastLines: string[],
): ImageBuildError {
  const why = ended.exitCode !== undefined ? `exit code ${ended.exitCode}` : (ended.signal ?? 'killed');
  const last = lastLines.join('\n');
  return new ImageBuildError(
    `${engine} build of image ${tag} failed (${why})` +
      (last ? `; last lines of output:\n${last}\n` : '. ') +
      'Find the step that failed in the output above, fix it (the base image, a requirement, a build argument, ' +
      `the network) and run the target again; --verbose shows ${engine}'s whole output.`,
  );
}
