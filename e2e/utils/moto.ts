import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { E2E_ROOT } from './paths';

/**
 * moto's S3 server (PyPI `moto`, the AWS mocking library), installed once
 * into a virtualenv of the e2e scratch folder: a real S3 protocol endpoint
 * (SigV4 requests, ETags, error XML) on the loopback.
 */
export interface S3Server {
  endpoint: string;
  python: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startS3Server(): Promise<S3Server> {
  // NX_CONDA_E2E_MOTO_VENV: an existing virtualenv with moto installed (the install takes minutes on a slow machine).
  const venv = process.env.NX_CONDA_E2E_MOTO_VENV ?? join(E2E_ROOT, 'moto-venv');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(join(venv, '.installed'))) {
    mkdirSync(E2E_ROOT, { recursive: true });
    const steps: [string, string[]][] = [
      ['python3', ['-m', 'venv', venv]],
      [
        python,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--disable-pip-version-check',
          'moto[s3]>=5',
          'flask',
          'flask-cors',
          'boto3',
        ],
      ],
      ['touch', [join(venv, '.installed')]],
    ];
    for (const [command, args] of steps) {
      const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      if (result.status !== 0)
        throw new Error(`e2e: installing moto failed at \`${command} ${args.join(' ')}\` (exit ${result.status})`);
    }
  }
  const port = await freePort();
  const child: ChildProcess = spawn(join(venv, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${endpoint}/moto-api/`);
      break;
    } catch {
      if (child.exitCode !== null) throw new Error('e2e: moto_server exited before listening');
      if (i >= 150) {
        child.kill('SIGKILL');
        throw new Error(`e2e: moto_server did not answer on ${endpoint} within 30 s`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    endpoint,
    python,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
