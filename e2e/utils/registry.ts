import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real registry (Debian's docker-registry, the distribution registry) on loopback, for push tests. */
export interface TestRegistry {
  /** `<address>:<port>`, as an image reference starts with it. */
  host: string;
  stop(): Promise<void>;
}

export function registryAvailable(): boolean {
  return spawnSync('docker-registry', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** An IPv4 address of this machine that is not loopback (a registry there is one the engines verify TLS for), if any. */
export function nonLoopbackAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces()))
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts docker-registry (plain HTTP) on `address` (127.0.0.1 unless given)
 * with its storage in a temporary folder; resolves once /v2/ answers.
 */
export async function startRegistry(address = '127.0.0.1'): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'nx-conda-e2e-registry-'));
  const port = await freePort(address);
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:\n  level: warn',
      `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true`,
      `http:\n  addr: ${address}:${port}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
  const stop = () =>
    new Promise<void>((done) => {
      const finish = () => {
        rmSync(dir, { recursive: true, force: true });
        done();
      };
      if (child.exitCode !== null || child.signalCode !== null) return finish();
      child.once('exit', finish);
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`http://${address}:${port}/v2/`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`e2e: docker-registry did not start on ${address}:${port}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { host: `${address}:${port}`, stop };
}
