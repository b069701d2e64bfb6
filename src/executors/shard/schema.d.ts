export interface ShardExecutorSchema {
  /** How many agents the CI runs (the plan's). */
  agentCount: number;
  /** The stage to run (1-based). */
  stage: number;
  /** This agent's number (1-based). */
  agent: number;
  /** Workspace-relative plan file. Default tmp/nx-conda/plan.json. */
  plan?: string;
  /** Hand finished builds to the cache at least this often (seconds); negative: only at the end. Default 300. */
  checkpointSeconds?: number;
}
