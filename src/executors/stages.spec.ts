import { MAX_BLOCKS, planStages, StagePlanError, type StageGraph, type StagePlan } from './stages';

const graphOf = (edges: Record<string, string[]>, cost?: Record<string, number>): StageGraph => ({
  tasks: Object.keys(edges),
  deps: new Map(Object.entries(edges)),
  cost: cost ? new Map(Object.entries(cost)) : undefined,
});

const options = { agents: 3, maxStages: 3, stageOverhead: 1 };

/** Every task in exactly one shard; a shard's dependencies in the same shard or an earlier stage. */
function checkPlan(graph: StageGraph, plan: StagePlan): void {
  const where = new Map<string, { stage: number; agent: number }>();
  for (const stage of plan.stages)
    for (const shard of stage.shards)
      for (const task of shard.tasks) {
        expect(where.has(task)).toBe(false);
        where.set(task, { stage: stage.stage, agent: shard.agent });
      }
  expect([...where.keys()].sort()).toEqual([...new Set(graph.tasks)].sort());
  for (const [task, at] of where)
    for (const dep of graph.deps.get(task) ?? []) {
      const d = where.get(dep);
      if (!d) continue;
      const ok = d.stage < at.stage || (d.stage === at.stage && d.agent === at.agent);
      expect([task, dep, ok]).toEqual([task, dep, true]);
    }
}

/** Seeded pseudo-random numbers (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomGraph(seed: number, n: number): StageGraph {
  const rnd = random(seed);
  const edges: Record<string, string[]> = {};
  const cost: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = `p${String(i).padStart(3, '0')}`;
    edges[name] = [];
    const count = i === 0 ? 0 : Math.floor(rnd() * 4);
    for (let k = 0; k < count; k++) edges[name].push(`p${String(Math.floor(rnd() * i)).padStart(3, '0')}`);
    cost[name] = rnd() < 0.3 ? 0 : 1 + Math.floor(rnd() * 5);
  }
  return graphOf(edges, cost);
}

describe('planStages', () => {
  it('a chain a <- b <- c is one stage on one shard', () => {
    const graph = graphOf({ a: [], b: ['a'], c: ['b'] });
    const plan = planStages(graph, options);
    checkPlan(graph, plan);
    expect(plan.stages).toHaveLength(1);
    expect(plan.stages[0].shards.map((s) => s.tasks)).toEqual([['a', 'b', 'c'], [], []]);
    expect(plan.stages[0]).toMatchObject({ cost: 3, largest: 3, ideal: 1, ratio: 3 });
  });

  it('independent tasks spread over the agents in one stage, balanced by cost', () => {
    const graph = graphOf({ a: [], b: [], c: [], d: [], e: [], f: [] }, { a: 5, b: 1, c: 1, d: 1, e: 1, f: 3 });
    const plan = planStages(graph, options);
    checkPlan(graph, plan);
    expect(plan.stages).toHaveLength(1);
    expect(plan.stages[0].shards.map((s) => [s.tasks, s.cost])).toEqual([
      [['a'], 5],
      [['e', 'f'], 4],
      [['b', 'c', 'd'], 3],
    ]);
    expect(plan.stages[0].ratio).toBeCloseTo(5 / 4);
  });

  it('a hub with a wide fan-out: the hub first, then the fan-out over every agent', () => {
    const edges: Record<string, string[]> = { hub: [] };
    for (let i = 1; i <= 12; i++) edges[`f${String(i).padStart(2, '0')}`] = ['hub'];
    const graph = graphOf(edges);
    const plan = planStages(graph, options);
    checkPlan(graph, plan);
    expect(plan.stages.map((s) => s.shards.map((x) => x.tasks.length))).toEqual([
      [1, 0, 0],
      [4, 4, 4],
    ]);
    expect(plan.stages[1].ratio).toBe(1);
    expect(plan.length).toBe(5);
  });

  it('a deep chain beside a wide fan-out: the chain stays on one shard, the fan-out is split', () => {
    const edges: Record<string, string[]> = { k01: [] };
    for (let i = 2; i <= 10; i++) edges[`k${String(i).padStart(2, '0')}`] = [`k${String(i - 1).padStart(2, '0')}`];
    edges.hub = [];
    for (let i = 1; i <= 20; i++) edges[`f${String(i).padStart(2, '0')}`] = ['hub'];
    const graph = graphOf(edges);
    const plan = planStages(graph, options);
    checkPlan(graph, plan);
    expect(plan.stages).toHaveLength(2);
    // Better than one stage (the fan-out on one shard: 21) and close to the lower bound (31 / 3).
    expect(plan.length).toBeLessThan(21);
    expect(plan.length).toBeLessThanOrEqual(Math.ceil(plan.lowerBound) + 2);
  });

  it('tasks that will not build (cost 0) weigh nothing: a free hub does not hold the fan-out on one shard', () => {
    const edges: Record<string, string[]> = { hub: [] };
    for (let i = 1; i <= 6; i++) edges[`f${i}`] = ['hub'];
    const graph = graphOf(edges, { hub: 0 });
    const plan = planStages(graph, options);
    checkPlan(graph, plan);
    expect(plan.stages.map((s) => s.largest)).toEqual([0, 2]);
    expect(plan.stages[0].ratio).toBe(1);
    expect(plan.cost).toBe(6);
  });

  it('cost-0 components spread over agents by count', () => {
    const graph = graphOf({ a: [], b: [], c: [], d: [] }, { a: 0, b: 0, c: 0, d: 0 });
    const plan = planStages(graph, options);
    expect(plan.stages[0].shards.map((s) => s.tasks)).toEqual([['a', 'd'], ['b'], ['c']]);
  });

  it('maxStages 1: everything in one stage, whole components per shard', () => {
    const edges: Record<string, string[]> = { hub: [] };
    for (let i = 1; i <= 6; i++) edges[`f${i}`] = ['hub'];
    edges.solo = [];
    const graph = graphOf(edges);
    const plan = planStages(graph, { ...options, maxStages: 1 });
    checkPlan(graph, plan);
    expect(plan.stages).toHaveLength(1);
    expect(plan.stages[0].shards.map((s) => s.tasks.length)).toEqual([7, 1, 0]);
  });

  it('never more stages than maxStages, whatever the depth', () => {
    const edges: Record<string, string[]> = {};
    for (let level = 0; level < 8; level++)
      for (let i = 0; i < 6; i++) edges[`l${level}x${i}`] = level === 0 ? [] : [`l${level - 1}x0`];
    const graph = graphOf(edges);
    for (const maxStages of [1, 2, 3, 5]) {
      const plan = planStages(graph, { ...options, maxStages });
      checkPlan(graph, plan);
      expect(plan.stages.length).toBeLessThanOrEqual(maxStages);
    }
  });

  it('one agent: one stage, every task on it', () => {
    const graph = randomGraph(5, 40);
    const plan = planStages(graph, { ...options, agents: 1 });
    checkPlan(graph, plan);
    expect(plan.stages).toHaveLength(1);
    expect(plan.stages[0].ratio).toBe(1);
  });

  it('a large stage overhead keeps one stage', () => {
    const edges: Record<string, string[]> = { hub: [] };
    for (let i = 1; i <= 12; i++) edges[`f${i}`] = ['hub'];
    expect(planStages(graphOf(edges), { ...options, stageOverhead: 100 }).stages).toHaveLength(1);
  });

  it('the same plan whatever the order of tasks and edges', () => {
    const graph = randomGraph(11, 120);
    const shuffled: StageGraph = {
      tasks: [...graph.tasks].reverse(),
      deps: new Map([...graph.deps].reverse().map(([k, v]) => [k, [...v].reverse()])),
      cost: new Map([...graph.cost!].reverse()),
    };
    expect(planStages(shuffled, options)).toEqual(planStages(graph, options));
  });

  it.each([1, 2, 3, 4, 6, 7])('random graphs: a valid plan for seed %i at 1 to 8 agents', (seed) => {
    const graph = randomGraph(seed, 150);
    for (const agents of [1, 2, 3, 5, 8]) {
      const plan = planStages(graph, { ...options, agents });
      checkPlan(graph, plan);
      expect(plan.length).toBeGreaterThanOrEqual(plan.lowerBound - 1e-9);
      for (const stage of plan.stages) {
        expect(stage.shards).toHaveLength(agents);
        expect(stage.ratio).toBeGreaterThanOrEqual(1 - 1e-9);
      }
    }
  });

  it('ignores dependencies outside the tasks and duplicate names', () => {
    const graph: StageGraph = { tasks: ['b', 'a', 'b'], deps: new Map([['b', ['a', 'zlib', 'a']]]) };
    const plan = planStages(graph, options);
    expect(plan.stages[0].shards[0].tasks).toEqual(['a', 'b']);
  });

  it('an empty graph is an empty plan', () => {
    expect(planStages(graphOf({}), options)).toEqual({ stages: [], cost: 0, length: 0, lowerBound: 0 });
  });

  it.each([0, -1, 1.5, 257, Number.NaN])('refuses agents = %p', (agents) => {
    expect(() => planStages(graphOf({ a: [] }), { ...options, agents })).toThrow(
      /agents must be a whole number from 1 to 256/,
    );
  });

  it('refuses maxStages 0, a negative overhead and a negative cost', () => {
    expect(() => planStages(graphOf({ a: [] }), { ...options, maxStages: 0 })).toThrow(/maxStages must be/);
    expect(() => planStages(graphOf({ a: [] }), { ...options, stageOverhead: -1 })).toThrow(/stageOverhead/);
    expect(() => planStages(graphOf({ a: [] }, { a: -2 }), options)).toThrow(/cost of a/);
  });

  it('a cycle is an error naming its tasks', () => {
    expect(() => planStages(graphOf({ a: ['c'], b: ['a'], c: ['b'], d: [] }), options)).toThrow(StagePlanError);
    expect(() => planStages(graphOf({ a: ['c'], b: ['a'], c: ['b'], d: [] }), options)).toThrow(/cycle.*a, b, c/);
  });

  it('more stages allowed never make a longer plan, counting each stage its overhead', () => {
    const graph = randomGraph(3, 300);
    const score = (p: StagePlan) => p.length + (p.stages.length - 1) * options.stageOverhead;
    let before = Infinity;
    for (const maxStages of [1, 2, 3, 4, 6]) {
      const plan = planStages(graph, { ...options, maxStages });
      expect(score(plan)).toBeLessThanOrEqual(before + 1e-9);
      before = score(plan);
    }
  });

  /**
   * The shape of a real tree below a changed hub: `depth` levels of `width`
   * builds, each depending on two builds of the level below (so the whole
   * tree is one connected piece) and on a published base (cost 0) that every
   * build shares.
   */
  function hubTree(depth: number, width: number): StageGraph {
    const rnd = random(41);
    const edges: Record<string, string[]> = { base: [], hub: ['base'] };
    const cost: Record<string, number> = { base: 0 };
    const at = (level: number, i: number) => `t${level}x${String(i).padStart(2, '0')}`;
    for (let level = 1; level <= depth; level++)
      for (let i = 0; i < width; i++) {
        const below = (k: number) => (level === 1 ? 'hub' : at(level - 1, k));
        edges[at(level, i)] = ['base', below(i), below(Math.floor(rnd() * width))];
      }
    return graphOf(edges, cost);
  }

  it.each([2, 4, 6])(
    'a connected tree below a changed hub is cut by level, each level spread over %i agents',
    (agents) => {
      const graph = hubTree(6, 24);
      const plan = planStages(graph, { agents, maxStages: 8, stageOverhead: 1 });
      checkPlan(graph, plan);
      // The hub (and the free base), then each level of 24 independent builds over every agent.
      expect(plan.stages.map((s) => s.cost)).toEqual([1, 24, 24, 24, 24, 24, 24]);
      for (const stage of plan.stages.slice(1)) expect(stage.largest).toBe(24 / agents);
      expect(plan.length).toBe(1 + (6 * 24) / agents);
      // Packing connected pieces whole (a stage per run of levels) would hold the tree on one agent.
      expect(planStages(graph, { agents, maxStages: 1, stageOverhead: 1 }).stages[0].largest).toBe(145);
    },
  );

  it('fewer stage jobs than levels: levels are grouped where that costs least, still far better than one agent', () => {
    const graph = hubTree(6, 24);
    const plan = planStages(graph, { agents: 4, maxStages: 4, stageOverhead: 1 });
    checkPlan(graph, plan);
    expect(plan.stages.length).toBeLessThanOrEqual(4);
    // One stage: 145 on one agent; with four, the levels that are not cut stay joined in pieces.
    expect(plan.length + plan.stages.length - 1).toBeLessThan(100);
    expect(plan.stages.length).toBe(4);
  });

  it('a chain beside independent builds stays on one agent when another stage would cost more than it saves', () => {
    const graph = graphOf({
      k1: [],
      k2: ['k1'],
      k3: ['k2'],
      k4: ['k3'],
      a: [],
      b: [],
      c: [],
      d: [],
      e: [],
      f: [],
      g: [],
      h: [],
    });
    const plan = planStages(graph, { agents: 2, maxStages: 6, stageOverhead: 1 });
    checkPlan(graph, plan);
    expect(plan.stages).toHaveLength(1);
    expect(plan.stages[0].largest).toBe(6);
    expect(plan.stages[0].shards.find((s) => s.tasks.includes('k1'))!.tasks).toEqual(
      expect.arrayContaining(['k1', 'k2', 'k3', 'k4']),
    );
  });

  it(`more levels than MAX_BLOCKS (${MAX_BLOCKS}): cuts between blocks of levels, still a valid plan`, () => {
    const graph = hubTree(3 * MAX_BLOCKS, 4);
    for (const maxStages of [1, 6, 64]) {
      const plan = planStages(graph, { agents: 4, maxStages, stageOverhead: 0 });
      checkPlan(graph, plan);
      expect(plan.stages.length).toBeLessThanOrEqual(Math.min(maxStages, MAX_BLOCKS));
      expect(plan.length).toBeGreaterThanOrEqual(plan.lowerBound);
    }
  });

  it('a large tree is planned the same way twice, whatever the order it is given in', () => {
    const graph = hubTree(8, 40);
    const shuffled: StageGraph = {
      tasks: [...graph.tasks].reverse(),
      deps: new Map([...graph.deps].reverse()),
      cost: graph.cost,
    };
    const plan = planStages(graph, { agents: 6, maxStages: 6, stageOverhead: 1 });
    expect(planStages(shuffled, { agents: 6, maxStages: 6, stageOverhead: 1 })).toEqual(plan);
    checkPlan(graph, plan);
  });

  it('a deep connected graph in three stages: far shorter than one stage', () => {
    const graph = randomGraph(9, 300);
    const one = planStages(graph, { ...options, maxStages: 1 });
    const three = planStages(graph, { ...options, maxStages: 3 });
    expect(three.length + 2).toBeLessThan(one.length * 0.75);
  });
});
