import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { createWorkspace, explain, startNx, workspaceContainers, type NxResult } from './utils/workspace';

/**
 * Issue 30, point 6: the engine's socket is not ours. A socket that forwards
 * to the real engine (so the shared dockerd is never touched) with mode 000,
 * and `nx` run as root without CAP_DAC_OVERRIDE (setpriv), which the kernel
 * then refuses as it refuses a user outside the docker group.
 */
describe("the engine's socket is not ours (issue 30, point 6)", () => {
  let dir: string;
  let proxy: ChildProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(E2E_ROOT, 'engine-socket-'));
    proxy = spawn(
      process.execPath,
      [
        '-e',
        `const net = require('net');
         net.createServer((c) => { const d = net.connect('/var/run/docker.sock'); c.pipe(d); d.pipe(c); c.on('error', () => d.destroy()); d.on('error', () => c.destroy()); })
           .listen(process.argv[1], () => console.log('ready'));`,
        join(dir, 'docker.sock'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      proxy.stdout!.once('data', () => resolve());
      proxy.once('exit', (code) => reject(new Error(`the socket proxy exited (${code}) before listening`)));
    });
    chmodSync(join(dir, 'docker.sock'), 0o000);
  });
  afterAll(() => {
    if (proxy?.exitCode === null) proxy.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('permission denied: one line naming the engine and the socket, and what to do; no stack, no container', async () => {
    const ws = createWorkspace('engine-socket', {
      plugins: [{ plugin: 'nx-conda', options: { images: { 'rattler-build': TEST_IMAGES.rattlerBuild } } }],
    });
    ws.write(
      'recipes/ra/recipe.yaml',
      'package:\n  name: ra\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n  script:\n    - true\n',
    );
    // Without the capabilities that let root open any socket: the socket is then another user's to this run.
    const run = startNx(ws, ['run', 'ra:build-recipe'], { DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` }, [
      'setpriv',
      '--bounding-set',
      '-dac_override,-dac_read_search',
    ]);
    const code = await run.exited;
    const result: NxResult = { code: code ?? 1, stdout: run.output(), stderr: '', output: run.output() };
    if (!/belongs to another user or group/.test(result.output)) throw new Error(explain(result));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      new RegExp(
        `nx-conda: docker is not usable: permission denied while trying to connect to the Docker daemon socket at unix://${dir}/docker\\.sock`,
      ),
    );
    expect(result.output).toContain(
      'add your user to the docker group (and log in again), or point DOCKER_HOST at an engine of your own',
    );
    expect(result.output).not.toMatch(/^\s+at \S+ \(\/.*:\d+:\d+\)$/m);
    expect(workspaceContainers(ws)).toBe('');
  });
});
