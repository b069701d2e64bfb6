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
 * How: a stage takes a prefix of what is left, closed under dependencies
 * (the tasks up to some depth, depth being the longest dependency path from
 * a task without dependencies; or down to some height, the longest path to a
 * task without dependents); its weakly connected pieces are packed onto the
 * agents (costliest first onto the least loaded). The prefix chosen is the
 * one with the smallest estimate of the rest of the run: this stage's
 * largest shard, plus a stage's overhead and the rest (packed as the last
 * stage when only one is left after this one, else its lower bound: its
 * cost over the agents, its longest path). Ties go to the larger prefix. The
 * last stage allowed takes all that is left. This is done for at most 1, 2,
 * … maxStages stages, and the plan kept is the shortest, counting each
 * stage's overhead (ties: fewer stages). A chain a ← b ← c fits on one
 * shard, so it is one stage.
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

interface Bin {
  agent: number;
  cost: number;
  tasks: number[];
}

/**
 * Packs the weakly connected components of `members` (a set of task indexes,
 * `inSet[i]`) onto `agents` bins: largest cost first (then most tasks, then
 * first name) onto the bin with the least cost (then fewest tasks, then lowest
 * agent). Indexes are in name order, so the first member is the first name.
 */
function pack(members: number[], inSet: Uint8Array, deps: number[][], cost: number[], agents: number): Bin[] {
  const parent = new Map<number, number>();
  for (const i of members) parent.set(i, i);
  const find = (i: number): number => {
    let root = i;
    while (parent.get(root)! !== root) root = parent.get(root)!;
    while (parent.get(i)! !== root) {
      const next = parent.get(i)!;
      parent.set(i, root);
      i = next;
    }
    return root;
  };
  for (const i of members)
    for (const d of deps[i]) {
      if (!inSet[d]) continue;
      const a = find(i);
      const b = find(d);
      if (a !== b) parent.set(Math.max(a, b), Math.min(a, b));
    }
  const components = new Map<number, { first: number; cost: number; tasks: number[] }>();
  for (const i of [...members].sort((a, b) => a - b)) {
    const root = find(i);
    let c = components.get(root);
    if (!c) components.set(root, (c = { first: i, cost: 0, tasks: [] }));
    c.cost += cost[i];
    c.tasks.push(i);
  }
  const sorted = [...components.values()].sort(
    (a, b) => b.cost - a.cost || b.tasks.length - a.tasks.length || a.first - b.first,
  );
  const bins: Bin[] = Array.from({ length: agents }, (_, k) => ({ agent: k + 1, cost: 0, tasks: [] }));
  for (const c of sorted) {
    let best = bins[0];
    for (const bin of bins)
      if (bin.cost < best.cost || (bin.cost === best.cost && bin.tasks.length < best.tasks.length)) best = bin;
    best.cost += c.cost;
    best.tasks.push(...c.tasks);
  }
  for (const bin of bins) bin.tasks.sort((a, b) => a - b);
  return bins;
}

const largestOf = (bins: Bin[]) => bins.reduce((m, b) => Math.max(m, b.cost), 0);

/** The costliest dependency path among `members` (in dependency order `order`). */
function longestPath(order: number[], inSet: Uint8Array, deps: number[][], cost: number[]): number {
  const best = new Map<number, number>();
  let longest = 0;
  for (const i of order) {
    if (!inSet[i]) continue;
    let before = 0;
    for (const d of deps[i]) if (inSet[d]) before = Math.max(before, best.get(d)!);
    best.set(i, before + cost[i]);
    longest = Math.max(longest, before + cost[i]);
  }
  return longest;
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
  const all = new Uint8Array(names.length).fill(1);
  const total = cost.reduce((s, c) => s + c, 0);
  const lowerBound = Math.max(total / options.agents, longestPath(order, all, deps, cost));

  // The best of the plans with at most 1, 2, … maxStages stages, each stage's overhead counted;
  // ties go to fewer stages. Stops once two more stages in a row did not help.
  let best: { stages: Stage[]; score: number } | undefined;
  let worse = 0;
  for (let most = 1; most <= options.maxStages && worse < 2; most++) {
    const stages = greedyStages(names, order, deps, cost, { ...options, maxStages: most });
    const score =
      stages.reduce((sum, st) => sum + st.largest, 0) + options.stageOverhead * Math.max(0, stages.length - 1);
    if (!best || score < best.score - 1e-9) {
      best = { stages, score };
      worse = 0;
    } else worse++;
  }
  const stages = best!.stages;
  return { stages, cost: total, length: stages.reduce((s, st) => s + st.largest, 0), lowerBound };
}

/** Stages one after the other, each the prefix chooseStage picks; the last allowed takes all that is left. */
function greedyStages(
  names: string[],
  order: number[],
  deps: number[][],
  cost: number[],
  options: StageOptions,
): Stage[] {
  const left = new Uint8Array(names.length).fill(1);
  let leftCount = names.length;
  const stages: Stage[] = [];
  while (leftCount > 0) {
    const stagesLeft = options.maxStages - stages.length;
    const take = stagesLeft === 1 ? allLeft(left) : chooseStage(left, order, deps, cost, options, stagesLeft);
    const inStage = new Uint8Array(names.length);
    for (const i of take) inStage[i] = 1;
    const bins = pack(take, inStage, deps, cost, options.agents);
    const stageCost = bins.reduce((s, b) => s + b.cost, 0);
    const largest = largestOf(bins);
    const ideal = stageCost / options.agents;
    stages.push({
      stage: stages.length + 1,
      shards: bins.map((b) => ({ agent: b.agent, tasks: b.tasks.map((i) => names[i]), cost: b.cost })),
      cost: stageCost,
      largest,
      ideal,
      ratio: stageCost === 0 ? 1 : largest / ideal,
    });
    for (const i of take) left[i] = 0;
    leftCount -= take.length;
  }
  return stages;
}

function allLeft(left: Uint8Array): number[] {
  const out: number[] = [];
  left.forEach((v, i) => v && out.push(i));
  return out;
}

/**
 * The tasks of what is left by levels, in two orders that each keep every
 * union of leading levels closed under dependencies: by depth (longest path
 * from a task without dependencies), shallowest first; and by height
 * (longest path to a task without dependents), highest first.
 */
function levels(left: Uint8Array, order: number[], deps: number[][]): number[][][] {
  const depth = new Map<number, number>();
  const height = new Map<number, number>();
  const members: number[] = [];
  for (const i of order) {
    if (!left[i]) continue;
    members.push(i);
    let d = 0;
    for (const dep of deps[i]) if (left[dep]) d = Math.max(d, depth.get(dep)! + 1);
    depth.set(i, d);
    height.set(i, 0);
  }
  for (let k = members.length - 1; k >= 0; k--) {
    const i = members[k];
    for (const dep of deps[i]) if (left[dep]) height.set(dep, Math.max(height.get(dep)!, height.get(i)! + 1));
  }
  const group = (level: Map<number, number>, reverse: boolean) => {
    const top = Math.max(0, ...level.values());
    const out: number[][] = Array.from({ length: top + 1 }, () => []);
    for (const i of members) out[reverse ? top - level.get(i)! : level.get(i)!].push(i);
    return out;
  };
  return [group(depth, false), group(height, true)];
}

/**
 * The prefix of what is left that the next stage takes (see the module's
 * comment); `stagesLeft` counts this stage. When only one stage would be
 * left after it, the rest is packed as that stage would be; otherwise it is
 * estimated by its lower bound.
 */
function chooseStage(
  left: Uint8Array,
  order: number[],
  deps: number[][],
  cost: number[],
  options: StageOptions,
  stagesLeft: number,
): number[] {
  let best: { score: number; prefix: number[] } | undefined;
  for (const byLevel of levels(left, order, deps)) {
    const inPrefix = new Uint8Array(left.length);
    const rest = Uint8Array.from(left);
    const prefix: number[] = [];
    let restCost = 0;
    left.forEach((v, i) => v && (restCost += cost[i]));
    for (let level = 0; level < byLevel.length; level++) {
      for (const i of byLevel[level]) {
        inPrefix[i] = 1;
        rest[i] = 0;
        prefix.push(i);
        restCost -= cost[i];
      }
      const stage = largestOf(pack(prefix, inPrefix, deps, cost, options.agents));
      let restLength = 0;
      if (level < byLevel.length - 1) {
        const restMembers = allLeft(rest);
        restLength =
          options.stageOverhead +
          (stagesLeft === 2
            ? largestOf(pack(restMembers, rest, deps, cost, options.agents))
            : Math.max(restCost / options.agents, longestPath(order, rest, deps, cost)));
      }
      const score = stage + restLength;
      // Ties (within rounding) go to the larger prefix: fewer stages.
      if (!best || score < best.score - 1e-9 || (score <= best.score + 1e-9 && prefix.length > best.prefix.length))
        best = { score, prefix: [...prefix] };
    }
  }
  return best!.prefix;
}
