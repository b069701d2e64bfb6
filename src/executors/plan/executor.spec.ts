import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectGraph } from '@nx/devkit';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import { parseTaskGraph, type NxTaskGraph } from '../nx-cli';

let taskGraph: NxTaskGraph = { tasks: [], dependencies: new Map() };
const nxTaskGraph = jest.fn((_root: string, _args: string[]) => taskGraph);
jest.mock('../nx-cli', () => ({
  ...jest.requireActual('../nx-cli'),
  nxTaskGraph: (...a: [string, string[]]) => nxTaskGraph(...a),
}));

import planExecutor, { buildTaskGraph, nxArgs } from './executor';

/** Nx's task graph JSON (`--graph=file.json`) of build tasks `edges`, with a docker-image task in between. */
function graphJson(edges: Record<string, string[]>): string {
  const tasks: Record<string, unknown> = {
    'builder-image:docker-image': {
      id: 'builder-image:docker-image',
      target: { project: 'builder-image', target: 'docker-image' },
    },
  };
  const dependencies: Record<string, { id: string }[]> = { 'builder-image:docker-image': [] };
  for (const [project, deps] of Object.entries(edges)) {
    const id = `${project}:build-recipe`;
    tasks[id] = { id, target: { project, target: 'build-recipe' } };
    dependencies[id] = [...deps.map((d) => ({ id: `${d}:build-recipe` })), { id: 'builder-image:docker-image' }];
  }
  return JSON.stringify({ graph: { nodes: {} }, tasks: { tasks, dependencies, roots: [] } });
}

describe('the task graph a plan splits', () => {
  it('reads Nx task graph JSON and keeps the build tasks, with edges through other tasks', () => {
    const graph = parseTaskGraph(graphJson({ a: [], b: ['a'], c: ['b', 'a'] }), 'nx affected');
    expect(buildTaskGraph(graph, 'build-recipe')).toEqual({
      projects: ['a', 'b', 'c'],
      deps: new Map([
        ['a', []],
        ['b', ['a']],
        ['c', ['a', 'b']],
      ]),
    });
    // A build task that reaches another only through a task of another target (a lint) still depends on it.
    const through: NxTaskGraph = {
      tasks: [
        { id: 'x:build-recipe', project: 'x', target: 'build-recipe' },
        { id: 'x:lint-recipe', project: 'x', target: 'lint-recipe' },
        { id: 'y:build-recipe', project: 'y', target: 'build-recipe' },
      ],
      dependencies: new Map([
        ['x:build-recipe', ['x:lint-recipe']],
        ['x:lint-recipe', ['y:build-recipe']],
        ['y:build-recipe', []],
      ]),
    };
    expect(buildTaskGraph(through, 'build-recipe').deps.get('x')).toEqual(['y']);
  });

  it('refuses what is not a task graph', () => {
    expect(() => parseTaskGraph('{', 'nx affected')).toThrow(
      /nx affected: Nx's task graph is not as expected: not JSON/,
    );
    expect(() => parseTaskGraph('{"tasks":{}}', 'nx affected')).toThrow(/no tasks/);
    expect(() => parseTaskGraph('{"tasks":{"tasks":{"a":{}},"dependencies":{}}}', 'nx affected')).toThrow(/task a/);
  });

  it('asks Nx for affected (base, head) or run-many (projects)', () => {
    const base = { affected: true, projects: [], target: 'build-recipe' } as unknown as Parameters<typeof nxArgs>[0];
    expect(nxArgs(base)).toEqual(['affected', '-t', 'build-recipe']);
    expect(nxArgs({ ...base, base: 'origin/main', head: 'HEAD' })).toEqual([
      'affected',
      '-t',
      'build-recipe',
      '--base=origin/main',
      '--head=HEAD',
    ]);
    expect(nxArgs({ ...base, affected: false })).toEqual(['run-many', '-t', 'build-recipe']);
    expect(nxArgs({ ...base, affected: false, projects: ['a', 'b'] })).toEqual([
      'run-many',
      '-t',
      'build-recipe',
      '-p',
      'a',
      'b',
    ]);
  });
});

describe('plan executor (Nx task graph recorded; skipExisting against a file:// channel)', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  const EDGES: Record<string, string[]> = { hub: [], f1: ['hub'], f2: ['hub'], f3: ['hub'], f4: ['hub'], solo: [] };
  let graph: ProjectGraph;
  let channel: string;
  beforeEach(() => {
    ws = tempWorkspace('plan');
    out = captureOutput();
    nxTaskGraph.mockClear();
    delete process.env.GITHUB_OUTPUT;
    taskGraph = parseTaskGraph(graphJson(EDGES), 'nx affected');
    channel = join(ws.root, 'upstream');
    mkdirSync(join(channel, 'noarch'), { recursive: true });
    mkdirSync(join(channel, 'linux-64'), { recursive: true });
    // hub is published: it costs nothing.
    const record = { name: 'hub', version: '1.0', build: '0', build_number: 0, subdir: 'noarch', depends: [] };
    writeFileSync(join(channel, 'noarch/repodata.json'), JSON.stringify({ packages: { 'hub-1.0-0.tar.bz2': record } }));
    writeFileSync(join(channel, 'linux-64/repodata.json'), JSON.stringify({ packages: {} }));
    graph = { nodes: {}, dependencies: {} };
    for (const name of Object.keys(EDGES)) {
      writeRecipe(name);
      graph.nodes[name] = {
        name,
        type: 'lib',
        data: {
          root: `recipes/${name}`,
          targets: {
            'build-recipe': {
              executor: 'nx-conda:recipe-build',
              options: { channels: [`file://${channel}`], skipExisting: true },
            },
          },
        },
      };
    }
    execFileSync('git', ['init', '-q'], { cwd: ws.root });
    execFileSync(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'x'],
      {
        cwd: ws.root,
      },
    );
  });
  afterEach(() => {
    out.restore();
    ws.remove();
    delete process.env.GITHUB_OUTPUT;
  });
  function writeRecipe(name: string): void {
    mkdirSync(join(ws.root, 'recipes', name), { recursive: true });
    writeFileSync(
      join(ws.root, 'recipes', name, 'recipe.yaml'),
      `package:\n  name: ${name}\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n`,
    );
  }
  const run = (options: Record<string, unknown> = {}) =>
    planExecutor(
      { agentCount: 2, ...options } as Parameters<typeof planExecutor>[0],
      executorContext(ws.root, 'conda-channel', graph, 'plan'),
    );
  const readPlan = () => JSON.parse(readFileSync(join(ws.root, 'tmp/nx-conda/plan.json'), 'utf8'));

  it('writes the plan of the affected build tasks: the commit, stages, a matrix each; published tasks cost nothing', async () => {
    await expect(run({ base: 'HEAD~3', head: 'HEAD', stageOverhead: 0.5 })).resolves.toEqual({ success: true });
    expect(nxTaskGraph).toHaveBeenCalledWith(ws.root, [
      'affected',
      '-t',
      'build-recipe',
      '--base=HEAD~3',
      '--head=HEAD',
    ]);
    const plan = readPlan();
    expect(plan.commit).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ws.root, encoding: 'utf8' }).trim());
    expect(plan).toMatchObject({ agents: 2, maxStages: 6, tasks: 6, toBuild: 5, target: 'build-recipe' });
    // The free hub does not hold its dependents on one agent: they spread over both.
    const hubStage = plan.stages.find((s: { shards: { projects: string[] }[] }) =>
      s.shards.some((x) => x.projects.includes('hub')),
    );
    expect(hubStage.shards.find((x: { projects: string[] }) => x.projects.includes('hub')).cost).toBe(0);
    const last = plan.stages.at(-1);
    expect(last.matrix).toEqual({ agent: [1, 2] });
    expect(out.info.join('\n')).toMatch(
      /plan for 2 agent\(s\) of commit [0-9a-f]{12}: 6 build-recipe task\(s\), 5 expected to build/,
    );
    expect(out.info.join('\n')).toMatch(
      /1 task\(s\) already in the upstream channels \(skipExisting\) count for nothing/,
    );
  });

  it('writes the GitHub outputs when run under GitHub Actions', async () => {
    process.env.GITHUB_OUTPUT = join(ws.root, 'github-output');
    writeFileSync(process.env.GITHUB_OUTPUT, 'earlier=1\n');
    await run({ maxStages: 2 });
    const lines = readFileSync(process.env.GITHUB_OUTPUT, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('earlier=1');
    expect(lines[1]).toMatch(/^plan=\{"kind":"nx-conda-shard-plan"/);
    expect(lines.slice(2, 3)).toEqual([`stages=${readPlan().stages.length}`]);
    expect(lines.filter((l) => l.startsWith('stage-'))).toHaveLength(2);
  });

  it.each([0, -1, 1.5, 257])('agentCount %p: an error, Nx is not even asked', async (agentCount) => {
    await expect(run({ agentCount })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/agentCount must be a whole number from 1 to 256/);
    expect(nxTaskGraph).not.toHaveBeenCalled();
  });

  it('an output file outside the workspace, maxStages 0: errors', async () => {
    await expect(run({ outputFile: '../plan.json' })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/outputFile must be a file inside the workspace/);
    await expect(run({ maxStages: 0 })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/maxStages must be a whole number from 1 to 64/);
  });

  it('without skipExisting every task counts as a build', async () => {
    for (const node of Object.values(graph.nodes)) node.data.targets!['build-recipe'].options = {};
    await run();
    expect(readPlan()).toMatchObject({ tasks: 6, toBuild: 6 });
  });
});
