import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectGraph } from '@nx/devkit';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import { makePlanFile } from '../plan-file';
import { planStages } from '../stages';

const runNx = jest.fn(async (_root: string, _args: string[], _env: NodeJS.ProcessEnv) => 0);
jest.mock('../nx-cli', () => ({
  ...jest.requireActual('../nx-cli'),
  runNx: (...a: [string, string[], NodeJS.ProcessEnv]) => runNx(...a),
}));
// The Nx command line that started the shard (what --parallel and --nx-bail Nx kept for itself).
let parentArgs: string[] = [];
jest.mock('../nx-run', () => ({ ...jest.requireActual('../nx-run'), parentArgv: () => parentArgs }));

import shardExecutor from './executor';

const PROJECTS = ['hub', 'f1', 'f2', 'f3', 'f4', 'k1', 'k2'];
function graph(): ProjectGraph {
  const nodes: ProjectGraph['nodes'] = {};
  for (const name of PROJECTS)
    nodes[name] = {
      name,
      type: 'lib',
      data: { root: `recipes/${name}`, targets: { 'build-recipe': { executor: 'nx-conda:recipe-build' } } },
    };
  return { nodes, dependencies: {} };
}

function git(root: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
}

describe('shard executor (the Nx run it starts is recorded, not run)', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let commit: string;
  beforeEach(() => {
    ws = tempWorkspace('shard');
    out = captureOutput();
    runNx.mockClear();
    parentArgs = ['node', 'nx', 'run', 'conda-channel:shard', '--parallel=2'];
    writeFileSync(join(ws.root, 'README'), 'x');
    git(ws.root, ['init', '-q']);
    git(ws.root, ['add', '-A']);
    git(ws.root, ['commit', '-qm', 'one']);
    commit = git(ws.root, ['rev-parse', 'HEAD']).trim();
    writePlan(commit);
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });

  function writePlan(of: string, agents = 3): void {
    const deps = new Map<string, string[]>([
      ['hub', []],
      ['f1', ['hub']],
      ['f2', ['hub']],
      ['f3', ['hub']],
      ['f4', ['hub']],
      ['k1', []],
      ['k2', ['k1']],
    ]);
    const plan = planStages({ tasks: PROJECTS, deps }, { agents, maxStages: 3, stageOverhead: 1 });
    mkdirSync(join(ws.root, 'tmp/nx-conda'), { recursive: true });
    writeFileSync(
      join(ws.root, 'tmp/nx-conda/plan.json'),
      JSON.stringify(makePlanFile(plan, { commit: of, target: 'build-recipe', agents, maxStages: 3, toBuild: 7 })),
    );
  }
  const run = (options: Record<string, unknown>) =>
    shardExecutor(
      { agentCount: 3, stage: 1, agent: 1, ...options } as Parameters<typeof shardExecutor>[0],
      executorContext(ws.root, 'conda-channel', graph(), 'shard'),
    );

  it('runs nx run-many over its projects, with the parallelism Nx was given and the checkpoint', async () => {
    await expect(run({ stage: 2, agent: 1 })).resolves.toEqual({ success: true });
    expect(runNx).toHaveBeenCalledTimes(1);
    const [root, args, env] = runNx.mock.calls[0];
    expect(root).toBe(ws.root);
    expect(args.slice(0, 4)).toEqual(['run-many', '-t', 'build-recipe', '-p']);
    expect(args.at(-1)).toBe('--parallel=2');
    expect(args.slice(4, -1).length).toBeGreaterThan(0);
    expect(env.NX_CONDA_BATCH_CHECKPOINT_SECONDS).toBe('300');
    expect(out.info.join('\n')).toMatch(/stage 2 of 2, agent 1 of 3: \d+ build-recipe task\(s\)/);
  });

  it('passes --nx-bail on, and no checkpoint when checkpointSeconds is negative', async () => {
    parentArgs = ['node', 'nx', 'run', 'conda-channel:shard', '--nx-bail'];
    await run({ stage: 2, agent: 2, checkpointSeconds: -1 });
    const [, args, env] = runNx.mock.calls[0];
    expect(args).toContain('--nx-bail');
    expect(env.NX_CONDA_BATCH_CHECKPOINT_SECONDS).toBeUndefined();
  });

  it('an empty shard runs nothing and succeeds', async () => {
    await expect(run({ stage: 1, agent: 3 })).resolves.toEqual({ success: true });
    expect(runNx).not.toHaveBeenCalled();
    expect(out.info.join('\n')).toMatch(/nothing to run in this shard/);
  });

  it('a failed run fails the shard', async () => {
    runNx.mockResolvedValueOnce(1);
    await expect(run({ stage: 2, agent: 1 })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/ended with exit code 1/);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['agentCount 0', { agentCount: 0 }, /agentCount must be a whole number from 1 to 256, got 0/],
    ['agentCount -3', { agentCount: -3 }, /agentCount must be a whole number from 1 to 256, got -3/],
    ['agentCount 2.5', { agentCount: 2.5 }, /agentCount must be a whole number from 1 to 256, got 2.5/],
    ['agentCount 257', { agentCount: 257 }, /agentCount must be a whole number from 1 to 256, got 257/],
    [
      'agentCount 4 (the plan has 3)',
      { agentCount: 4 },
      /made for 3 agent\(s\), but this shard was given --agentCount=4/,
    ],
    ['stage 0', { stage: 0 }, /stage must be a whole number/],
    ['stage 3 (the plan has 2)', { stage: 3 }, /has 2 stage\(s\); there is no stage 3/],
    ['agent 4 of 3', { agent: 4 }, /agent must be from 1 to agentCount \(3\), got 4/],
    ['a plan path outside the workspace', { plan: '../plan.json' }, /plan must be a file inside the workspace/],
    ['a missing plan', { plan: 'nowhere.json' }, /cannot read the plan nowhere.json \(ENOENT\)/],
  ])('%s: an error, nothing run', async (_what, options, message) => {
    await expect(run(options)).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(message);
    expect(runNx).not.toHaveBeenCalled();
  });

  it('a plan of another commit than the checkout: an error naming both, nothing run', async () => {
    writeFileSync(join(ws.root, 'README'), 'y');
    git(ws.root, ['commit', '-qam', 'two']);
    await expect(run({})).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(new RegExp(`made from commit ${commit}, but this checkout is [0-9a-f]{40}`));
    expect(runNx).not.toHaveBeenCalled();
  });

  it('a plan naming a project this workspace lacks: an error, nothing run', async () => {
    const context = executorContext(ws.root, 'conda-channel', { nodes: {}, dependencies: {} }, 'shard');
    await expect(shardExecutor({ agentCount: 3, stage: 1, agent: 1 }, context)).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/names project\(s\) without a build-recipe target/);
    expect(runNx).not.toHaveBeenCalled();
  });

  it('a tampered plan: an error, nothing run', async () => {
    writeFileSync(
      join(ws.root, 'tmp/nx-conda/plan.json'),
      '{"kind":"nx-conda-shard-plan","version":1,"commit":"--all"}',
    );
    await expect(run({})).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/not a usable nx-conda plan: "commit" is not a full commit id/);
    expect(runNx).not.toHaveBeenCalled();
  });
});
