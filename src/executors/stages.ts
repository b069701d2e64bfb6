/**
 * The plan of a run over many CI agents: the tasks of one target (one per
 * project) split into stages, each stage into one shard per agent. Every
 * task is in exactly one shard; a shard's tasks depend only on tasks of the
 * same shard or of earlier stages, so the agents of a stage never wait for
 * each other and a dependency from an earlier stage is a cache hit.
 *
 * Pure and deterministic: the same graph, costs and options give the same
 * plan on every machine (names are sorted, ties are broken by name, no
 * randomness, no clock).
 *
 * How: every task gets a level above the levels of its dependencies, except
 * that a task that will not build (cost 0) may share a level with a
 * dependency that will not build either. Each level is therefore a set of
 * independent builds and pieces of free tasks, which can be spread over the
 * agents freely. Two levelings are
 * tried: as soon as possible (from the tasks without dependencies up) and as
 * late as possible (from the tasks without dependents down). A stage takes a
 * run of consecutive levels; its weakly connected pieces are packed onto the
 * agents (costliest first onto the least loaded). More levels in one stage
 * mean fewer stages but larger pieces (a chain that spans them stays on one
 * agent); the cut into at most maxStages runs of levels is chosen by dynamic
 * programming to make the predicted run shortest: Σ of each stage's largest
 * shard plus `stageOverhead` for each stage after the first (a CI job's
 * start). Ties go to fewer stages, then to the first leveling. With more
 * than MAX_BLOCKS levels, cuts are only tried between blocks of consecutive
 * levels of about equal cost, which keeps the plan's time bounded.
 */
import { UserError } from '../core/errors';

export interface StageGraph {
  /** Every task (project) name. */
  tasks: string[];
  /** The tasks each task depends on (names of `tasks`; others are ignored). */
  deps: ReadonlyMap<string, readonly string[]>;
  /** What building a task costs (0: it will not build); a task not listed costs 1. */
  cost?: ReadonlyMap<string, number>;
}

export interface StageOptions {
  agents: number;
  /** The most stages the CI has jobs for. */
  maxStages: number;
  /** What one more stage costs (a job's start), in the unit of the costs. */
  stageOverhead: number;
}

export interface Shard {
  /** 1-based. */
  agent: number;
  tasks: string[];
  cost: number;
}

export interface Stage {
  /** 1-based. */
  stage: number;
  /** One per agent, empty ones included. */
  shards: Shard[];
  cost: number;
  /** The largest shard's cost. */
  largest: number;
  /** cost ÷ agents: a perfectly balanced shard. */
  ideal: number;
  /** largest ÷ ideal (1 when the stage costs nothing). */
  ratio: number;
}

export interface StagePlan {
  stages: Stage[];
  cost: number;
  /** Σ of each stage's largest shard: the plan's length in cost units. */
  length: number;
  /** No plan is shorter than max(cost ÷ agents, the costliest dependency path). */
  lowerBound: number;
}

/** The most agents a plan takes: GitHub Actions' limit of jobs in one matrix. */
export const MAX_AGENTS = 256;
export const MAX_STAGES = 64;

/** A bad argument of a plan (agents, stages, a cycle): the message says which and why. */
export class StagePlanError extends UserError {}

function checkCount(value: number, name: string, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new StagePlanError(`${name} must be a whole number from 1 to ${max}, got ${String(value)}.`);
}

/** Task indexes in dependency order (dependencies first); throws on a cycle, naming its tasks. */
function topologicalOrder(names: string[], deps: number[][]): number[] {
  const missing = deps.map((d) => d.length);
  const dependents: number[][] = names.map(() => []);
  deps.forEach((list, i) => list.forEach((d) => dependents[d].push(i)));
  const order: number[] = [];
  for (let i = 0; i < names.length; i++) if (missing[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) for (const j of dependents[order[k]]) if (--missing[j] === 0) order.push(j);
  if (order.length !== names.length) {
    const stuck = names.filter((_, i) => missing[i] > 0);
    throw new StagePlanError(
      `the tasks form a dependency cycle; tasks in or behind it: ${stuck.slice(0, 10).join(', ')}${stuck.length > 10 ? ', …' : ''}.`,
    );
  }
  return order;
}

/** Above this many levels, stage cuts are tried only between this many blocks of levels. */
export const MAX_BLOCKS = 48;

interface Bin {
  agent: number;
  cost: number;
  /** How many tasks it holds (tasks may be left out while only sizes are needed). */
  count: number;
  tasks: number[];
}

/** Bin order for packing: least cost, then fewest tasks, then lowest agent. */
const binBefore = (a: Bin, b: Bin) =>
  a.cost < b.cost || (a.cost === b.cost && (a.count < b.count || (a.count === b.count && a.agent < b.agent)));

/** Scratch arrays shared by the packs of one plan (a stamp marks the members of the current pack). */
interface Scratch {
  stamp: Int32Array;
  parent: Int32Array;
  pieceCost: Float64Array;
  pieceCount: Int32Array;
  current: number;
}

/**
 * Packs the weakly connected pieces of `members` (task indexes) onto `agents`
 * bins: costliest piece first (then most tasks, then first name) onto the
 * least loaded bin (a binary heap: log(agents) per piece). Indexes are in
 * name order; a piece is known by its first task. Without `withTasks`, the
 * bins' task lists stay empty (sizes only, for comparing cuts).
 */
function pack(
  members: number[],
  deps: number[][],
  cost: number[],
  agents: number,
  scratch: Scratch,
  withTasks = true,
): Bin[] {
  const { stamp, parent, pieceCost, pieceCount } = scratch;
  const mark = ++scratch.current;
  for (const i of members) {
    stamp[i] = mark;
    parent[i] = i;
    pieceCost[i] = 0;
    pieceCount[i] = 0;
  }
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root];
    while (parent[i] !== root) {
      const next = parent[i];
      parent[i] = root;
      i = next;
    }
    return root;
  };
  // The root of a piece is its smallest index: its first name.
  for (const i of members)
    for (const d of deps[i]) {
      if (stamp[d] !== mark) continue;
      const a = find(i);
      const b = find(d);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  const roots: number[] = [];
  for (const i of members) {
    const root = find(i);
    if (root === i) roots.push(i);
    pieceCost[root] += cost[i];
    pieceCount[root]++;
  }
  roots.sort((a, b) => pieceCost[b] - pieceCost[a] || pieceCount[b] - pieceCount[a] || a - b);
  const tasksOf = new Map<number, number[]>();
  if (withTasks)
    for (const i of members) {
      const root = parent[i];
      const list = tasksOf.get(root);
      if (list) list.push(i);
      else tasksOf.set(root, [i]);
    }
  const bins: Bin[] = Array.from({ length: agents }, (_, k) => ({ agent: k + 1, cost: 0, count: 0, tasks: [] }));
  const heap = [...bins];
  for (const root of roots) {
    const top = heap[0];
    top.cost += pieceCost[root];
    top.count += pieceCount[root];
    if (withTasks) for (const t of tasksOf.get(root)!) top.tasks.push(t);
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && binBefore(heap[l], heap[m])) m = l;
      if (r < heap.length && binBefore(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
  for (const bin of bins) bin.tasks.sort((a, b) => a - b);
  return bins;
}

const largestOf = (bins: Bin[]) => bins.reduce((m, b) => Math.max(m, b.cost), 0);

/** The costliest dependency path (tasks in dependency order `order`). */
function longestPath(order: number[], deps: number[][], cost: number[]): number {
  const best = new Float64Array(order.length);
  let longest = 0;
  for (const i of order) {
    let before = 0;
    for (const d of deps[i]) before = Math.max(before, best[d]);
    best[i] = before + cost[i];
    longest = Math.max(longest, best[i]);
  }
  return longest;
}

/**
 * Each task's level, as soon as possible: above each of its dependencies,
 * except that a task that will not build may share the level of a
 * dependency that will not build either.
 */
function earliestLevels(order: number[], deps: number[][], cost: number[]): Int32Array {
  const level = new Int32Array(order.length);
  for (const i of order) {
    let l = 0;
    for (const d of deps[i]) l = Math.max(l, level[d] + (cost[d] > 0 || cost[i] > 0 ? 1 : 0));
    level[i] = l;
  }
  return level;
}

/** Each task's level, as late as possible (the same rule, counted from the tasks without dependents). */
function latestLevels(order: number[], deps: number[][], cost: number[]): Int32Array {
  const height = new Int32Array(order.length);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k];
    for (const d of deps[i]) height[d] = Math.max(height[d], height[i] + (cost[d] > 0 || cost[i] > 0 ? 1 : 0));
  }
  let top = 0;
  for (const h of height) top = Math.max(top, h);
  return height.map((h) => top - h);
}

/**
 * The tasks of each level, levels merged into at most MAX_BLOCKS blocks of
 * consecutive levels of about equal cost (each task counted at least a
 * little, so that free levels spread too).
 */
function blocksOf(level: Int32Array, cost: number[]): number[][] {
  let top = 0;
  for (const l of level) top = Math.max(top, l);
  const levels: number[][] = Array.from({ length: top + 1 }, () => []);
  level.forEach((l, i) => levels[l].push(i));
  if (levels.length <= MAX_BLOCKS) return levels;
  const weight = (tasks: number[]) => tasks.reduce((s, i) => s + cost[i] + 1e-3, 0);
  const total = levels.reduce((s, tasks) => s + weight(tasks), 0);
  const blocks: number[][] = [];
  let done = 0;
  let current: number[] = [];
  for (const tasks of levels) {
    current.push(...tasks);
    done += weight(tasks);
    if (done >= (total * (blocks.length + 1)) / MAX_BLOCKS - 1e-9) {
      blocks.push(current);
      current = [];
    }
  }
  if (current.length) blocks.push(current);
  return blocks;
}

interface Split {
  /** The blocks each stage starts at, and the end. */
  cuts: number[];
  score: number;
}

/**
 * The cut of `blocks` into at most `maxStages` runs of consecutive blocks
 * with the smallest predicted length (Σ largest shard + overhead per stage
 * after the first); ties go to fewer stages.
 */
function bestSplit(
  blocks: number[][],
  deps: number[][],
  cost: number[],
  options: StageOptions,
  scratch: Scratch,
): Split {
  const k = blocks.length;
  // span[i][j]: the largest shard of a stage made of blocks i … j-1.
  const span: Float64Array[] = [];
  for (let i = 0; i < k; i++) {
    span.push(new Float64Array(k + 1));
    const members: number[] = [];
    for (let j = i + 1; j <= k; j++) {
      members.push(...blocks[j - 1]);
      span[i][j] = largestOf(pack(members, deps, cost, options.agents, scratch, false));
    }
  }
  const most = Math.min(options.maxStages, k);
  // best[s][j]: the shortest Σ largest for blocks 0 … j-1 in s stages; from[s][j]: where its last stage starts.
  const best: Float64Array[] = [Float64Array.from({ length: k + 1 }, (_, j) => (j === 0 ? 0 : Infinity))];
  const from: Int32Array[] = [new Int32Array(k + 1)];
  let chosen: { stages: number; score: number } | undefined;
  for (let s = 1; s <= most; s++) {
    const row = new Float64Array(k + 1).fill(Infinity);
    const back = new Int32Array(k + 1);
    for (let j = s; j <= k; j++)
      for (let i = s - 1; i < j; i++) {
        const value = best[s - 1][i] + span[i][j];
        if (value < row[j] - 1e-9) {
          row[j] = value;
          back[j] = i;
        }
      }
    best.push(row);
    from.push(back);
    const score = row[k] + options.stageOverhead * (s - 1);
    if (!chosen || score < chosen.score - 1e-9) chosen = { stages: s, score };
  }
  const cuts = [k];
  for (let s = chosen!.stages, j = k; s > 0; s--) cuts.unshift((j = from[s][j]));
  return { cuts, score: chosen!.score };
}

/** Splits `graph` into stages and shards for `options.agents` agents (see the module's comment). */
export function planStages(graph: StageGraph, options: StageOptions): StagePlan {
  checkCount(options.agents, 'agents', MAX_AGENTS);
  checkCount(options.maxStages, 'maxStages', MAX_STAGES);
  if (!Number.isFinite(options.stageOverhead) || options.stageOverhead < 0)
    throw new StagePlanError(`stageOverhead must be a number ≥ 0, got ${String(options.stageOverhead)}.`);
  const names = [...new Set(graph.tasks)].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const deps = names.map((n) => [
    ...new Set((graph.deps.get(n) ?? []).map((d) => index.get(d)).filter((d): d is number => d !== undefined)),
  ]);
  const cost = names.map((n) => {
    const c = graph.cost?.get(n) ?? 1;
    if (!Number.isFinite(c) || c < 0) throw new StagePlanError(`the cost of ${n} must be a number ≥ 0, got ${c}.`);
    return c;
  });
  const order = topologicalOrder(names, deps);
  const total = cost.reduce((s, c) => s + c, 0);
  const lowerBound = Math.max(total / options.agents, longestPath(order, deps, cost));
  if (names.length === 0) return { stages: [], cost: 0, length: 0, lowerBound: 0 };

  const scratch: Scratch = {
    stamp: new Int32Array(names.length),
    parent: new Int32Array(names.length),
    pieceCost: new Float64Array(names.length),
    pieceCount: new Int32Array(names.length),
    current: 0,
  };
  let chosen: { blocks: number[][]; split: Split } | undefined;
  for (const level of [earliestLevels(order, deps, cost), latestLevels(order, deps, cost)]) {
    const blocks = blocksOf(level, cost);
    const split = bestSplit(blocks, deps, cost, options, scratch);
    const fewer = chosen && split.cuts.length < chosen.split.cuts.length;
    if (!chosen || split.score < chosen.split.score - 1e-9 || (split.score <= chosen.split.score + 1e-9 && fewer))
      chosen = { blocks, split };
  }
  const { blocks, split } = chosen!;
  const stages: Stage[] = [];
  for (let s = 0; s + 1 < split.cuts.length; s++) {
    const members = blocks.slice(split.cuts[s], split.cuts[s + 1]).flat();
    const bins = pack(members, deps, cost, options.agents, scratch);
    const stageCost = bins.reduce((sum, b) => sum + b.cost, 0);
    const largest = largestOf(bins);
    const ideal = stageCost / options.agents;
    stages.push({
      stage: s + 1,
      shards: bins.map((b) => ({ agent: b.agent, tasks: b.tasks.map((i) => names[i]), cost: b.cost })),
      cost: stageCost,
      largest,
      ideal,
      ratio: stageCost === 0 ? 1 : largest / ideal,
    });
  }
  return { stages, cost: total, length: stages.reduce((sum, st) => sum + st.largest, 0), lowerBound };
}
