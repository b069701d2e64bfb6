import {
  describePlan,
  githubOutputs,
  makePlanFile,
  parsePlanFile,
  shardProjects,
  ShardPlanError,
  type PlanFile,
} from './plan-file';
import { planStages } from './stages';

const COMMIT = 'a'.repeat(40);

function samplePlan(): PlanFile {
  const deps = new Map<string, string[]>([['hub', []]]);
  for (let i = 1; i <= 6; i++) deps.set(`f${i}`, ['hub']);
  deps.set('solo', []);
  const plan = planStages({ tasks: [...deps.keys()], deps }, { agents: 3, maxStages: 3, stageOverhead: 1 });
  return makePlanFile(plan, { commit: COMMIT, target: 'build-recipe', agents: 3, maxStages: 3, toBuild: 8 });
}

describe('the plan file', () => {
  it('holds the commit, each stage with a GitHub matrix of the agents with work, and reads back as written', () => {
    const plan = samplePlan();
    expect(plan).toMatchObject({ commit: COMMIT, agents: 3, maxStages: 3, tasks: 8, toBuild: 8 });
    expect(plan.stages.map((s) => s.matrix)).toEqual([{ agent: [1, 2] }, { agent: [1, 2, 3] }]);
    expect(plan.stages[0].shards.map((s) => s.projects)).toEqual([['hub'], ['solo'], []]);
    expect(parsePlanFile(JSON.stringify(plan), 'plan.json')).toEqual(plan);
  });

  it('GitHub outputs: the plan on one line, the stage count, one matrix per stage job (empty beyond the plan)', () => {
    const lines = githubOutputs(samplePlan()).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^plan=\{.*\}$/);
    expect(lines.slice(1)).toEqual([
      'stages=2',
      'stage-1={"agent":[1,2]}',
      'stage-2={"agent":[1,2,3]}',
      'stage-3={"agent":[]}',
    ]);
  });

  it('describes each stage with its balance', () => {
    const text = describePlan(samplePlan()).join('\n');
    expect(text).toMatch(/8 build-recipe task\(s\), 8 expected to build, 2 stage\(s\) \(at most 3\)/);
    expect(text).toMatch(
      /stage 2: agents 1, 2, 3; tasks \(cost\) per agent: 2 \(2\), 2 \(2\), 2 \(2\); largest ÷ ideal 1\.00/,
    );
  });

  it.each<[string, (p: Record<string, unknown>) => unknown, RegExp]>([
    ['not JSON', () => undefined, /not JSON/],
    ['another kind', (p) => ({ ...p, kind: 'x' }), /no "kind"/],
    ['another version', (p) => ({ ...p, version: 2 }), /version 2/],
    ['a short commit', (p) => ({ ...p, commit: 'abc' }), /full commit id/],
    ['agents 0', (p) => ({ ...p, agents: 0 }), /"agents"/],
    ['a name starting with -', (p) => withName(p, '--all'), /not plain/],
    ['a name with a newline', (p) => withName(p, 'a\nb'), /not plain/],
    ['a project twice', (p) => withName(p, 'solo'), /solo is in two shards/],
    ['a wrong matrix', (p) => ({ ...p, stages: [{ ...(p.stages as Json[])[0], matrix: { agent: [3] } }] }), /matrix/],
    ['more stages than maxStages', (p) => ({ ...p, maxStages: 1 }), /at most maxStages/],
  ])('refuses a plan with %s', (_what, change, message) => {
    const plan = JSON.parse(JSON.stringify(samplePlan()));
    const changed = change(plan);
    const text = changed === undefined ? '{not json' : JSON.stringify(changed);
    expect(() => parsePlanFile(text, 'plan.json')).toThrow(ShardPlanError);
    expect(() => parsePlanFile(text, 'plan.json')).toThrow(message);
  });

  it('refuses a file larger than the bound without parsing it', () => {
    expect(() => parsePlanFile(' '.repeat(17 * 1024 * 1024), 'big.json')).toThrow(/larger than/);
  });
});

type Json = Record<string, unknown>;
function withName(plan: Json, name: string): Json {
  const stages = plan.stages as Json[];
  const shards = stages[1].shards as Json[];
  return {
    ...plan,
    stages: [
      stages[0],
      {
        ...stages[1],
        shards: [{ ...shards[0], projects: [...(shards[0].projects as string[]), name] }, ...shards.slice(1)],
      },
    ],
  };
}

describe('shardProjects', () => {
  const plan = samplePlan();
  const ok = { agents: 3, stage: 2, agent: 3, commit: COMMIT };

  it('gives the shard of a stage and an agent (1-based)', () => {
    expect(shardProjects(plan, ok, 'plan.json')).toEqual(plan.stages[1].shards[2].projects);
    expect(shardProjects(plan, { ...ok, stage: 1, agent: 3 }, 'plan.json')).toEqual([]);
  });

  it('refuses a plan of another commit than the checkout', () => {
    expect(() => shardProjects(plan, { ...ok, commit: 'b'.repeat(40) }, 'plan.json')).toThrow(
      /made from commit a{40}, but this checkout is b{40}/,
    );
  });

  it('refuses another agent count, a stage or an agent out of range', () => {
    expect(() => shardProjects(plan, { ...ok, agents: 4 }, 'plan.json')).toThrow(
      /made for 3 agent\(s\).*--agentCount=4/,
    );
    expect(() => shardProjects(plan, { ...ok, stage: 3 }, 'plan.json')).toThrow(
      /has 2 stage\(s\); there is no stage 3/,
    );
    expect(() => shardProjects(plan, { ...ok, agent: 4 }, 'plan.json')).toThrow(/there is no agent 4/);
  });
});
