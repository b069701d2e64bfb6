import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, relative } from 'node:path';
import { channelPackages } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import {
  createWorkspace,
  docker,
  expectSuccess,
  startNx,
  until,
  workspaceLabel,
  type Background,
  type Workspace,
} from './utils/workspace';

/**
 * Issue 14: a killed run leaves no build running. Two workspaces build on
 * the same engine at once (as other agents and CI jobs do); one is killed
 * with SIGKILL to its whole process group, the other must not notice. The
 * labels are computed here from their documented meaning, not by the
 * plugin's code, so a wrong label fails these tests.
 */
const IMAGES = { 'conda-build': TEST_IMAGES.condaBuild, 'rattler-build': TEST_IMAGES.rattlerBuild };

const recipeYaml = (name: string, script: string[]) =>
  `package:\n  name: ${name}\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n  script:\n${script.map((l) => `    - ${l}\n`).join('')}`;

function setUp(name: string): Workspace {
  const ws = createWorkspace(name, { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }] });
  ws.write(
    'recipes/slow/recipe.yaml',
    recipeYaml('slow', ['echo "slow build started"', 'sleep 600', 'mkdir -p $PREFIX/share']),
  );
  // The target `nx g nx-conda:init` puts on the builder-image project.
  ws.write(
    'tools/project.json',
    JSON.stringify({
      name: 'tools',
      targets: { 'purge-containers': { executor: 'nx-conda:purge-image', options: { containers: true } } },
    }),
  );
  ws.write(
    'recipes/quick/recipe.yaml',
    recipeYaml('quick', ['mkdir -p $PREFIX/share', 'echo quick > $PREFIX/share/quick.txt']),
  );
  return ws;
}

/** nx-conda.pid-ns: `<boot id>/<pid namespace inode>` of this machine and process. */
const pidNamespace = () =>
  `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1]}`;
/** A process that still runs (not gone, not a zombie waiting for its parent). */
const running = (pid: number) =>
  existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
const pidStart = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19];

/** Containers of a workspace (names), in any state, or running only. */
function containersOf(ws: Workspace, running = false): string[] {
  const filters = [
    '--filter',
    `label=nx-conda.workspace=${workspaceLabel(ws)}`,
    ...(running ? ['--filter', 'status=running'] : []),
  ];
  return docker(['ps', '-a', ...filters, '--format', '{{.Names}}'])
    .stdout.split('\n')
    .filter(Boolean)
    .sort();
}

function label(container: string, key: string): string {
  return docker(['inspect', '--format', `{{index .Config.Labels "${key}"}}`, container]).stdout;
}

/** A container started by hand with owner labels, as a crashed run would have left it. */
function leftover(name: string, labels: Record<string, string>): string {
  const args = ['run', '-d', '--name', name, '--label', 'nx-conda=run'];
  for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
  const r = spawnSync('docker', [...args, TEST_IMAGES.base, 'sleep', '600'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not start ${name}: ${r.stderr}`);
  return name;
}

const exists = (name: string) => docker(['container', 'inspect', name]).code === 0;

describe('a killed run leaves no build running (real engine, two workspaces)', () => {
  let a: Workspace;
  let b: Workspace;
  let bSlow: Background | undefined;
  const mine: string[] = [];
  /** The folders of a's run killed in the first test: no container names them any more once it is gone. */
  let killedScratch: string[] = [];

  beforeAll(() => {
    a = setUp('killed-a');
    b = setUp('killed-b');
  });

  afterAll(async () => {
    if (bSlow && bSlow.child.exitCode === null) {
      process.kill(-bSlow.child.pid!, 'SIGKILL');
      await bSlow.exited;
    }
    for (const name of [...mine, ...containersOf(a), ...containersOf(b)]) docker(['rm', '-f', name]);
  });

  it('SIGKILL of the whole process group: the container stops by itself; the other workspace builds on', async () => {
    bSlow = startNx(b, ['run', 'slow:build-recipe', '--skip-nx-cache']);
    const aSlow = startNx(a, ['run', 'slow:build-recipe', '--skip-nx-cache']);
    await until(
      'both slow builds to start',
      () => /slow build started/.test(aSlow.output()) && /slow build started/.test(bSlow!.output()),
      300,
      () => `--- a ---\n${aSlow.output()}\n--- b ---\n${bSlow!.output()}`,
    );
    const [aContainer] = containersOf(a, true);
    const [bContainer] = containersOf(b, true);
    expect(aContainer).toMatch(/^nx-conda-slow-/);
    expect(bContainer).toMatch(/^nx-conda-slow-/);

    // The run labels name a live process of the killed group, on this host and PID namespace.
    const pid = Number(label(aContainer, 'nx-conda.pid'));
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]).toBe(String(aSlow.child.pid)); // its process group
    expect(label(aContainer, 'nx-conda.pid-start')).toBe(pidStart(pid));
    expect(label(aContainer, 'nx-conda.host')).toBe(hostname());
    expect(label(aContainer, 'nx-conda.pid-ns')).toBe(pidNamespace());
    killedScratch = JSON.parse(label(aContainer, 'nx-conda.scratch').trim()) as string[];
    // The staging channel, the build script's folder and the build's own writable package cache.
    expect(killedScratch.map((dir) => basename(dir).replace(/-[^-]+$/, '')).sort()).toEqual([
      'slow',
      'slow-pkgs',
      'slow-script',
    ]);

    process.kill(-aSlow.child.pid!, 'SIGKILL');
    await aSlow.exited;
    // Within 15 s, nothing of workspace a runs any more (and --rm removed it).
    await until(
      "the killed run's container to stop",
      () => containersOf(a, true).length === 0,
      15,
      () => docker(['ps', '-a']).stdout,
    );
    await until(
      'the stopped container to be removed',
      () => containersOf(a).length === 0,
      15,
      () => docker(['ps', '-a']).stdout,
    );
    expect(running(pid)).toBe(false);
    // Its folders stay until the next build (below): the run had no chance to remove them.
    expect(killedScratch.filter((dir) => existsSync(dir))).toEqual(killedScratch);

    // Workspace b's build was not disturbed.
    expect(containersOf(b, true)).toEqual([bContainer]);
    expect(bSlow.child.exitCode).toBeNull();
  });

  it('SIGKILL of Nx alone: its orphaned task process sees Nx is gone, removes the container and ends', async () => {
    const aSlow = startNx(a, ['run', 'slow:build-recipe', '--skip-nx-cache']);
    try {
      await until('the slow build to start', () => /slow build started/.test(aSlow.output()), 300, aSlow.output);
      // This is the next build after the first test's SIGKILL: that run's container removed itself, and
      // its record in tmp/nx-conda/runs still named its folders, which this build removed first.
      const line =
        aSlow
          .output()
          .split('\n')
          .find((l) => l.includes('left behind')) ?? aSlow.output();
      for (const dir of killedScratch) expect(line).toContain(relative(a.root, dir));
      expect(killedScratch.filter((dir) => existsSync(dir))).toEqual([]);
      const [container] = containersOf(a, true);
      const executor = Number(label(container, 'nx-conda.pid'));
      expect(executor).not.toBe(aSlow.child.pid);
      process.kill(aSlow.child.pid!, 'SIGKILL');
      await until(
        "the orphaned task's container to go",
        () => containersOf(a).length === 0,
        15,
        () => docker(['ps', '-a']).stdout,
      );
      await until('the orphaned task process to end', () => !running(executor), 15);
    } finally {
      try {
        process.kill(-aSlow.child.pid!, 'SIGKILL');
      } catch {
        // the whole group has ended
      }
    }
    expect(containersOf(b, true)).toHaveLength(1);
  });

  it("the next build removes a crash left behind, and only that one: not another workspace's, a live run's nor another machine's", async () => {
    const ended = spawnSync('true').pid!;
    const here = { 'nx-conda.host': hostname(), 'nx-conda.pid-ns': pidNamespace() };
    const scratchA = join(a.root, 'tmp/nx-conda/staging/slow-Crash1');
    const scratchB = join(b.root, 'tmp/nx-conda/staging/slow-Crash2');
    // Named by crashA's labels too, but without nx-conda's marker (issue 18, point 4): a forged name, never removed.
    const forgedA = join(a.root, 'tmp/nx-conda/staging/slow-Forge1');
    for (const dir of [scratchA, scratchB, forgedA]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'left.txt'), 'left by a crash');
    }
    // The marker a build leaves in each folder it makes: a keyed hash of the real path with the workspace's secret
    // (made by a's earlier builds); written here as nx-conda writes it, so this folder is a genuine crash's.
    const secretA = Buffer.from(readFileSync(join(a.root, 'tmp/nx-conda/secret'), 'latin1'), 'hex');
    writeFileSync(
      join(scratchA, '.nx-conda-run'),
      createHmac('sha256', secretA)
        .update(`run-folder\0${realpathSync(scratchA)}`)
        .digest('hex'),
    );
    const suffix = process.pid;
    const crashA = leftover(`nx-conda-e2e-crash-a-${suffix}`, {
      'nx-conda.workspace': workspaceLabel(a),
      ...here,
      'nx-conda.pid': String(ended),
      'nx-conda.pid-start': '1',
      'nx-conda.scratch': JSON.stringify([scratchA, forgedA, join(a.root, 'recipes/quick')]),
    });
    const crashB = leftover(`nx-conda-e2e-crash-b-${suffix}`, {
      'nx-conda.workspace': workspaceLabel(b),
      ...here,
      'nx-conda.pid': String(ended),
      'nx-conda.pid-start': '1',
      'nx-conda.scratch': JSON.stringify([scratchB]),
    });
    const liveA = leftover(`nx-conda-e2e-live-a-${suffix}`, {
      'nx-conda.workspace': workspaceLabel(a),
      ...here,
      'nx-conda.pid': String(process.pid),
      'nx-conda.pid-start': pidStart(process.pid),
      'nx-conda.scratch': '[]',
    });
    const otherHostA = leftover(`nx-conda-e2e-elsewhere-a-${suffix}`, {
      'nx-conda.workspace': workspaceLabel(a),
      'nx-conda.host': 'another-machine',
      'nx-conda.pid-ns': pidNamespace(),
      'nx-conda.pid': String(ended),
      'nx-conda.pid-start': '1',
      'nx-conda.scratch': '[]',
    });
    const reusedPidA = leftover(`nx-conda-e2e-reused-a-${suffix}`, {
      'nx-conda.workspace': workspaceLabel(a),
      ...here,
      'nx-conda.pid': String(process.pid),
      'nx-conda.pid-start': '1',
      'nx-conda.scratch': '[]',
    });
    mine.push(crashA, crashB, liveA, otherHostA, reusedPidA);

    const result = a.nx(['run', 'quick:build-recipe']);
    expectSuccess(result);
    expect(channelPackages(join(a.root, 'dist/conda/recipes/quick'))).toEqual([
      expect.stringMatching(/^noarch\/quick-1\.0-/),
    ]);
    // The task's own output (a batch also streams it live, each line prefixed [quick]) says it in one line.
    const lines = result.output.split('\n').filter((l) => l.includes('left behind') && !l.startsWith('[quick] '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`removed what ended runs of this workspace left behind: 2 container(s)`);
    expect(lines[0]).toContain(`${crashA} (pid ${ended} on ${hostname()}, ended)`);
    expect(lines[0]).toContain(`${reusedPidA} (pid ${process.pid} on ${hostname()}, ended)`);
    expect(lines[0]).toContain('folder(s): tmp/nx-conda/staging/slow-Crash1');

    expect(exists(crashA)).toBe(false);
    expect(exists(reusedPidA)).toBe(false);
    expect(existsSync(scratchA)).toBe(false);
    expect(existsSync(join(forgedA, 'left.txt'))).toBe(true);
    expect(existsSync(join(a.root, 'recipes/quick'))).toBe(true);
    expect([crashB, liveA, otherHostA].filter(exists)).toEqual([crashB, liveA, otherHostA]);
    expect(existsSync(join(scratchB, 'left.txt'))).toBe(true);
    expect(containersOf(b, true)).toHaveLength(2); // b's slow build and its crash, both untouched
    expect(bSlow!.child.exitCode).toBeNull();
  });

  it("purge-containers removes every container of this workspace, a live run's too, and nothing of the other workspace", () => {
    const before = containersOf(a);
    expect(before.length).toBe(2); // the live run's and the other machine's, left by the test above
    const result = a.nx(['run', 'tools:purge-containers']);
    expectSuccess(result);
    expect(result.output).toContain("removed this workspace's 2 container(s)");
    expect(result.output).toMatch(/removed 2, already gone 0/);
    expect(containersOf(a)).toEqual([]);
    expect(containersOf(b, true)).toHaveLength(2);
    expect(bSlow!.child.exitCode).toBeNull();
  });

  // Issue 9: the hand-back after a stop was tested for timeoutSeconds only.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to the whole process group (Ctrl-C, a CI runner's cancel): container removed, staging channel handed back and removed`, async () => {
      const staging = join(a.root, 'tmp/nx-conda/staging');
      // Folders the SIGKILL tests above left (their runs had no chance to clean up) are not this run's.
      const earlier = new Set(existsSync(staging) ? readdirSync(staging) : []);
      const ours = () => (existsSync(staging) ? readdirSync(staging).filter((name) => !earlier.has(name)) : []);
      const run = startNx(a, ['run', 'slow:build-recipe', '--skip-nx-cache']);
      try {
        await until('the slow build to start', () => /slow build started/.test(run.output()), 300, run.output);
        process.kill(-run.child.pid!, signal);
        const code = await run.exited;
        expect(code).not.toBe(0);
      } finally {
        if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
      }
      // The task process may outlive Nx by the hand-back's few seconds: wait for its effects.
      await until('no container of the workspace', () => containersOf(a).length === 0, 30, run.output);
      await until(
        "this run's staging folders gone",
        () => ours().length === 0,
        30,
        () => `${ours().join(', ')}\n${run.output()}`,
      );
      expect(existsSync(join(a.root, 'dist/conda/recipes/slow'))).toBe(false);
      // Nx waits for the task on SIGTERM and relays its last lines; on SIGINT it exits at once, and
      // what the task prints after that is lost (the staging folder's removal above is its last step).
      if (signal === 'SIGTERM') {
        expect(run.output()).toMatch(/SIGTERM received: stopping docker and removing container nx-conda-slow-/);
        expect(run.output()).toContain(
          `handed the staging channel back to ${process.getuid!()}:${process.getgid!()} after the stopped build`,
        );
      }
    });
  }
});
