import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type FaultMode = 'reset' | 'stop' | 'hang' | '500' | '503' | 'corrupt';

export interface TestServer {
  port: number;
  url: string;
  /** The requests served so far, as `METHOD path status user-agent` lines. */
  requests(): string[];
  /** From now on, answers GETs (and the cache's PUTs) whose `METHOD path` matches `match` with `mode`, `times` times (always when absent); `fault()` alone ends it. See servers.js. */
  fault(mode?: FaultMode, match?: string, times?: number): void;
  stop(): Promise<void>;
}

/** Starts e2e/utils/servers.js in `mode` over `dir` as a child process; resolves once it listens. */
export function startServer(
  mode: 'static' | 'nx-cache',
  dir: string,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'servers.js'), mode, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const logFile = `${dir.replace(/\/+$/, '')}.requests.log`;
  const faultFile = `${dir.replace(/\/+$/, '')}.fault`;
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`e2e: ${mode} server exited with ${code} before listening`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (!match) return;
      child.removeAllListeners('exit');
      const port = Number(match[1]);
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        fault: (mode, match, times) =>
          mode
            ? writeFileSync(faultFile, JSON.stringify({ mode, match, times, at: Date.now() }))
            : rmSync(faultFile, { force: true }),
        requests: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []),
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
