/**
 * `nx-conda:plan`: the tasks of a run that CI asks for (`nx affected -t
 * build-recipe`, or run-many), as Nx itself makes them, split into stages
 * and shards for N agents (../stages.ts) and written as one plan file
 * (../plan-file.ts). Made once by a plan job; every agent then runs its
 * shard of the same plan (nx-conda:shard), with no coordination.
 */
import type { ExecutorContext } from '@nx/devkit';
import { appendFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { maskCredentials } from '../../container';
import { ensureRealDir, writeFileAtomic } from '../../core/atomic-write';
import { OptionError } from '../../core/errors';
import { checkedCount, workspaceFile } from '../agent-options';
import { logger } from '../../core/logger';
import { withSchemaDefaults } from '../../core/schema-defaults';
import { checkoutCommit, nxTaskGraph, type NxTaskGraph } from '../nx-cli';
import { describePlan, githubOutputs, isPlainProjectName, makePlanFile } from '../plan-file';
import { runExecutor } from '../run-executor';
import { MAX_AGENTS, MAX_STAGES, planStages } from '../stages';
import { taskCosts } from './costs';
import schemaJson from './schema.json';
import type { PlanExecutorSchema } from './schema';

/** The arguments of the Nx command whose tasks are planned. */
export function nxArgs(options: ReturnType<typeof withPlanDefaults>): string[] {
  if (!options.affected)
    return ['run-many', '-t', options.target, ...(options.projects.length ? ['-p', ...options.projects] : [])];
  return [
    'affected',
    '-t',
    options.target,
    ...(options.base ? [`--base=${options.base}`] : []),
    ...(options.head ? [`--head=${options.head}`] : []),
  ];
}

const withPlanDefaults = (options: PlanExecutorSchema) => withSchemaDefaults(schemaJson, options);

/**
 * The build tasks of `graph` and, for each, the build tasks it depends on:
 * through tasks of other targets too (a lint, the builder image), which each
 * agent runs for itself.
 */
export function buildTaskGraph(
  graph: NxTaskGraph,
  target: string,
): { projects: string[]; deps: Map<string, string[]> } {
  const build = new Map(graph.tasks.filter((t) => t.target === target).map((t) => [t.id, t.project]));
  const deps = new Map<string, string[]>();
  for (const [id, project] of build) {
    const found = new Set<string>();
    const seen = new Set<string>([id]);
    const stack = [...(graph.dependencies.get(id) ?? [])];
    while (stack.length) {
      const dep = stack.pop()!;
      if (seen.has(dep)) continue;
      seen.add(dep);
      const depProject = build.get(dep);
      if (depProject !== undefined) found.add(depProject);
      else stack.push(...(graph.dependencies.get(dep) ?? []));
    }
    deps.set(project, [...found].sort());
  }
  return { projects: [...build.values()].sort(), deps };
}

export default async function planExecutor(
  given: PlanExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runExecutor(async () => {
    const options = withPlanDefaults(given);
    const agents = checkedCount(options.agentCount, 'agentCount', MAX_AGENTS);
    const maxStages = checkedCount(options.maxStages, 'maxStages', MAX_STAGES);
    if (typeof options.stageOverhead !== 'number' || !(options.stageOverhead >= 0))
      throw new OptionError('stageOverhead', `stageOverhead must be a number ≥ 0, got ${options.stageOverhead}.`);
    if (!isPlainProjectName(options.target))
      throw new OptionError('target', `target must be a target name, got ${JSON.stringify(options.target)}.`);
    const file = workspaceFile(context.root, options.outputFile, 'outputFile');
    const commit = checkoutCommit(context.root);

    const graph = nxTaskGraph(context.root, nxArgs(options));
    const { projects, deps } = buildTaskGraph(graph, options.target);
    const odd = projects.find((p) => !isPlainProjectName(p));
    if (odd !== undefined)
      throw new OptionError('projects', `project ${JSON.stringify(odd)} cannot be named on a command line; rename it.`);
    const costs = await taskCosts(context, projects, options.target);
    for (const note of costs.notes) logger.warn(`nx-conda: plan: counted as a build: ${maskCredentials(note)}`);

    const plan = planStages(
      { tasks: projects, deps, cost: costs.cost },
      { agents, maxStages, stageOverhead: options.stageOverhead },
    );
    const planFile = makePlanFile(plan, {
      commit,
      target: options.target,
      agents,
      maxStages,
      toBuild: projects.length - costs.published,
    });
    ensureRealDir(dirname(file));
    writeFileAtomic(file, `${JSON.stringify(planFile, null, 1)}\n`);
    for (const line of describePlan(planFile)) logger.info(line);
    if (costs.published > 0)
      logger.info(`  ${costs.published} task(s) already in the upstream channels (skipExisting) count for nothing`);
    logger.info(`nx-conda: plan written to ${relative(context.root, file)}`);
    const githubOutput = process.env.GITHUB_OUTPUT;
    if (githubOutput) {
      appendFileSync(githubOutput, githubOutputs(planFile));
      logger.info('nx-conda: plan, stages and stage-1 … stage-N written to $GITHUB_OUTPUT');
    }
  });
}
