import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakePackageScript } from './utils/fake-package';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { startServer, type TestServer } from './utils/server';
import {
  createWorkspace,
  docker,
  expectSuccess,
  explain,
  startNx,
  until,
  workspaceContainers,
  workspaceLabel,
  type Background,
  type Workspace,
} from './utils/workspace';

/**
 * Issue 28: one affected run split over three CI agents. One workspace in
 * git (base: 32 recipes, all published upstream; head: 10 of them changed,
 * a deep chain and a hub with a wide fan-out among them), cloned into
 * separate agents that share only a remote cache server (Nx's self-hosted
 * protocol) and an upstream channel over HTTP (skipExisting). `plan` runs
 * once; each stage's shards run at the same time on their agents, stage
 * after stage, as the GitHub workflow's matrix jobs do; the agent holding
 * the chain is killed (SIGKILL) mid-stage and its shard rerun alone on a
 * fresh clone; a last clone gathers and publishes the channel. Builds are
 * counted as the engine saw them: the build containers each agent created.
 */
const TEMPLATE = `#!/usr/bin/env bash
set -eo pipefail
staging={{stagingDir}}
recipe={{recipeDir}}
trap 'chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" 2>/dev/null || true' EXIT
# A recipe folder holding a file named hold builds for ten minutes (an agent is killed meanwhile).
if [ -f "$recipe/hold" ]; then echo "holding"; sleep 600; fi
name=$(sed -n 's/^  name: //p' "$recipe/recipe.yaml" | head -n 1)
number=$(sed -n 's/^  number: //p' "$recipe/recipe.yaml" | head -n 1)
${fakePackageScript('"$name"', '"$number"')}echo "built $name build $number in the container"
`;

const pad = (i: number) => String(i).padStart(2, '0');
/** A chain k01 <- k02 <- ... <- k08, a hub with 20 dependents f01..f20, and three loners: 32 recipes. */
const RECIPES = new Map<string, string[]>();
for (let i = 1; i <= 8; i++) RECIPES.set(`k${pad(i)}`, i === 1 ? [] : [`k${pad(i - 1)}`]);
RECIPES.set('hub', []);
for (let i = 1; i <= 20; i++) RECIPES.set(`f${pad(i)}`, ['hub']);
for (const x of ['x1', 'x2', 'x3']) RECIPES.set(x, []);
/** Ten recipes get a new build number: three deep in the chain, the hub and six of its dependents. */
const CHANGED = ['k02', 'k03', 'k04', 'hub', 'f01', 'f02', 'f03', 'f04', 'f05', 'f06'];
/** What `nx affected -t build-recipe` runs: the changed recipes, their dependents, and their dependencies (k01). */
const AFFECTED = [...RECIPES.keys()].filter((n) => !['x1', 'x2', 'x3'].includes(n));

const recipeYaml = (name: string, number: number) => {
  const run = RECIPES.get(name)!;
  return (
    `package:\n  name: ${name}\n  version: "1.0"\n\nbuild:\n  number: ${number}\n  noarch: generic\n` +
    (run.length ? `\nrequirements:\n  run:\n${run.map((r) => `    - ${r}\n`).join('')}` : '')
  );
};

/** The upstream channel as the base commit's publish left it: every recipe at build 0 (placeholder files). */
function publishedChannel(dir: string): void {
  const packages: Record<string, object> = {};
  mkdirSync(join(dir, 'noarch'), { recursive: true });
  for (const name of RECIPES.keys()) {
    const file = `${name}-1.0-0.tar.bz2`;
    const content = Buffer.from(`placeholder of ${file}\n`);
    writeFileSync(join(dir, 'noarch', file), content);
    packages[file] = {
      name,
      version: '1.0',
      build: '0',
      build_number: 0,
      depends: RECIPES.get(name),
      subdir: 'noarch',
      noarch: 'generic',
      sha256: createHash('sha256').update(content).digest('hex'),
      size: content.length,
    };
  }
  writeFileSync(
    join(dir, 'noarch/repodata.json'),
    JSON.stringify({ info: { subdir: 'noarch' }, packages, 'packages.conda': {}, repodata_version: 1 }),
  );
}

interface PlanJson {
  commit: string;
  agents: number;
  tasks: number;
  toBuild: number;
  stages: {
    stage: number;
    matrix: { agent: number[] };
    ratio: number;
    shards: { agent: number; projects: string[] }[];
  }[];
}

/** Build containers (not a staging hand-back) created for a workspace since `since`, by project. */
function builtSince(ws: Workspace, since: number): string[] {
  return docker([
    'events',
    '--since',
    String(since),
    '--until',
    String(Math.ceil(Date.now() / 1000) + 1),
    '--filter',
    'type=container',
    '--filter',
    'event=create',
    '--filter',
    `label=nx-conda.workspace=${workspaceLabel(ws)}`,
    '--format',
    '{{index .Actor.Attributes "nx-conda.project"}} {{index .Actor.Attributes "nx-conda.step"}}',
  ])
    .stdout.split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.includes(' '))
    .sort();
}

describe('many CI agents: plan, shards stage by stage, remote cache and skipExisting (real engine)', () => {
  let cache: TestServer;
  let upstream: TestServer;
  let upstreamDir: string;
  let origin: Workspace;
  const workspaces: Workspace[] = [];
  let env: Record<string, string>;
  const since = Math.floor(Date.now() / 1000);

  /** A separate clone of the origin at its head, as a CI agent checks it out (node_modules installed). */
  function agent(name: string): Workspace {
    const ws = createWorkspace(name);
    execFileSync('git', ['init', '-q'], { cwd: ws.root });
    execFileSync('git', ['fetch', '-q', origin.root, 'HEAD'], { cwd: ws.root });
    execFileSync('git', ['checkout', '-q', '-f', 'FETCH_HEAD'], { cwd: ws.root });
    workspaces.push(ws);
    return ws;
  }

  beforeAll(async () => {
    const scratch = mkdtempSync(join(E2E_ROOT, 'agents-'));
    cache = await startServer('nx-cache', join(scratch, 'cache'));
    upstreamDir = join(scratch, 'upstream');
    publishedChannel(upstreamDir);
    upstream = await startServer('static', upstreamDir);
    env = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url };

    origin = createWorkspace('agents-origin', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: {
            images: { 'rattler-build': TEST_IMAGES.rattlerBuild },
            channels: [upstream.url],
            skipExisting: true,
          },
        },
      ],
      targetDefaults: { 'build-recipe': { options: { buildScriptTemplate: 'tools/template.sh' } } },
    });
    workspaces.push(origin);
    origin.write('tools/template.sh', TEMPLATE);
    for (const name of RECIPES.keys()) origin.write(`recipes/${name}/recipe.yaml`, recipeYaml(name, 0));
    expectSuccess(origin.nx(['g', 'nx-conda:init', '--skipFormat', '--no-interactive']));
    const git = (args: string[]) =>
      origin.git(['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args]);
    git(['init', '-q']);
    git(['add', '-A']);
    git(['commit', '-qm', 'base: every recipe published']);
    for (const name of CHANGED) origin.write(`recipes/${name}/recipe.yaml`, recipeYaml(name, 1));
    git(['commit', '-qam', 'ten recipes get a new build number']);
  });

  afterAll(async () => {
    for (const ws of workspaces)
      for (const name of workspaceContainers(ws).split('\n').filter(Boolean)) docker(['rm', '-f', name]);
    await cache?.stop();
    await upstream?.stop();
  });

  it('bad input: agents 0, negative, not whole or over 256, a stage or agent out of range, a plan of another commit: each an error, nothing built', () => {
    const ws = agent('agents-bad');
    for (const agents of ['0', '-2', '1.5', '257']) {
      const r = ws.nx(['run', 'conda-channel:plan', `--agentCount=${agents}`], env);
      expect([agents, r.code]).not.toEqual([agents, 0]);
      expect(r.output).toMatch(/agentCount must be a whole number from 1 to 256/);
    }
    // A plan of the head, then a checkout of the base: the plan is refused before anything runs.
    expectSuccess(ws.nx(['run', 'conda-channel:plan', '--agentCount=3', '--base=HEAD~1', '--head=HEAD'], env));
    const shard = (args: string[]) => ws.nx(['run', 'conda-channel:shard', ...args], env);
    expect(shard(['--agentCount=3', '--stage=9', '--agent=1']).output).toMatch(
      /has \d stage\(s\); there is no stage 9/,
    );
    expect(shard(['--agentCount=3', '--stage=1', '--agent=4']).output).toMatch(
      /agent must be from 1 to agentCount \(3\), got 4/,
    );
    expect(shard(['--agentCount=4', '--stage=1', '--agent=1']).output).toMatch(/made for 3 agent\(s\).*--agentCount=4/);
    ws.git(['checkout', '-q', 'HEAD~1']);
    const other = shard(['--agentCount=3', '--stage=1', '--agent=1']);
    expect(other.code).not.toBe(0);
    expect(other.output).toMatch(/was made from commit [0-9a-f]{40}, but this checkout is [0-9a-f]{40}/);
    expect(builtSince(ws, since)).toEqual([]);
  });

  it('three agents run the plan stage by stage: every changed recipe built once, an agent killed mid-stage reruns only what it had not finished, one channel holds every package', async () => {
    const [a1, a2, a3] = ['agents-1', 'agents-2', 'agents-3'].map(agent);
    const byAgent = [a1, a2, a3];

    // The plan job: once, on one clone.
    const planRun = a1.nx(['run', 'conda-channel:plan', '--agentCount=3', '--base=HEAD~1', '--head=HEAD'], env);
    expectSuccess(planRun);
    const planText = a1.read('tmp/nx-conda/plan.json');
    const plan: PlanJson = JSON.parse(planText);
    expect(plan.commit).toBe(a1.git(['rev-parse', 'HEAD']).trim());
    expect(plan.tasks).toBe(AFFECTED.length);
    expect(plan.toBuild).toBe(CHANGED.length);
    expect(plan.stages.flatMap((s) => s.shards.flatMap((x) => x.projects)).sort()).toEqual([...AFFECTED].sort());
    expect(plan.stages.length).toBeGreaterThanOrEqual(2);
    expect(planRun.output).toMatch(/stage 1: agents .*largest ÷ ideal/);
    // The plan travels to the other agents as the workflow's job output does.
    for (const ws of [a2, a3]) ws.write('tmp/nx-conda/plan.json', planText);

    const where = new Map<string, { stage: number; agent: number }>();
    for (const s of plan.stages)
      for (const x of s.shards) for (const p of x.projects) where.set(p, { stage: s.stage, agent: x.agent });
    const chain = where.get('k03')!;
    // The chain's changed part is on one shard; the agent killed holds it.
    expect(where.get('k02')).toEqual(chain);
    expect(where.get('k04')).toEqual(chain);
    const shardArgs = (stage: number, n: number) => [
      'run',
      'conda-channel:shard',
      '--agentCount=3',
      `--stage=${stage}`,
      `--agent=${n}`,
      '--parallel=1',
      // Each finished task reaches the cache at once (one task per batch wave).
      '--checkpointSeconds=0',
    ];
    const finish = async (run: Background, ws: Workspace) => {
      const code = await run.exited;
      if (code !== 0) throw new Error(`shard in ${ws.root} failed:\n${run.output().slice(-6000)}`);
    };

    let rerun: Workspace | undefined;
    for (const stage of plan.stages) {
      // On the chain's agent only (an untracked file: the other clones and the rerun never see it), k03's build is long.
      if (stage.stage === chain.stage) byAgent[chain.agent - 1].write('recipes/k03/hold', '');
      const runs = stage.matrix.agent.map((n) => ({ n, run: startNx(byAgent[n - 1], shardArgs(stage.stage, n), env) }));
      const killed = runs.find((r) => stage.stage === chain.stage && r.n === chain.agent);
      if (killed) {
        const ws = byAgent[killed.n - 1];
        // k02 built and handed to the cache, k03's build running: kill the whole agent.
        await until("k03's build container", () => builtSince(ws, since).includes('k03'), 600, killed.run.output);
        process.kill(-killed.run.child.pid!, 'SIGKILL');
        await killed.run.exited;
        await until(
          'the killed agent to leave no container',
          () => workspaceContainers(ws) === '',
          60,
          () => explain({ code: 0, stdout: killed.run.output(), stderr: '', output: '' }),
        );
      }
      for (const r of runs) if (r !== killed) await finish(r.run, byAgent[r.n - 1]);
      if (killed) {
        // The CI reruns the failed job alone, on a fresh machine.
        rerun = agent('agents-rerun');
        rerun.write('tmp/nx-conda/plan.json', planText);
        const again = startNx(rerun, shardArgs(stage.stage, killed.n), env);
        await finish(again, rerun);
      }
    }

    // What each agent built, as the engine saw it.
    const built = byAgent.map((ws) => builtSince(ws, since));
    const rebuilt = builtSince(rerun!, since);
    const changedOf = (n: number) => CHANGED.filter((p) => where.get(p)!.agent === n).sort();
    for (const n of [1, 2, 3]) {
      if (n === chain.agent) continue;
      expect([n, built[n - 1]]).toEqual([n, changedOf(n)]);
    }
    // The killed agent finished k02 (and what it had before this stage), and had started k03.
    const before = changedOf(chain.agent).filter((p) => where.get(p)!.stage < chain.stage);
    expect(built[chain.agent - 1]).toEqual([...before, 'k02', 'k03'].sort());
    // Its rerun builds only what it had not finished: k03 again and k04, never k02.
    expect(rebuilt).toEqual(changedOf(chain.agent).filter((p) => where.get(p)!.stage === chain.stage && p !== 'k02'));
    // Across the agents: every changed recipe built once (k03 once more, after the kill), nothing else built.
    const all = [...built.flat(), ...rebuilt].sort();
    expect(all).toEqual([...CHANGED, 'k03'].sort());

    // The channel and publish job: a fresh clone restores every output from the remote cache and publishes.
    const publisher = agent('agents-publish');
    const published = publisher.nx(['run', 'conda-channel:publish', `--destination=${upstreamDir}`], env);
    expectSuccess(published);
    expect(builtSince(publisher, since)).toEqual([]);
    const index = JSON.parse(readFileSync(join(upstreamDir, 'noarch/repodata.json'), 'utf8'));
    for (const name of RECIPES.keys()) {
      const number = CHANGED.includes(name) ? 1 : 0;
      expect([name, index.packages[`${name}-1.0-${number}.tar.bz2`]?.build_number]).toEqual([name, number]);
    }
    // The new packages are the files their records describe.
    for (const name of CHANGED) {
      const file = `${name}-1.0-1.tar.bz2`;
      const sha256 = createHash('sha256')
        .update(readFileSync(join(upstreamDir, 'noarch', file)))
        .digest('hex');
      expect([file, sha256]).toEqual([file, index.packages[file].sha256]);
    }
  });
});
