import { logger } from '@nx/devkit';
import type { SpawnResult, StreamingProcess } from './exec';
import { stream } from './exec';
import { removeContainer } from './images';
import { runContainer, stopRun } from './run';

jest.mock('./exec', () => ({ stream: jest.fn() }));
jest.mock('./images', () => ({ removeContainer: jest.fn() }));

/**
 * A `run` client that is still "pulling the image": it never exits by itself,
 * and a kill ends it. Every call is recorded in `events`.
 */
function pullingClient(events: string[]): StreamingProcess {
  let exit!: (r: SpawnResult) => void;
  const done = new Promise<SpawnResult>((resolve) => (exit = resolve));
  return {
    done,
    kill: (signal) => {
      events.push(`kill ${signal}`);
      setTimeout(() => {
        events.push('client exited');
        exit({ signal, stdout: '', stderr: '', timedOut: false, notFound: false });
      }, 5);
    },
  };
}

describe('stopping a run', () => {
  let events: string[];
  beforeEach(() => {
    events = [];
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.mocked(removeContainer).mockImplementation(async (_engine, name) => {
      events.push(`rm ${name}`);
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('stopRun removes the container, kills the client, and removes again once the client has exited', async () => {
    const proc = pullingClient(events);
    await stopRun(proc, async () => {
      events.push('rm');
    });
    expect(events).toEqual(['rm', 'kill SIGTERM', 'client exited', 'rm']);
  });

  it('a timeout before the container exists kills the client (not only rm -f)', async () => {
    jest.mocked(stream).mockImplementation(async () => pullingClient(events));
    const r = await runContainer({
      engine: 'docker',
      image: 'i',
      command: ['true'],
      namePrefix: 'p',
      timeoutSeconds: 0.02,
    });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(124);
    const rm = `rm ${r.containerName}`;
    expect(events).toEqual([rm, 'kill SIGTERM', 'client exited', rm]);
  });

  it('SIGTERM does the same, once, and exits 143', async () => {
    jest.mocked(stream).mockImplementation(async () => pullingClient(events));
    const others = process.listeners('SIGTERM');
    process.removeAllListeners('SIGTERM');
    try {
      const running = runContainer({ engine: 'podman', image: 'i', command: ['true'] });
      await new Promise((resolve) => setTimeout(resolve, 5));
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGTERM', 'SIGTERM');
      const r = await running;
      expect(r).toMatchObject({ exitCode: 143, signal: 'SIGTERM' });
      const rm = `rm ${r.containerName}`;
      expect(events).toEqual([rm, 'kill SIGTERM', 'client exited', rm]);
      // One no-op listener stays: a later SIGTERM (Nx sends its own) must not end the
      // process before its clean-up (hand-back, scratch folders) is done.
      expect(process.listenerCount('SIGTERM')).toBe(1);
      process.emit('SIGTERM', 'SIGTERM');
      expect(events).toEqual([rm, 'kill SIGTERM', 'client exited', rm]);
    } finally {
      process.removeAllListeners('SIGTERM');
      for (const l of others) process.on('SIGTERM', l as NodeJS.SignalsListener);
    }
  });

  it('Nx gone (its IPC channel closed: disconnect) stops the run too, and exits 129 as on a hang-up', async () => {
    jest.mocked(stream).mockImplementation(async () => pullingClient(events));
    const running = runContainer({ engine: 'docker', image: 'i', command: ['true'] });
    await new Promise((resolve) => setTimeout(resolve, 5));
    process.emit('disconnect');
    const r = await running;
    expect(r).toMatchObject({ exitCode: 129, signal: 'SIGHUP' });
    const rm = `rm ${r.containerName}`;
    expect(events).toEqual([rm, 'kill SIGTERM', 'client exited', rm]);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('the Nx process that ran this task is gone'));
    expect(process.listenerCount('disconnect')).toBe(0);
  });
});
