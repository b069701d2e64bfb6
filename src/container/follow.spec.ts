import { spawn } from 'node:child_process';
import { FOLLOW_SCRIPT, followClient } from './follow';

/**
 * The watcher script, run by the local sh (what the container's sh does,
 * minus the PID namespace: here the test kills the leftover build itself).
 */
function start(build: string) {
  const child = spawn('sh', ['-c', FOLLOW_SCRIPT, 'follow-test', 'sh', '-c', build], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => out };
}

describe('followClient', () => {
  it('wraps the command in the watcher', () => {
    expect(followClient(['bash', '/opt/b.sh'])).toEqual([
      'sh',
      '-c',
      FOLLOW_SCRIPT,
      'nx-conda-follow-client',
      'bash',
      '/opt/b.sh',
    ]);
  });

  it('passes the build status through while stdin stays open, and the build reads /dev/null', async () => {
    const run = start('if read line; then echo "read: $line"; else echo eof; fi; exit 7');
    run.child.stdin.write('not for the build\n');
    const { code } = await run.exited;
    expect(code).toBe(7);
    expect(run.output()).toBe('eof\n');
    run.child.stdin.destroy();
  });

  it('ends when its stdin reaches end-of-file (the client is gone), the build still running', async () => {
    const run = start('echo started; exec sleep 60');
    await new Promise<void>((resolve) => run.child.stdout.on('data', () => resolve()));
    run.child.stdin.end();
    const { signal } = await run.exited;
    expect(signal).toBe('SIGTERM');
    expect(run.output()).toBe('started\n');
    process.kill(-run.child.pid!, 'SIGKILL'); // the orphaned sleep; in a container init's exit does this
  });
});
