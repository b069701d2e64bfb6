/**
 * `nx-conda:shard`: runs one agent's shard of one stage of a plan made by
 * nx-conda:plan, as `nx run-many -t <target> -p <its projects>`. Nx then
 * restores what earlier stages built from the remote cache, skipExisting
 * skips what is published, and the batch executor builds the rest. Every
 * check (the plan file, its commit against the checkout, agents, stage and
 * agent numbers, the projects against the graph) comes before anything runs.
 */
import type { ExecutorContext } from '@nx/devkit';
import { readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { OptionError } from '../../core/errors';
import { logger } from '../../core/logger';
import { withSchemaDefaults } from '../../core/schema-defaults';
import { BATCH_CHECKPOINT_ENV } from '../batch';
import { checkoutCommit, NxCliError, runNx } from '../nx-cli';
import { nxRunOptions, parentArgv } from '../nx-run';
import { MAX_PLAN_BYTES, parsePlanFile, shardProjects, ShardPlanError } from '../plan-file';
import { checkedCount, workspaceFile } from '../agent-options';
import { runExecutor } from '../run-executor';
import { MAX_AGENTS, MAX_STAGES } from '../stages';
import schemaJson from './schema.json';
import type { ShardExecutorSchema } from './schema';

export default async function shardExecutor(
  given: ShardExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runExecutor(async () => {
    const options = withSchemaDefaults(schemaJson, given);
    const agents = checkedCount(options.agentCount, 'agentCount', MAX_AGENTS);
    const stage = checkedCount(options.stage, 'stage', MAX_STAGES);
    const agent = checkedCount(options.agent, 'agent', MAX_AGENTS);
    if (agent > agents) throw new OptionError('agent', `agent must be from 1 to agentCount (${agents}), got ${agent}.`);
    const file = workspaceFile(context.root, options.plan, 'plan');
    const shown = relative(context.root, file);
    let text: string;
    try {
      if (statSync(file).size > MAX_PLAN_BYTES)
        throw new ShardPlanError(`${shown} is larger than ${MAX_PLAN_BYTES} bytes: not a plan.`);
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof ShardPlanError) throw e;
      throw new ShardPlanError(
        `cannot read the plan ${shown} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
          'write the plan job\'s "plan" output there first.',
      );
    }
    const plan = parsePlanFile(text, shown);
    const projects = shardProjects(plan, { agents, stage, agent, commit: checkoutCommit(context.root) }, shown);
    const unknown = projects.filter((p) => !context.projectsConfigurations.projects[p]?.targets?.[plan.target]);
    if (unknown.length)
      throw new ShardPlanError(
        `${shown} names project(s) without a ${plan.target} target in this workspace: ${unknown.slice(0, 10).join(', ')}; ` +
          'make the plan again on this commit.',
      );
    const where = `stage ${stage} of ${plan.stages.length}, agent ${agent} of ${agents}`;
    if (projects.length === 0) {
      logger.info(`nx-conda: ${where}: nothing to run in this shard.`);
      return;
    }
    const cost = plan.stages[stage - 1].shards[agent - 1].cost;
    logger.info(`nx-conda: ${where}: ${projects.length} ${plan.target} task(s) (cost ${cost}): ${projects.join(', ')}`);
    // Nx keeps --parallel and --nx-bail of `nx run conda-channel:shard` for itself: read them as the batch does, pass them on.
    const run = nxRunOptions(parentArgv(), process.env, context.nxJsonConfiguration?.parallel);
    const args = ['run-many', '-t', plan.target, '-p', ...projects, `--parallel=${run.parallel}`];
    if (run.bail) args.push('--nx-bail');
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (options.checkpointSeconds >= 0) env[BATCH_CHECKPOINT_ENV] = String(options.checkpointSeconds);
    const code = await runNx(context.root, args, env);
    if (code !== 0)
      throw new NxCliError(`${where}: nx ${args.slice(0, 3).join(' ')} -p … ended with exit code ${code}.`);
  });
}
