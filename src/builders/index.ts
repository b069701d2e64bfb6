import type { Builder } from '../core/formats';
import { condaBuild } from './conda-build';
import { rattlerBuild } from './rattler-build';
import { shellJoin, shellQuote } from '../text/shell';
import { renderTemplate } from '../text/template';
import type { BuilderDefinition, BuildPlan } from './types';

export type { BuildPlan } from './types';
export { solvedPackageFiles } from './solved';
export { TemplateError } from '../text/template';
export { shellJoin, shellQuote } from '../text/shell';

const BUILDERS: Record<Builder, BuilderDefinition> = {
  'conda-build': condaBuild,
  'rattler-build': rattlerBuild,
};

export function buildCommand(plan: BuildPlan): string[] {
  return BUILDERS[plan.builder].command(plan);
}

/** The builder's solve-only command (see BuilderDefinition.solveCommand), or undefined when it has none. */
export function solveCommand(plan: BuildPlan, outputDir: string): string[] | undefined {
  return BUILDERS[plan.builder].solveCommand?.(plan, outputDir);
}

/**
 * The build script for `plan`: the builder's default template, or the
 * user's (`template` with `source` naming its file for error messages).
 */
export function renderBuildScript(plan: BuildPlan, template?: { text: string; source: string }): string {
  // Every value is shell-quoted, ready to stand as one word (or, for command and buildArgs, several) in a bash script.
  const values: Record<string, string> = {
    command: shellJoin(buildCommand(plan)),
    recipeDir: shellQuote(plan.recipeDir),
    recipeFile: shellQuote(plan.recipeFile),
    stagingDir: shellQuote(plan.stagingDir),
    platform: shellQuote(plan.platform),
    buildArgs: shellJoin(plan.buildArgs),
  };
  const chosen = template ?? {
    text: BUILDERS[plan.builder].defaultTemplate,
    source: `default ${plan.builder} template`,
  };
  return renderTemplate(chosen.text, values, chosen.source);
}
