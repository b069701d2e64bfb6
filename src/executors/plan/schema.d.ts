export interface PlanExecutorSchema {
  /** How many agents run each stage (1 to 256). */
  agentCount: number;
  /** The most stages the CI runs (the workflow's stage jobs). Default 6. */
  maxStages?: number;
  /** Plan `nx affected` (default) or, false, `nx run-many` over `projects`. */
  affected?: boolean;
  /** Base of the comparison for affected. */
  base?: string;
  /** Head of the comparison for affected. */
  head?: string;
  /** With affected false: the projects planned (empty: all). */
  projects?: string[];
  /** The build target whose tasks are split. Default build-recipe. */
  target?: string;
  /** What one more stage costs, in recipe builds. Default 1. */
  stageOverhead?: number;
  /** Workspace-relative plan file. Default tmp/nx-conda/plan.json. */
  outputFile?: string;
}
