/**
 * The plan file that `plan` writes and `shard` reads: one JSON object that
 * a CI job hands to the next ones (a GitHub job output, an artifact), so
 * every agent runs the one plan made once, with no coordination. It names
 * the commit it was made from, and each stage's matrix as GitHub Actions
 * takes it (`{"agent":[1,2,3]}`: the agents with something to run).
 *
 * What comes back from a CI is outside data: it is checked whole (shape,
 * bounds, names) before a project name reaches a command line.
 */
import { UserError } from '../core/errors';
import { MAX_AGENTS, MAX_STAGES, type StagePlan } from './stages';

export const PLAN_KIND = 'nx-conda-shard-plan';
export const PLAN_VERSION = 1;
/** Largest plan file read (10,000 projects of 100 characters fit many times over). */
export const MAX_PLAN_BYTES = 16 * 1024 * 1024;
const MAX_PROJECT_NAME = 214;

export interface PlanShard {
  agent: number;
  projects: string[];
  cost: number;
}

export interface PlanStage {
  stage: number;
  /** What a GitHub Actions matrix of this stage takes as it is: the agents with something to run. */
  matrix: { agent: number[] };
  cost: number;
  largest: number;
  ideal: number;
  /** largest ÷ ideal. */
  ratio: number;
  shards: PlanShard[];
}

export interface PlanFile {
  kind: typeof PLAN_KIND;
  version: typeof PLAN_VERSION;
  /** The commit the plan was made from: a shard runs only on that checkout. */
  commit: string;
  /** The target whose tasks the plan splits (build-recipe). */
  target: string;
  agents: number;
  maxStages: number;
  /** Tasks in the plan, and those expected to build (cost > 0). */
  tasks: number;
  toBuild: number;
  cost: number;
  length: number;
  lowerBound: number;
  stages: PlanStage[];
}

/** A plan file that cannot be used (unreadable, another commit, an index out of range): nothing is built. */
export class ShardPlanError extends UserError {}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function makePlanFile(
  plan: StagePlan,
  meta: { commit: string; target: string; agents: number; maxStages: number; toBuild: number },
): PlanFile {
  return {
    kind: PLAN_KIND,
    version: PLAN_VERSION,
    commit: meta.commit,
    target: meta.target,
    agents: meta.agents,
    maxStages: meta.maxStages,
    tasks: plan.stages.reduce((n, s) => n + s.shards.reduce((m, x) => m + x.tasks.length, 0), 0),
    toBuild: meta.toBuild,
    cost: round(plan.cost),
    length: round(plan.length),
    lowerBound: round(plan.lowerBound),
    stages: plan.stages.map((s) => ({
      stage: s.stage,
      matrix: { agent: s.shards.filter((x) => x.tasks.length > 0).map((x) => x.agent) },
      cost: round(s.cost),
      largest: round(s.largest),
      ideal: round(s.ideal),
      ratio: round(s.ratio),
      shards: s.shards.map((x) => ({ agent: x.agent, projects: x.tasks, cost: round(x.cost) })),
    })),
  };
}

/**
 * `$GITHUB_OUTPUT` lines: `plan` (the whole plan, one line), `stages` (how
 * many), and `stage-1` … `stage-<maxStages>` (each stage's matrix; a stage
 * the plan does not use gets `{"agent":[]}`, which the workflow's `if` skips).
 */
export function githubOutputs(plan: PlanFile): string {
  const lines = [`plan=${JSON.stringify(plan)}`, `stages=${plan.stages.length}`];
  for (let k = 1; k <= plan.maxStages; k++)
    lines.push(`stage-${k}=${JSON.stringify(plan.stages[k - 1]?.matrix ?? { agent: [] })}`);
  return `${lines.join('\n')}\n`;
}

/** One line per stage: its shards' sizes and its balance. */
export function describePlan(plan: PlanFile): string[] {
  const lines = [
    `nx-conda: plan for ${plan.agents} agent(s) of commit ${plan.commit.slice(0, 12)}: ${plan.tasks} ${plan.target} task(s), ` +
      `${plan.toBuild} expected to build, ${plan.stages.length} stage(s) (at most ${plan.maxStages})`,
  ];
  for (const s of plan.stages) {
    const shards = s.shards.map((x) => `${x.projects.length} (${x.cost})`).join(', ');
    lines.push(
      `  stage ${s.stage}: agents ${s.matrix.agent.join(', ') || 'none'}; tasks (cost) per agent: ${shards}; ` +
        `largest ÷ ideal ${s.ratio.toFixed(2)} (${s.largest} ÷ ${s.ideal.toFixed(2)})`,
    );
  }
  lines.push(
    `  plan length ${plan.length} (Σ of each stage's largest shard), lower bound ${plan.lowerBound} (cost ÷ agents, longest dependency path)`,
  );
  return lines;
}

/* ------------------------------------------------------------------ reading */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const wholeIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const costLike = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Characters a project name on a command line never holds: controls, spaces, bidi formats, commas (Nx's list separator). */
const BAD_NAME = /[\0-\x20\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069,]/;
/** A project name as Nx would take it on a command line: printable, no leading `-`, bounded. */
export function isPlainProjectName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_PROJECT_NAME &&
    !name.startsWith('-') &&
    !BAD_NAME.test(name)
  );
}

/** Parses and checks a plan file's text; `source` names it in errors. */
export function parsePlanFile(text: string, source: string): PlanFile {
  const bad = (why: string) =>
    new ShardPlanError(`${source} is not a usable nx-conda plan: ${why}. Make it again with the plan target.`);
  if (Buffer.byteLength(text) > MAX_PLAN_BYTES) throw bad(`it is larger than ${MAX_PLAN_BYTES} bytes`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (!isObject(data) || data.kind !== PLAN_KIND) throw bad(`no "kind": "${PLAN_KIND}"`);
  if (data.version !== PLAN_VERSION) throw bad(`version ${String(data.version)}, this nx-conda reads ${PLAN_VERSION}`);
  if (typeof data.commit !== 'string' || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(data.commit))
    throw bad('"commit" is not a full commit id');
  if (!isPlainProjectName(data.target)) throw bad('"target" is not a target name');
  if (!wholeIn(data.agents, 1, MAX_AGENTS)) throw bad(`"agents" is not a whole number from 1 to ${MAX_AGENTS}`);
  if (!wholeIn(data.maxStages, 1, MAX_STAGES)) throw bad(`"maxStages" is not a whole number from 1 to ${MAX_STAGES}`);
  if (!Array.isArray(data.stages) || data.stages.length > data.maxStages)
    throw bad('"stages" is not a list of at most maxStages stages');
  for (const key of ['tasks', 'toBuild']) if (!wholeIn(data[key], 0, 10_000_000)) throw bad(`"${key}" is not a count`);
  for (const key of ['cost', 'length', 'lowerBound']) if (!costLike(data[key])) throw bad(`"${key}" is not a number`);
  const seen = new Set<string>();
  data.stages.forEach((stage: unknown, k: number) => {
    const where = `stage ${k + 1}`;
    if (!isObject(stage) || stage.stage !== k + 1) throw bad(`${where} is not numbered ${k + 1}`);
    for (const key of ['cost', 'largest', 'ideal', 'ratio'])
      if (!costLike(stage[key])) throw bad(`${where}: "${key}" is not a number`);
    if (!Array.isArray(stage.shards) || stage.shards.length !== data.agents)
      throw bad(`${where} does not have one shard per agent`);
    const withWork: number[] = [];
    stage.shards.forEach((shard: unknown, a: number) => {
      if (!isObject(shard) || shard.agent !== a + 1 || !costLike(shard.cost) || !Array.isArray(shard.projects))
        throw bad(`${where}, shard ${a + 1} is not { agent: ${a + 1}, projects, cost }`);
      for (const name of shard.projects) {
        if (!isPlainProjectName(name)) throw bad(`${where}, agent ${a + 1}: a project name is not plain`);
        if (seen.has(name)) throw bad(`project ${name} is in two shards`);
        seen.add(name);
      }
      if (shard.projects.length > 0) withWork.push(a + 1);
    });
    if (
      !isObject(stage.matrix) ||
      !Array.isArray(stage.matrix.agent) ||
      JSON.stringify(stage.matrix.agent) !== JSON.stringify(withWork)
    )
      throw bad(`${where}: "matrix" does not list the agents with projects`);
  });
  if (seen.size !== data.tasks) throw bad(`"tasks" says ${String(data.tasks)}, the shards hold ${seen.size}`);
  return data as unknown as PlanFile;
}

export interface ShardChoice {
  agents: number;
  stage: number;
  agent: number;
  /** The commit of the checkout that runs the shard. */
  commit: string;
}

/** The projects of one shard; any mismatch between the plan and what the CI asks is an error naming both. */
export function shardProjects(plan: PlanFile, choice: ShardChoice, source: string): string[] {
  if (choice.commit !== plan.commit)
    throw new ShardPlanError(
      `${source} was made from commit ${plan.commit}, but this checkout is ${choice.commit}: ` +
        'run the plan on the same commit as the shards (in one workflow run, every job checks out the same commit).',
    );
  if (choice.agents !== plan.agents)
    throw new ShardPlanError(
      `${source} was made for ${plan.agents} agent(s), but this shard was given --agentCount=${choice.agents}: ` +
        'make the plan with the agent count of the workflow.',
    );
  if (choice.stage > plan.stages.length)
    throw new ShardPlanError(
      `${source} has ${plan.stages.length} stage(s); there is no stage ${choice.stage}` +
        (plan.stages.length === 0 ? ' (nothing to build)' : '') +
        '. Run stages from 1 to the plan\'s "stages" output.',
    );
  if (choice.agent > plan.agents)
    throw new ShardPlanError(`${source} has ${plan.agents} agent(s); there is no agent ${choice.agent}.`);
  return plan.stages[choice.stage - 1].shards[choice.agent - 1].projects;
}
