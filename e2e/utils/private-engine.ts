import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_ROOT } from './paths';

/**
 * A dockerd of the test's own (its data root, exec root, pid file, socket
 * and managed containerd under one temporary folder; a bridge of its own, no
 * iptables), so that a test can kill an engine without touching the one the
 * machine shares. Images come from the shared engine by `docker save | load`.
 */
export interface PrivateEngine {
  dir: string;
  /** `unix://…/docker.sock`, for DOCKER_HOST. */
  host: string;
  start(): Promise<void>;
  /** SIGKILL of dockerd alone (its containerd and shims live on, as after a dockerd crash). */
  killDaemon(): void;
  /** Stops everything it started and removes its folder. */
  remove(): void;
}

const pidOf = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined);
const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Pids of the processes whose command line names `dir` (this engine's shims): ended one by one, by id. */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`${dir}/`)) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

/**
 * A bridge interface of the private engine's own. Never `--bridge=none`: a
 * dockerd started with it deletes the host's `docker0` on start
 * (removeDefaultBridgeInterface in moby), which takes the default network
 * away from the machine's own engine and every test after this one.
 */
function makeBridge(name: string, subnet: number): void {
  for (const args of [
    ['link', 'add', 'name', name, 'type', 'bridge'],
    ['addr', 'add', `10.213.${subnet}.1/24`, 'dev', name],
    ['link', 'set', name, 'up'],
  ])
    execFileSync('ip', args, { stdio: 'ignore' });
}

export function privateEngine(): PrivateEngine {
  const dir = mkdtempSync(join(E2E_ROOT, 'dockerd-'));
  const host = `unix://${join(dir, 'docker.sock')}`;
  // Names of at most 15 characters, one per test process.
  const bridge = `nxcf${process.pid % 100000}`;
  spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  makeBridge(bridge, 100 + (process.pid % 100));
  const containerdPids: number[] = [];
  let started = 0;
  const daemonPid = () => pidOf(join(dir, 'pid'));
  const engine: PrivateEngine = {
    dir,
    host,
    async start() {
      mkdirSync(join(dir, 'data'), { recursive: true });
      // After killDaemon: what the dead daemon left running (its containerd, the shims) goes first, as a reboot would.
      if (!alive(daemonPid())) {
        for (const pid of [...containerdPids, ...processesUnder(dir)]) if (alive(pid)) process.kill(pid, 'SIGKILL');
        // A killed containerd may stay a zombie that looks alive to dockerd: its pid file goes, so a new one starts.
        rmSync(join(dir, 'exec', 'containerd', 'containerd.pid'), { force: true });
      }
      const log = join(dir, `dockerd-${started++}.log`);
      const child = spawn(
        'sh',
        [
          '-c',
          `exec dockerd --data-root "$0/data" --exec-root "$0/exec" --pidfile "$0/pid" -H "unix://$0/docker.sock" ` +
            `--bridge="$2" --iptables=false --ip6tables=false >"$1" 2>&1`,
          dir,
          log,
          bridge,
        ],
        { stdio: 'ignore', detached: true },
      );
      child.unref();
      for (let i = 0; ; i++) {
        if (spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore' }).status === 0) break;
        if (i > 120)
          throw new Error(`e2e: the private dockerd did not answer on ${host}:\n${readFileSync(log, 'utf8')}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const containerd = /started new containerd process" pid=(\d+)/.exec(readFileSync(log, 'utf8'));
      if (containerd) containerdPids.push(Number(containerd[1]));
    },
    killDaemon() {
      const pid = daemonPid();
      if (alive(pid)) process.kill(pid!, 'SIGKILL');
    },
    remove() {
      const pid = daemonPid();
      if (alive(pid)) {
        // Its containers first (a clean stop), then the daemon and its containerd.
        spawnSync('sh', ['-c', `docker -H "$0" ps -aq | xargs -r docker -H "$0" rm -f`, host], { stdio: 'ignore' });
        process.kill(pid!, 'SIGTERM');
        for (let i = 0; i < 40 && alive(pid); i++) spawnSync('sleep', ['0.25']);
        if (alive(pid)) process.kill(pid!, 'SIGKILL');
      }
      for (const c of containerdPids) if (alive(c)) process.kill(c, 'SIGKILL');
      // Shims of containers that outlived a killed daemon, found by the exec root in their command line.
      for (const shim of processesUnder(dir)) if (alive(shim)) process.kill(shim, 'SIGKILL');
      const mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[1])
        .filter((m) => m && m.startsWith(dir))
        .sort()
        .reverse();
      for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
      spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    },
  };
  return engine;
}

/** Copies `image` from the machine's engine into `engine`. */
export function loadImage(engine: PrivateEngine, image: string): void {
  execFileSync('sh', ['-c', `docker save "$0" | docker -H "$1" load -q`, image, engine.host], { stdio: 'ignore' });
}
