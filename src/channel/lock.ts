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
 * `network: host` shares the host's and could bind a lock's name itself. So
 * a lock's name is a keyed hash of its key with a secret no container can
 * read (channel/secret.ts): it cannot be guessed before it is first used.
 * (Once bound, a name is listed in /proc/net/unix, which such a container can
 * read: a squatter can then hold it.) So every wait is announced, is bounded
 * by `timeoutSeconds` when set, and the holder's answer is trusted only when
 * it carries a keyed hash made with the same secret: anything else is shown
 * as "a process that is not an nx-conda build", never with its own text.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors';
import { isKeyedHash, keyedHash, secretIn } from './secret';
import { controlDirOf } from './staging';

/** The lock could not be had in time. */
export class LockTimeoutError extends UserError {}

export interface LockOptions {
  /** What the lock protects, for messages ("the shared staging channel /x"). */
  what: string;
  /** Who we are, told to waiters ("project a"). */
  holder: string;
  /** Called once, when the lock is held by someone else, with their description: every lock says why it waits. */
  onWait: (holder: string) => void;
  /** Give up after this many seconds (0 or undefined: wait as long as it takes). */
  timeoutSeconds?: number;
  /** The secret the lock's name is made with (see channel/secret.ts); kept where no container can read it. */
  secret: Buffer;
}

const POLL_MS = 200;
/** How a holder that answers nothing, or not as our holders do, is described. */
export const UNKNOWN_HOLDER = 'a process that is not an nx-conda build (its answer, if any, is not shown)';

export function addressOf(key: string, secret: Buffer): string {
  const hash = createHmac('sha256', secret).update(key).digest('hex').slice(0, 40);
  return process.platform === 'linux' ? `\0nx-conda-lock-${hash}` : join(tmpdir(), `nx-conda-lock-${hash}.sock`);
}

/** What a holder tells waiters: its description and a keyed hash of it, on one line. */
function holderLine(description: string, secret: Buffer): string {
  return `${JSON.stringify({ holder: description, mac: keyedHash(secret, `holder\0${description}`) })}\n`;
}

/** A holder's description when its line carries the right keyed hash; UNKNOWN_HOLDER otherwise. */
export function trustedHolder(line: string, secret: Buffer): string {
  try {
    const { holder, mac } = JSON.parse(line) as { holder?: unknown; mac?: unknown };
    if (typeof holder === 'string' && typeof mac === 'string' && isKeyedHash(secret, `holder\0${holder}`, mac))
      return holder;
  } catch {
    // not one of ours
  }
  return UNKNOWN_HOLDER;
}

function listen(address: string, line: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(line);
    });
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen(address, () => resolve(server));
  });
}

/** The holder's description; 'dead' when nobody listens (a socket file left behind); UNKNOWN_HOLDER when not ours. */
function askHolder(address: string, secret: Buffer): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(address);
    const done = (result: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(UNKNOWN_HOLDER), 2000);
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      if (text.length > 4096) done(UNKNOWN_HOLDER);
    });
    socket.on('end', () => done(trustedHolder(text.trim(), secret)));
    socket.on('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'dead' : UNKNOWN_HOLDER),
    );
  });
}

/** Runs `work` holding the lock named `key`; releases it however `work` ends. */
export async function withLock<T>(key: string, work: () => Promise<T>, options: LockOptions): Promise<T> {
  const address = addressOf(key, options.secret);
  const line = holderLine(`${options.holder} (pid ${process.pid}, since ${new Date().toISOString()})`, options.secret);
  const started = Date.now();
  let announced = false;
  let server: Server | undefined;
  for (;;) {
    server = await listen(address, line);
    if (server) break;
    const holder = await askHolder(address, options.secret);
    if (holder === 'dead' && !address.startsWith('\0')) {
      rmSync(address, { force: true });
      continue;
    }
    const who = holder === 'dead' ? 'another build' : holder;
    if (!announced) {
      options.onWait(who);
      announced = true;
    }
    if (options.timeoutSeconds && Date.now() - started >= options.timeoutSeconds * 1000) {
      throw new LockTimeoutError(
        `gave up after waiting ${options.timeoutSeconds} s for ${options.what}, held by ${who}. ` +
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
 * every workspace of the machine that shares the folder (so its secret is
 * the one beside the folder, in its control folder, which every such
 * workspace reads and no build mounts).
 */
export function withDirectoryLock<T>(
  dir: string,
  work: () => Promise<T>,
  options: Omit<LockOptions, 'secret' | 'what'> & { what?: string },
): Promise<T> {
  mkdirSync(dir, { recursive: true });
  return withLock(`staging:${realpathSync(dir)}`, work, {
    what: `the shared staging channel ${dir}`,
    ...options,
    secret: secretIn(controlDirOf(realpathSync(dir))),
  });
}

/** The lock of a project's output folder: two runs of one project never build and collect at once. */
export function withOutputLock<T>(outputDir: string, work: () => Promise<T>, options: LockOptions): Promise<T> {
  return withLock(`output:${outputDir}`, work, options);
}
