/**
 * A lock between processes of one machine, held by a listening Unix socket.
 *
 * On Linux the socket lives in the abstract namespace: binding its name is
 * atomic and exclusive, and the kernel releases it the moment the holder
 * dies, however it dies. So there is no stale lock to take over, no pid that
 * can be reused, no race between waiters, and no file at all, in particular
 * none inside a folder a build container can write. Whoever waits connects
 * to the socket and reads who holds it (project, pid, since when) for the
 * wait message.
 *
 * Elsewhere (macOS) the socket is a file in the temporary folder; a socket
 * file nobody listens on any more (the holder died) is removed before
 * binding again, which is a best effort: two waiters that remove the same
 * dead socket at once can both get in. Builds run in containers on Linux.
 *
 * Abstract sockets belong to a network namespace: a build container run with
 * `network: host` could bind a lock's name itself and make builds wait (not
 * enter together); the wait message names the holder and lockTimeoutSeconds
 * bounds the wait.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors';

/** The lock could not be had in time. */
export class LockTimeoutError extends UserError {}

export interface LockOptions {
  /** What the lock protects, for messages ("the shared staging channel /x"). */
  what: string;
  /** Who we are, told to waiters ("project a"). */
  holder: string;
  /** Called once, when the lock is held by someone else, with their description. */
  onWait?: (holder: string) => void;
  /** Give up after this many seconds (0 or undefined: wait as long as it takes). */
  timeoutSeconds?: number;
}

const POLL_MS = 200;

export function addressOf(key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 40);
  return process.platform === 'linux' ? `\0nx-conda-lock-${hash}` : join(tmpdir(), `nx-conda-lock-${hash}.sock`);
}

function listen(address: string, description: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(`${description}\n`);
    });
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen(address, () => resolve(server));
  });
}

/** The holder's description; 'dead' when nobody listens (a socket file left behind); undefined when unknown. */
function askHolder(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(address);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, 2000);
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(text.trim().slice(0, 300) || undefined);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'dead' : undefined);
    });
  });
}

/** Runs `work` holding the lock named `key`; releases it however `work` ends. */
export async function withLock<T>(key: string, work: () => Promise<T>, options: LockOptions): Promise<T> {
  const address = addressOf(key);
  const description = `${options.holder} (pid ${process.pid}, since ${new Date().toISOString()})`;
  const started = Date.now();
  let announced = false;
  let server: Server | undefined;
  for (;;) {
    server = await listen(address, description);
    if (server) break;
    const holder = await askHolder(address);
    if (holder === 'dead' && !address.startsWith('\0')) {
      rmSync(address, { force: true });
      continue;
    }
    if (!announced) {
      options.onWait?.(holder && holder !== 'dead' ? holder : 'another build');
      announced = true;
    }
    if (options.timeoutSeconds && Date.now() - started >= options.timeoutSeconds * 1000) {
      throw new LockTimeoutError(
        `gave up after waiting ${options.timeoutSeconds} s for ${options.what}, held by ${holder && holder !== 'dead' ? holder : 'another build'}. ` +
          'Wait for that build to end (or stop it), or raise lockTimeoutSeconds.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  try {
    return await work();
  } finally {
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  }
}

/**
 * The lock of a shared staging channel: one build at a time in it, across
 * every workspace of the machine that shares the folder.
 */
export function withDirectoryLock<T>(
  dir: string,
  work: () => Promise<T>,
  onWait?: (holder: string) => void,
  options: Partial<LockOptions> = {},
): Promise<T> {
  mkdirSync(dir, { recursive: true });
  return withLock(`staging:${realpathSync(dir)}`, work, {
    what: `the shared staging channel ${dir}`,
    holder: 'a build',
    ...options,
    onWait,
  });
}

/** The lock of a project's output folder: two runs of one project never build and collect at once. */
export function withOutputLock<T>(outputDir: string, work: () => Promise<T>, options: LockOptions): Promise<T> {
  return withLock(`output:${outputDir}`, work, options);
}
